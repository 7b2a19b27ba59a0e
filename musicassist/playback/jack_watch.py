"""Hear that the JACK server has gone away, which python-rtmidi cannot tell us.

When the JACK server stops (QjackCtl closed, server crashed), rtmidi's JACK
client keeps answering from its stale copy of the port list and keeps
accepting messages, so playback would go on in silence. A second, inactive
JACK client opened through libjack (ctypes) with a shutdown callback learns
of it at once. It has no ports and no process callback, so it costs the
audio graph nothing. Where libjack cannot be loaded, there is simply no
watch and the port-list check remains.

The shutdown callback is libc's ``sem_post`` on a semaphore we own, not a
Python function: libjack calls it on its own notification thread, and a
Python callback there must take the GIL. python-rtmidi keeps the GIL through
``close_port`` and ``delete``, which wait for the JACK server, so a Python
callback could leave the server, libjack's thread and our thread each waiting
for the next (the same shape as the input-port deadlock ``ports.MidiInput``
describes). With ``sem_post`` no JACK thread ever runs Python.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

_JACK_NO_START_SERVER = 0x01
_SEM_T_BYTES = 64  # sizeof(sem_t) is 32 on 64-bit glibc and musl; room to spare
_libs: tuple[Any, Any] | None = None


def _load_libraries() -> tuple[Any, Any]:
    """(libjack, libc) with the few functions used here typed."""
    global _libs
    if _libs is None:
        jack = ctypes.CDLL(ctypes.util.find_library("jack") or "libjack.so.0")
        jack.jack_client_open.restype = ctypes.c_void_p  # variadic: arguments are typed at the call
        jack.jack_on_shutdown.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        jack.jack_on_shutdown.restype = None
        jack.jack_client_close.argtypes = [ctypes.c_void_p]
        jack.jack_client_close.restype = ctypes.c_int
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        for name in ("sem_init", "sem_getvalue", "sem_destroy", "sem_post"):
            getattr(libc, name).restype = ctypes.c_int
        libc.sem_init.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint]
        libc.sem_getvalue.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        libc.sem_destroy.argtypes = [ctypes.c_void_p]
        _libs = (jack, libc)
    return _libs


def watch_supported() -> bool:
    """True where a watch can be opened at all: Linux with libjack and libc loadable by ctypes."""
    if not sys.platform.startswith("linux"):  # ctypes and variadic C calls are only safe to assume here
        return False
    try:
        _load_libraries()
    except OSError:
        return False
    return True


class _ServerGone:
    """``is_set()`` once libjack has posted the semaphore, i.e. the server shut down or dropped us."""

    def __init__(self, libc: Any = None) -> None:
        self._libc = libc
        self.semaphore = (ctypes.c_long * (_SEM_T_BYTES // 8))()  # long-aligned, as sem_t must be
        self._fallback = False  # the answer without a semaphore: never (no watch) or as it was when closed
        if libc is not None and libc.sem_init(self.semaphore, 0, 0) != 0:
            self._libc = None

    def is_set(self) -> bool:
        if self._libc is None:
            return self._fallback
        value = ctypes.c_int(0)
        self._libc.sem_getvalue(self.semaphore, ctypes.byref(value))
        return value.value > 0

    def destroy(self) -> None:
        if self._libc is not None:
            self._fallback = self.is_set()
            self._libc.sem_destroy(self.semaphore)
            self._libc = None


class JackWatch:
    """``gone.is_set()`` turns true when the JACK server (the one ``JACK_DEFAULT_SERVER`` names) shuts down."""

    def __init__(self, client_name: str = "MusicAssist watch") -> None:
        self.gone = _ServerGone()
        self._client: int | None = None
        self._jack: Any = None
        if not watch_supported():
            log.debug("no JACK watch on this system")
            return
        jack, libc = _load_libraries()
        status = ctypes.c_int(0)
        client = jack.jack_client_open(ctypes.c_char_p(client_name.encode()),
                                       ctypes.c_int(_JACK_NO_START_SERVER), ctypes.byref(status))
        if not client:
            return
        self.gone = _ServerGone(libc)
        # jack_on_shutdown's callback is void (*)(void *arg): sem_post(sem_t *) has that shape.
        jack.jack_on_shutdown(ctypes.c_void_p(client), ctypes.cast(libc.sem_post, ctypes.c_void_p),
                              ctypes.cast(self.gone.semaphore, ctypes.c_void_p))
        self._client, self._jack = client, jack

    @property
    def active(self) -> bool:
        return self._client is not None

    def close(self) -> None:
        if self._client is not None:
            self._jack.jack_client_close(ctypes.c_void_p(self._client))  # no callback can run after this
            self._client = None
            self.gone.destroy()
