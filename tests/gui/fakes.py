"""Test doubles: a deterministic sampler and a player that records instead of sounding.

The fake sampler honours the real contract (``Sampler.generate``): it
reports progress per step, streams candidates as they finish, checks the
cancel event every step, keeps locked notes, and returns exactly
``length_bars`` bars per candidate. Optional ``delay`` per step makes
cancel and stale-result tests meaningful.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import QObject, Signal

from musicassist.core.errors import MusicAssistError, PortError
from musicassist.core.generation import Candidate, GenerationProgress, GenerationRequest
from musicassist.core.score import Note, Score, Track

STEPS_PER_CANDIDATE = 4


class FakeSampler:
    def __init__(self, delay: float = 0.0, error: MusicAssistError | None = None):
        self.delay = delay
        self.error = error
        self.requests: list[GenerationRequest] = []
        self.thread_names: list[str] = []

    def generate(
        self,
        request: GenerationRequest,
        cancel: threading.Event,
        on_progress: Callable[[GenerationProgress], None],
        on_candidate: Callable[[Candidate], None],
    ) -> list[Candidate]:
        self.requests.append(request)
        self.thread_names.append(threading.current_thread().name)
        if self.error is not None:
            raise self.error
        options = request.options
        total = options.candidates * STEPS_PER_CANDIDATE
        seed_notes = request.seed.notes
        base = seed_notes[-1].pitch if seed_notes else 60
        bar = request.seed.meter_map.bar_length(max(0, request.seed.bar_count - 1))
        results = []
        for index in range(options.candidates):
            for step in range(STEPS_PER_CANDIDATE):
                if cancel.is_set():
                    return results
                if self.delay:
                    time.sleep(self.delay)
                on_progress(GenerationProgress(request.request_id, index * STEPS_PER_CANDIDATE + step + 1, total))
            candidate = Candidate(request.request_id, index, _continuation(base + index, bar, options.length_bars,
                                                                           request.options.steering.locked),
                                  label=f"fake {index + 1}", mean_log_likelihood=-1.0 - index / 10)
            results.append(candidate)
            on_candidate(candidate)
        return results


def _continuation(pitch: int, bar: Fraction, bars: int, locked: tuple[Note, ...]) -> Score:
    """One note per beat rising by step, plus the locked notes, in exactly ``bars`` bars."""
    notes = [Note(Fraction(beat), min(127, pitch + beat % 5), Fraction(1), 70 + beat % 40)
             for beat in range(int(bar * bars))]
    taken = {(n.start, n.pitch) for n in locked}
    notes = [n for n in notes if (n.start, n.pitch) not in taken] + list(locked)
    return Score(tracks=(Track("continuation", tuple(notes)),), length_bars=bars)


class FakePlayerSignals(QObject):
    position_changed = Signal(int, float)  # pass id, beat
    finished = Signal(int)
    error = Signal(int, str)


class FakePlayer:
    """Records what the window asks; ``is_playing`` until stopped."""

    port_name = "fake synth"

    def __init__(self) -> None:
        self.signals = FakePlayerSignals()
        self.calls: list[tuple] = []
        self.sent: list = []
        self._playing = False
        self.closed = False
        self.pass_id = 0

    @property
    def is_playing(self) -> bool:
        return self._playing

    def play(self, score, start_beat=0, loop=None) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(("play", score, Fraction(start_beat), loop))
        self._playing = True
        self.pass_id += 1

    def stop(self) -> None:
        self.calls.append(("stop",))
        self._playing = False

    def panic(self) -> None:
        self.calls.append(("panic",))
        self._playing = False

    def switch_score(self, score) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(("switch", score))

    def send_now(self, message) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(message)

    def close(self) -> None:
        self.closed = True
        self._playing = False


class PlayerBox:
    """A factory that hands out one FakePlayer (or refuses, like a machine with no synth)."""

    def __init__(self, available: bool = True):
        self.available = available
        self.player: FakePlayer | None = None

    def __call__(self, _port_name: str | None) -> FakePlayer:
        if not self.available:
            raise PortError("No MIDI output port is available: start a software synth.")
        self.player = self.player or FakePlayer()
        return self.player


def fake_player_factory(_port_name: str | None) -> FakePlayer:
    return FakePlayer()
