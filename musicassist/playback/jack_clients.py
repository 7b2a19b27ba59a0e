"""JACK clients are opened once per server and kept for reuse, never closed while the server runs.

Closing a JACK client can hang the process for good in libjack2 (1.9.21,
seen in CI and reproduced here): ``jack_client_close`` cancels the closing
client's notification thread, and if that thread was just then handling
another client's arrival it holds libjack's global synchronisation mutex
inside a cancellation point (it opens the newcomer's semaphore) and dies
holding it. The next ``jack_client_close`` in the process then waits on that
mutex forever (gdb: owner thread gone, main thread in ``jack_client_close``).
Every port used to open two clients (rtmidi's and a JackWatch) and close
both, and listing ports opened and closed a third, so a session of opening
and closing ports could freeze the window.

So on JACK a closed port gives its rtmidi client back to an idle pool, and
the next port on the same server takes it (closing a *port* only
unregisters it, which is safe); one JackWatch per server tells whether the
server still runs. A virtual port is the exception: python-rtmidi refuses
to open anything on a client whose virtual port it once opened, so such a
client goes back with its port still registered, renamed "<name> (idle)"
so that port lists leave it out, and the next virtual port of that name is
the same one, renamed back. Clients are closed only after their server has gone,
when their notification threads have already ended. Nor does the process
close them when it exits: each kept client holds one extra reference that is
never released, so Python's shutdown never deallocates it (deallocation
would call ``jack_client_close``); the server drops the clients of a process
that has ended. The cost is a few idle clients without ports, which the
audio graph never runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .jack_watch import JackWatch, watch_supported
from .quiet_stderr import quiet_stderr

IDLE_SUFFIX = " (idle)"  # the name of a kept virtual port while no MusicAssist port uses it
_lock = threading.Lock()
# (server, inputs, virtual port name or None) -> idle rtmidi clients: without a port, or with that virtual port
_idle: dict[tuple[str, bool, str | None], list[Any]] = {}
_watches: dict[str, JackWatch] = {}


def server_name() -> str:
    """The JACK server this process talks to (``JACK_DEFAULT_SERVER``, else JACK's own default)."""
    return os.environ.get("JACK_DEFAULT_SERVER", "").strip() or "default"


def pooling() -> bool:
    """True where clients can be kept safely: only with a watch can a dead server's clients be dropped."""
    return watch_supported()


def current_watch() -> JackWatch | None:
    """The live watch of the current server, opened on first need; None when no JACK server answers."""
    name = server_name()
    with _lock:
        watch = _watches.get(name)
        if watch is not None and watch.gone.is_set():
            _forget(name)
            watch = None
        if watch is None:
            watch = JackWatch()
            if not watch.active:
                return None
            _watches[name] = watch
        return watch


def _forget(server: str) -> None:
    """Close what belonged to a server that has gone (its libjack threads have ended). Holds ``_lock``."""
    dead = [rt for (name, _inputs, _virtual), clients in _idle.items() if name == server for rt in clients]
    for key in [key for key in _idle if key[0] == server]:
        del _idle[key]
    watch = _watches.pop(server, None)
    with _quiet_close():
        for rt in dead:
            rt.delete()
        if watch is not None:
            watch.close()


def take(inputs: bool, create: Callable[[], Any], server: str, watch: JackWatch | None,
         virtual: str | None = None) -> tuple[Any, bool]:
    """An idle client of ``server`` (whose ``current_watch()`` is ``watch``), or a new one from ``create``;
    and whether it is an idle client that already has the virtual port ``virtual`` open."""
    if watch is None:  # no server answers: ``create`` says so
        return create(), False
    with _lock:
        idle = _idle.get((server, inputs, virtual))
        rt = idle.pop() if idle else None
    if rt is None:
        return _kept_for_good(create()), False
    if virtual is not None:
        with contextlib.suppress(Exception):
            rt.set_port_name(virtual)
    if inputs:
        while rt.get_message() is not None:  # what arrived for its previous port is not for the next one
            pass
    return rt, virtual is not None


def _kept_for_good(rt: Any) -> Any:
    """Let ``rt`` outlive the interpreter's shutdown (see the module docstring); ``delete()`` still frees it."""
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(rt))
    return rt


def visible(ports: list[str]) -> list[str]:
    """Port names without the idle virtual ports kept here."""
    return [name for name in ports if not name.endswith(IDLE_SUFFIX)]


def give_back(rt: Any, inputs: bool, server: str, watch: JackWatch | None, virtual: str | None = None) -> None:
    """Keep a client for the next port on ``server`` (without a port, or with its virtual port ``virtual``
    still open); delete it if the server is gone."""
    if watch is None or watch.gone.is_set():
        with _quiet_close():
            rt.delete()
        return
    if virtual is not None:
        try:
            rt.set_port_name(virtual + IDLE_SUFFIX)
        except Exception:  # a JACK without port renaming: a port that keeps its name would be picked by name
            with _quiet_close():
                rt.delete()
            return
    with _lock:
        _idle.setdefault((server, inputs, virtual), []).append(rt)


@contextlib.contextmanager
def _quiet_close() -> Iterator[None]:
    with quiet_stderr(), contextlib.suppress(Exception):  # libjack complains about every client of a stopped server
        yield
