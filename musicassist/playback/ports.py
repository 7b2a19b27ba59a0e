"""MIDI ports: pick the MIDI system, list ports, open them as mido ports.

The MIDI system (python-rtmidi "API") is chosen in this order: the ``api``
argument, the ``MUSICASSIST_MIDI_API`` environment variable, JACK when a JACK
server answers, else the platform's own (ALSA on Linux, CoreMIDI on macOS,
Windows MM). Ports are opened with python-rtmidi directly but returned as
mido ports, because mido's rtmidi backend cannot name the client of a
non-virtual port (it shows up as "RtMidiOut Client") and cannot tell when the
synth at the other end (or the JACK server) has gone away;
``MidiOutput.is_alive()`` can, and the player polls it. Every failure the composer can cause is a ``PortError``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import mido
import mido.ports
import rtmidi

from musicassist.core.errors import PortError

from . import jack_clients
from .jack_watch import JackWatch
from .quiet_stderr import quiet_stderr

__all__ = [
    "API_ENV_VAR", "CLIENT_NAME", "VIRTUAL_PORT_NAME", "MidiInput", "MidiOutput", "PortError",
    "api_label", "choose_api", "compiled_apis", "jack_server_running", "list_input_ports", "list_output_ports",
    "midi_backend", "open_input", "open_output",
]

log = logging.getLogger(__name__)

API_ENV_VAR = "MUSICASSIST_MIDI_API"
CLIENT_NAME = "MusicAssist"
VIRTUAL_PORT_NAME = "MusicAssist"

_API_ALIASES = {
    "jack": "UNIX_JACK", "alsa": "LINUX_ALSA", "coremidi": "MACOSX_CORE", "core": "MACOSX_CORE",
    "macos": "MACOSX_CORE", "winmm": "WINDOWS_MM", "windows": "WINDOWS_MM", "mm": "WINDOWS_MM",
}
_API_LABELS = {
    "UNIX_JACK": "JACK", "LINUX_ALSA": "ALSA", "MACOSX_CORE": "CoreMIDI", "WINDOWS_MM": "Windows MIDI",
}
# ALSA's "Midi Through" ports only forward to whatever is subscribed; nothing
# sounds by default, so they are never the automatic choice.
_NEVER_DEFAULT = ("midi through",)


def compiled_apis() -> list[str]:
    """MIDI systems this python-rtmidi build supports, by mido's names (e.g. 'UNIX_JACK')."""
    names = {getattr(rtmidi, n): n.removeprefix("API_") for n in dir(rtmidi) if n.startswith("API_")}
    return [names[a] for a in rtmidi.get_compiled_api() if a in names]


def jack_server_running() -> bool:
    """True when a JACK server answers (the one named by ``JACK_DEFAULT_SERVER``, if set)."""
    if "UNIX_JACK" not in compiled_apis():
        return False
    if jack_clients.pooling():  # the server's watch client, kept open, answers without a client to close
        return jack_clients.current_watch() is not None
    try:
        with quiet_stderr():
            probe = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=f"{CLIENT_NAME} probe")
    except Exception:  # rtmidi raises its own SystemError family when no server runs
        return False
    probe.delete()
    return True


def choose_api(api: str | None = None) -> str | None:
    """The MIDI system to use, as a mido rtmidi API name; None means the platform default."""
    requested = api or os.environ.get(API_ENV_VAR, "").strip() or None
    compiled = compiled_apis()
    if requested is not None:
        name = _API_ALIASES.get(requested.lower(), requested.upper())
        if name not in compiled:
            options = ", ".join(compiled)
            raise PortError(f"'{requested}' is not a MIDI system available here; use one of: {options}.")
        return name
    if jack_server_running():
        return "UNIX_JACK"
    if sys.platform.startswith("linux") and "LINUX_ALSA" in compiled:
        return "LINUX_ALSA"
    return None


def midi_backend(api: str | None = None) -> mido.Backend:
    """mido's python-rtmidi backend on the chosen MIDI system, for code that wants mido's own ports."""
    return mido.Backend("mido.backends.rtmidi", api=choose_api(api), load=True)


def api_label(api: str | None) -> str:
    """Human name of a MIDI system for messages ('JACK', 'ALSA', ...)."""
    return _API_LABELS.get(api or "", api or "the default MIDI system")


def _unavailable(api: str | None) -> PortError:
    if api == "UNIX_JACK":
        return PortError("No JACK server is running: start JACK (e.g. with QjackCtl) or choose another MIDI system.")
    if api == "LINUX_ALSA":
        return PortError(
            "The ALSA MIDI system is not available: load the sequencer (sudo modprobe snd-seq) or start JACK."
        )
    return PortError(f"{api_label(api)} cannot be used on this computer.")


def _names(api: str | None, inputs: bool) -> list[str]:
    client = _Client(inputs, api)
    try:
        return jack_clients.visible(list(client.rt.get_ports()))
    finally:
        client.end()


def list_output_ports(api: str | None = None) -> list[str]:
    """Names of the ports MusicAssist can play into (synths, MIDI interfaces)."""
    return _names(choose_api(api), inputs=False)


def list_input_ports(api: str | None = None) -> list[str]:
    """Names of the ports MusicAssist can record from (keyboards, controllers)."""
    return _names(choose_api(api), inputs=True)


def _rtapi(api: str | None) -> int:
    return int(getattr(rtmidi, f"API_{api}")) if api else rtmidi.API_UNSPECIFIED


def _pick(name: str | None, available: list[str], kind: str) -> str:
    """Exact name, else a unique case-insensitive part of one (ALSA names carry changing numbers)."""
    if name is None:
        usable = [p for p in available if not p.lower().startswith(_NEVER_DEFAULT)
                  and not p.startswith(CLIENT_NAME)]
        if not usable:
            hint = "start a software synth such as FluidSynth or connect a MIDI device" if kind == "output" \
                else "connect a MIDI keyboard"
            raise PortError(f"No MIDI {kind} port is available: {hint}.")
        return usable[0]
    if name in available:
        return name
    matches = [p for p in available if name.lower() in p.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise PortError(f"'{name}' matches several MIDI {kind} ports ({', '.join(matches)}); give more of the name.")
    choices = ", ".join(available) if available else "none"
    raise PortError(f"There is no MIDI {kind} port named '{name}' (available: {choices}).")


class _WatchedRtPort:
    """What input and output ports share: the rtmidi client, and knowing when the other end is gone."""

    _rt: Any
    api: str | None
    target: str | None  # None for a virtual port: nothing at the other end to lose
    name: str
    closed: bool

    def _attach(self, kwargs: dict[str, Any]) -> None:
        self._client: _Client = kwargs["client"]
        self._rt = self._client.rt
        self.api = kwargs["api"]
        self.target = kwargs.get("target")
        self._device_type = f"RtMidi/{self.api or 'default'}"
        # python-rtmidi cannot tell that the JACK server itself stopped; the server's JackWatch can.
        self._server_watch = self._client.watch

    def _server_gone(self) -> bool:
        return self._server_watch is not None and self._server_watch.gone.is_set()

    def check_alive(self) -> None:
        """Raise a PortError saying what went away, if anything did."""
        if self._server_gone():
            raise PortError(f"The JACK server has stopped, so the MIDI port '{self.name}' is gone.")
        if not self.is_alive():
            raise PortError(f"The MIDI port '{self.name}' has disappeared (was the device or synth closed?).")

    def is_alive(self) -> bool:
        """False once the port we connected to has disappeared (synth quit, cable pulled, server stopped)."""
        if self.closed or self._server_gone():
            return False
        if self.target is None:
            return True
        try:
            return self.target in self._rt.get_ports()
        except Exception:
            return False

    def _release(self, before_close: Callable[[], None] | None = None) -> None:
        # After the JACK server stopped, libjack complains on every close; that is expected here.
        with quiet_stderr() if self._server_gone() else contextlib.nullcontext(), contextlib.suppress(Exception):
            if before_close is not None:
                before_close()
            self._client.close_port()
            self._client.end()


class MidiOutput(_WatchedRtPort, mido.ports.BaseOutput):
    """A mido output port on python-rtmidi that knows whether its destination still exists."""

    _locking = False  # send() has its own lock; mido's would copy every message first

    def _open(self, **kwargs: Any) -> None:
        self._attach(kwargs)
        self._send_lock = threading.Lock()

    def send(self, msg: mido.Message) -> None:
        """Send at once; any failure of the MIDI system becomes a PortError."""
        if self.closed:
            raise PortError(f"The MIDI port '{self.name}' is closed.")
        try:
            with self._send_lock:
                self._rt.send_message(msg.bytes())
        except Exception as exc:
            raise PortError(f"Sending to the MIDI port '{self.name}' failed: it may have been disconnected.") from exc

    def _close(self) -> None:
        self._release()


_INPUT_POLL_SECONDS = 0.001  # how often the reader thread empties rtmidi's queue (the added latency, at most)
_READER_JOIN_TIMEOUT = 2.0


class MidiInput(_WatchedRtPort, mido.ports.BaseInput):
    """A mido input port on python-rtmidi that hands each message to a callback, on a reader thread.

    rtmidi's own callback is not used, on purpose: it runs Python on the MIDI
    system's thread (JACK's process thread, ALSA's input thread), which must
    then take the GIL, and python-rtmidi holds the GIL through every call,
    including ``close_port`` and ``delete``. Closing the port while a message
    was arriving therefore deadlocked: the close waited for JACK's process
    cycle to end, and the cycle waited for the GIL that the close held
    (reproduced by streaming notes into a port while closing it). Instead
    rtmidi queues the messages in C++, and a Python thread takes them from the
    queue every millisecond; ``close`` stops that thread before it closes the
    port, so the MIDI system's thread never waits for Python.
    """

    _locking = False

    def _open(self, **kwargs: Any) -> None:
        self._attach(kwargs)
        self.callback: Callable[[mido.Message], None] = kwargs["callback"]
        self._rt.ignore_types(sysex=True, timing=True, active_sense=True)
        self._stop_reading = threading.Event()
        self._reader = threading.Thread(target=self._read, name="musicassist-midi-in", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        get_message, stop = self._rt.get_message, self._stop_reading
        while not stop.is_set():
            event = get_message()
            if event is None:
                stop.wait(_INPUT_POLL_SECONDS)
                continue
            try:
                message = mido.Message.from_bytes(event[0])
            except ValueError:
                continue  # a malformed message from a device is dropped, not fatal
            try:
                self.callback(message)
            except Exception:  # a failing handler must not stop the port from reading the next key
                log.exception("MIDI input handler failed")

    def _close(self) -> None:
        self._stop_reading.set()
        if self._reader is not threading.current_thread():
            self._reader.join(_READER_JOIN_TIMEOUT)
        self._release()


class _Client:
    """An rtmidi client, and how its use ends: kept for the next port on JACK (see ``jack_clients``), else deleted."""

    def __init__(self, inputs: bool, api: str | None, virtual_name: str | None = None) -> None:
        self.inputs, self.api = inputs, api
        self.pooled = api == "UNIX_JACK" and jack_clients.pooling()
        self.virtual_open: str | None = None  # the virtual port this client has open, if any
        self.watch: JackWatch | None = None  # the server's watch, for pooled clients
        if not self.pooled:
            self.rt = self._create()
            return
        self.server, self.watch = jack_clients.server_name(), jack_clients.current_watch()
        self.rt, reused_virtual = jack_clients.take(inputs, self._create, self.server, self.watch, virtual_name)
        if reused_virtual:
            self.virtual_open = virtual_name

    def _create(self) -> Any:
        try:
            with quiet_stderr():
                if self.inputs:
                    return rtmidi.MidiIn(rtapi=_rtapi(self.api), name=CLIENT_NAME)
                return rtmidi.MidiOut(rtapi=_rtapi(self.api), name=CLIENT_NAME)
        except Exception as exc:
            raise _unavailable(self.api) from exc

    def close_port(self) -> None:
        """Close the port, except a pooled virtual port, which stays registered for its next use."""
        if not (self.pooled and self.virtual_open):
            self.rt.close_port()

    def end(self) -> None:
        if self.pooled:
            jack_clients.give_back(self.rt, self.inputs, self.server, self.watch, self.virtual_open)
        else:
            self.rt.delete()


def _connect(client: _Client, name: str | None, virtual: bool, kind: str, virtual_name: str) -> tuple[str, str | None]:
    """Open ``client`` on the named port (or a virtual one); return (port name, destination or None)."""
    rt = client.rt
    try:
        if virtual:
            if client.virtual_open != virtual_name:
                rt.open_virtual_port(virtual_name)
                client.virtual_open = virtual_name
            return virtual_name, None
        target = _pick(name, jack_clients.visible(list(rt.get_ports())), kind)
        rt.open_port(list(rt.get_ports()).index(target), "in" if kind == "input" else "out")
        return target, target
    except PortError:
        client.end()
        raise
    except (NotImplementedError, rtmidi.UnsupportedOperationError) as exc:  # Windows MM has no virtual ports
        client.end()
        raise PortError(
            "This MIDI system cannot create a virtual port; use a loopback driver such as loopMIDI instead."
        ) from exc
    except Exception as exc:
        client.end()
        what = f"a virtual {kind} port" if virtual else f"the MIDI {kind} port '{name}'"
        raise PortError(f"Could not open {what}: it may be busy or gone.") from exc


def open_output(name: str | None = None, virtual: bool = False, api: str | None = None) -> MidiOutput:
    """Open the output port ``name`` (exact or a unique part), the first usable one, or a virtual port.

    A virtual port is named "MusicAssist": other programs (a DAW, a synth)
    connect to it. Not available with Windows MM.
    """
    chosen_api = choose_api(api)
    client = _Client(False, chosen_api, VIRTUAL_PORT_NAME if virtual else None)
    port_name, target = _connect(client, name, virtual, "output", VIRTUAL_PORT_NAME)
    return MidiOutput(port_name, client=client, api=chosen_api, target=target)


def open_input(
    name: str | None, callback: Callable[[mido.Message], None], virtual: bool = False, api: str | None = None
) -> MidiInput:
    """Open the input port ``name`` (or the first, or a virtual "MusicAssist in") with a callback.

    The callback runs on the port's reader thread: keep it short and thread-safe.
    """
    chosen_api = choose_api(api)
    virtual_name = f"{VIRTUAL_PORT_NAME} in"
    client = _Client(True, chosen_api, virtual_name if virtual else None)
    port_name, target = _connect(client, name, virtual, "input", virtual_name)
    return MidiInput(port_name, client=client, api=chosen_api, target=target, callback=callback)
