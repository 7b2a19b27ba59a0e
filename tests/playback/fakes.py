"""An in-memory output port (as mido's own tests use) that records what arrives and when."""

from __future__ import annotations

import threading
import time

import mido
import mido.ports


class RecordingPort(mido.ports.BaseOutput):
    """Keeps ``(perf_counter time, message)`` for every send; can be told to vanish or to fail."""

    def _open(self, **kwargs: object) -> None:
        self.received: list[tuple[float, mido.Message]] = []
        self.alive = True
        self.fail_sends = False
        self._received_lock = threading.Lock()

    def _send(self, msg: mido.Message) -> None:
        if self.fail_sends:
            raise OSError("device unplugged")
        with self._received_lock:
            self.received.append((time.perf_counter(), msg))

    def is_alive(self) -> bool:
        return self.alive

    @property
    def messages(self) -> list[mido.Message]:
        with self._received_lock:
            return [m for _, m in self.received]

    def notes_on(self) -> list[tuple[float, mido.Message]]:
        with self._received_lock:
            return [(t, m) for t, m in self.received if m.type == "note_on" and m.velocity > 0]


class SentLog:
    """Wraps a real output port and records what the player handed to it (and when)."""

    def __init__(self, port: mido.ports.BaseOutput) -> None:
        self._port = port
        self.sent: list[tuple[float, mido.Message]] = []

    def send(self, message: mido.Message) -> None:
        self.sent.append((time.perf_counter(), message))
        self._port.send(message)

    def __getattr__(self, name: str) -> object:  # name, is_alive, check_alive, close
        return getattr(self._port, name)


def hanging_notes(messages: list[mido.Message]) -> set[tuple[int, int]]:
    """(channel, pitch) pairs struck more often than released: notes a synth would still hold."""
    balance: dict[tuple[int, int], int] = {}
    for m in messages:
        if m.type == "note_on" and m.velocity > 0:
            balance[(m.channel, m.note)] = balance.get((m.channel, m.note), 0) + 1
        elif m.type in ("note_off", "note_on"):
            balance[(m.channel, m.note)] = balance.get((m.channel, m.note), 0) - 1
    return {key for key, count in balance.items() if count > 0}


def late_or_early(times: list[float], expected: list[float], tolerance: float = 0.015) -> int:
    """How many of ``times`` miss ``expected`` (seconds, any common origin) by more than ``tolerance``.

    The origin is the median difference, so one note delayed by a busy
    machine counts as one miss instead of shifting every other note.
    """
    differences = sorted(t - e for t, e in zip(times, expected, strict=True))
    origin = differences[len(differences) // 2]
    return sum(abs(t - e - origin) > tolerance for t, e in zip(times, expected, strict=True))
