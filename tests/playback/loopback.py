"""A real MIDI input port of the test: the player's output is connected to it through JACK."""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable

import mido

from musicassist.playback.ports import MidiInput, open_input


class Loopback:
    """Opens a virtual input port and keeps ``(perf_counter time, message)`` of all that arrives."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[tuple[float, mido.Message]] = []
        self.port: MidiInput = open_input(None, self._on_message, virtual=True)

    def _on_message(self, message: mido.Message) -> None:
        stamp = time.perf_counter()
        with self._lock:
            self.received.append((stamp, message))

    @property
    def name(self) -> str:
        return self.port.name

    def snapshot(self) -> list[tuple[float, mido.Message]]:
        with self._lock:
            return list(self.received)

    def messages(self) -> list[mido.Message]:
        return [m for _, m in self.snapshot()]

    def note_ons(self) -> list[tuple[float, mido.Message]]:
        return [(t, m) for t, m in self.snapshot() if m.type == "note_on" and m.velocity > 0]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        self.port.close()


def deviations_ms(expected: list[float], actual: list[float]) -> list[float]:
    """Timing errors in ms after removing the constant latency (the median difference)."""
    differences = sorted(a - e for e, a in zip(expected, actual, strict=True))
    latency = differences[len(differences) // 2]
    return [(a - e - latency) * 1000.0 for e, a in zip(expected, actual, strict=True)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def align(expected: list[mido.Message], arrived: list[tuple[float, mido.Message]]) -> list[tuple[int, float]]:
    """(index in ``expected``, arrival time) for the longest in-order matching of arrivals to the schedule.

    An overloaded JACK may drop or repeat an event; a sequence alignment keeps
    one such glitch from misaligning everything after it.
    """
    wanted = [tuple(m.bytes()) for m in expected]
    got = [tuple(m.bytes()) for _, m in arrived]
    matcher = difflib.SequenceMatcher(None, wanted, got, autojunk=False)
    return [(block.a + k, arrived[block.b + k][0])
            for block in matcher.get_matching_blocks() for k in range(block.size)]
