"""Run a parse in a child process that a hard CPU-time and memory limit can stop.

The notation readers bound what a file would create before music21 sees it
(``notation_limits``), but music21 is large and a fuzzer keeps finding
inputs its checks did not foresee. So the parse runs in a forked child with
``RLIMIT_CPU`` and ``RLIMIT_AS`` set: whatever slips past the pre-checks is
stopped in seconds and with bounded memory, and the composer gets one
sentence instead of a frozen window. The child hands back the finished
``Score`` (plain frozen dataclasses) through a pipe; a forked child shares
the parent's imported music21, so the cost is a few milliseconds.

Where ``os.fork`` does not exist (Windows) the action runs in-process, bounded
by the pre-checks alone.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from musicassist.core.errors import FileFormatError, MusicAssistError

Result = TypeVar("Result")

MEMORY_HEADROOM = 1536 * 2**20  # bytes the child may map beyond what the parent already has
_WALL_FACTOR = 3.0  # wall-clock allowance per CPU second, for a machine busy with other work


def run_bounded(action: Callable[[], Result], cpu_seconds: float, too_much: str) -> Result:
    """``action()``'s result, computed in a child limited to ``cpu_seconds`` of CPU; FileFormatError(
    ``too_much``) when it runs out of time or memory. MusicAssistErrors raised by the action pass through."""
    if not hasattr(os, "fork"):
        return action()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        _child(action, cpu_seconds, writer)
    os.close(writer)
    try:
        payload = _read_all(reader, pid, cpu_seconds * _WALL_FACTOR + 2)
    except BaseException:  # interrupted (Ctrl+C, an alarm): the child must not outlive the read
        _kill(pid)
        raise
    finally:
        os.close(reader)
    if payload is None:
        raise FileFormatError(too_much)
    kind, value = pickle.loads(payload)
    if kind == "ok":
        return value
    if kind == "refused":
        raise value
    raise FileFormatError(too_much)


def _child(action: Callable[[], object], cpu_seconds: float, writer: int) -> None:
    try:
        limit = max(1, round(cpu_seconds))  # a forked child's CPU time starts at zero
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise leave a core file
        mapped = _mapped_bytes()
        if mapped:
            resource.setrlimit(resource.RLIMIT_AS, (mapped + MEMORY_HEADROOM, resource.RLIM_INFINITY))
        try:
            message: tuple[str, object] = ("ok", action())
        except MusicAssistError as refused:
            message = ("refused", refused)
        except MemoryError:
            message = ("exhausted", None)
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as stream:
            stream.write(data)
        os._exit(0)
    except BaseException:  # anything else (a pickling failure included): the parent sees an empty pipe
        os._exit(1)


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _read_all(reader: int, pid: int, wall_seconds: float) -> bytes | None:
    """The child's whole message, or None when it died, ran out of time or sent nothing."""
    deadline = time.monotonic() + wall_seconds
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _kill(pid)
            return None
        ready, _, _ = select.select([reader], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(reader, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
        return None
    return b"".join(chunks)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
