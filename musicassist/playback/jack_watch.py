"""Hear that the JACK server has gone away, which python-rtmidi cannot tell us.

When the JACK server stops (QjackCtl closed, server crashed), rtmidi's JACK
client keeps answering from its stale copy of the port list and keeps
accepting messages, so playback would go on in silence. A second, inactive
JACK client opened through libjack (ctypes) with an info-shutdown callback
learns of it at once. It has no ports and no process callback, so it costs
the audio graph nothing. Where libjack cannot be loaded, there is simply no
watch and the port-list check remains.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading
from typing import Any

log = logging.getLogger(__name__)

_JACK_NO_START_SERVER = 0x01
_ShutdownCallback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_libjack: Any = None


def _load_libjack() -> Any:
    global _libjack
    if _libjack is None:
        name = ctypes.util.find_library("jack") or "libjack.so.0"
        lib = ctypes.CDLL(name)
        lib.jack_client_open.restype = ctypes.c_void_p  # variadic: arguments are typed at the call
        lib.jack_on_info_shutdown.argtypes = [ctypes.c_void_p, _ShutdownCallback, ctypes.c_void_p]
        lib.jack_on_info_shutdown.restype = None
        lib.jack_client_close.argtypes = [ctypes.c_void_p]
        lib.jack_client_close.restype = ctypes.c_int
        _libjack = lib
    return _libjack


class JackWatch:
    """``gone`` is set when the JACK server (the one ``JACK_DEFAULT_SERVER`` names) shuts down."""

    def __init__(self, client_name: str = "MusicAssist watch") -> None:
        self.gone = threading.Event()
        self._client: int | None = None
        self._lib: Any = None
        if not sys.platform.startswith("linux"):  # ctypes and variadic C calls are only safe to assume here
            return
        try:
            lib = _load_libjack()
            status = ctypes.c_int(0)
            client = lib.jack_client_open(ctypes.c_char_p(client_name.encode()),
                                          ctypes.c_int(_JACK_NO_START_SERVER), ctypes.byref(status))
        except OSError as exc:
            log.debug("no JACK watch: %s", exc)
            return
        if not client:
            return
        # Kept on self: ctypes frees a callback whose Python object is collected.
        self._callback = _ShutdownCallback(lambda _code, _reason, _arg: self.gone.set())
        lib.jack_on_info_shutdown(ctypes.c_void_p(client), self._callback, None)
        self._client, self._lib = client, lib

    @property
    def active(self) -> bool:
        return self._client is not None

    def close(self) -> None:
        if self._client is not None:
            self._lib.jack_client_close(ctypes.c_void_p(self._client))
            self._client = None
