"""Turn what a MIDI keyboard sends into Notes: live against the beat clock, or step by step.

``LiveRecorder`` stamps each message with the clock as it arrives and asks a
beat clock which beat that is: the player's (``Player.beat_at_time``) while
recording along with playback and the metronome, or a free clock started by
the first key when nothing plays ("play an idea, then press Generate").
``StepRecorder`` ignores time: each chord (keys pressed together) becomes
notes of the grid length at the cursor, which then moves on by the grid.
Both are fed by an input port's callback (a MIDI thread), hence the locks;
neither knows about Qt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import mido

from musicassist.core.edits import quantize_notes, resolve_overlaps
from musicassist.core.errors import OptionError
from musicassist.core.score import Note
from musicassist.core.timemaps import TempoMap

BeatClock = Callable[[float], float | None]  # clock reading -> beat sounding then (None: not running)

RESOLUTION = 960  # recorded beats are kept on a 1/960-beat grid, far finer than any playing
SUSTAIN = 64  # the sustain pedal controller


def tempo_clock(tempo_map: TempoMap, start_time: float, start_beat: Fraction = Fraction(0)) -> BeatClock:
    """A beat clock where ``start_beat`` sounds at clock reading ``start_time``."""
    base = tempo_map.seconds_at(start_beat)
    return lambda t: tempo_map.beat_at_seconds(base + t - start_time)


def _to_beat(value: float) -> Fraction:
    return Fraction(round(value * RESOLUTION), RESOLUTION)


def _is_note_off(message: mido.Message) -> bool:
    return message.type == "note_off" or (message.type == "note_on" and message.velocity == 0)


@dataclass
class _Held:
    start: float
    velocity: int


class LiveRecorder:
    """Notes with real-time beats from an input port; see the module docstring."""

    def __init__(
        self,
        beat_clock: BeatClock | None = None,
        *,
        tempo_map: TempoMap | None = None,
        channel: int = 0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._beat_clock = beat_clock
        self._free = beat_clock is None
        self._tempo_map = tempo_map or TempoMap()
        self._channel = channel
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[int, _Held] = {}
        self._sustained: set[int] = set()
        self._pedal_down = False
        self._notes: list[Note] = []
        self._stopped = False

    def on_message(self, message: mido.Message, at: float | None = None) -> None:
        """Input port callback; ``at`` is the clock reading of its arrival (default: now)."""
        stamp = self._clock() if at is None else at
        with self._lock:
            if self._stopped:
                return
            if message.type == "note_on" and message.velocity > 0:
                beat = self._beat(stamp)
                if beat is None:
                    return
                self._close(message.note, beat)  # a re-struck key ends its previous note
                self._sustained.discard(message.note)
                self._held[message.note] = _Held(beat, message.velocity)
            elif _is_note_off(message):
                if self._pedal_down and message.note in self._held:
                    self._sustained.add(message.note)
                else:
                    self._close_at(message.note, stamp)
            elif message.type == "control_change" and message.control == SUSTAIN:
                self._pedal_down = message.value >= 64
                if not self._pedal_down:
                    for pitch in sorted(self._sustained):
                        self._close_at(pitch, stamp)
                    self._sustained.clear()

    def _beat(self, stamp: float) -> float | None:
        if self._beat_clock is None:  # free recording: the first key is beat 0
            self._beat_clock = tempo_clock(self._tempo_map, stamp)
        beat = self._beat_clock(stamp)
        return None if beat is None else max(beat, 0.0)  # a key played in the count-in lands on beat 0

    def _close_at(self, pitch: int, stamp: float) -> None:
        beat = self._beat(stamp) if pitch in self._held else None
        if beat is not None:
            self._close(pitch, beat)

    def _close(self, pitch: int, end: float) -> None:
        held = self._held.pop(pitch, None)
        if held is None:
            return
        start = _to_beat(held.start)
        duration = max(_to_beat(end) - start, Fraction(1, RESOLUTION))
        self._notes.append(Note(start, pitch, duration, held.velocity, self._channel))

    def notes(self, grid: Fraction | None = None) -> tuple[Note, ...]:
        """The notes so far (keys still down end now), quantized to ``grid`` beats if given."""
        with self._lock:
            notes = list(self._notes)
            now = self._beat(self._clock()) if self._held else None
            for pitch, held in self._held.items():
                end = max(now if now is not None else held.start, held.start)
                duration = max(_to_beat(end) - _to_beat(held.start), Fraction(1, RESOLUTION))
                notes.append(Note(_to_beat(held.start), pitch, duration, held.velocity, self._channel))
        if grid is not None:
            if grid <= 0:
                raise OptionError("The quantize grid must be a positive note length.")
            notes = list(quantize_notes(notes, grid))
        return resolve_overlaps(notes)

    def stop(self, grid: Fraction | None = None) -> tuple[Note, ...]:
        """End the take: keys still down end now; later messages are ignored."""
        with self._lock:
            stamp = self._clock()
            for pitch in list(self._held):
                self._close_at(pitch, stamp)
            self._stopped = True
        return self.notes(grid)

    def clear(self) -> None:
        """Forget the take and, in free mode, the clock: the next key is beat 0 again."""
        with self._lock:
            self._notes.clear()
            self._held.clear()
            self._sustained.clear()
            self._stopped = False
            if self._free:
                self._beat_clock = None


class StepRecorder:
    """Step input: each chord becomes notes of ``grid`` beats at the cursor, which then advances."""

    def __init__(
        self,
        cursor: Fraction,
        grid: Fraction,
        *,
        channel: int = 0,
        on_chord: Callable[[tuple[Note, ...]], None] | None = None,
    ) -> None:
        if grid <= 0:
            raise OptionError("The step length must be a positive note length.")
        self._cursor = Fraction(cursor)
        self._grid = Fraction(grid)
        self._channel = channel
        self._on_chord = on_chord
        self._lock = threading.Lock()
        self._down: set[int] = set()
        self._chord: dict[int, Note] = {}
        self._notes: list[Note] = []

    @property
    def cursor(self) -> Fraction:
        with self._lock:
            return self._cursor

    @property
    def grid(self) -> Fraction:
        return self._grid

    @grid.setter
    def grid(self, value: Fraction) -> None:
        if value <= 0:
            raise OptionError("The step length must be a positive note length.")
        with self._lock:
            self._grid = Fraction(value)

    @property
    def notes(self) -> tuple[Note, ...]:
        with self._lock:
            return tuple(sorted(self._notes))

    def rest(self) -> None:
        """Leave one grid step empty."""
        with self._lock:
            self._cursor += self._grid

    def on_message(self, message: mido.Message) -> None:
        """Input port callback."""
        chord: tuple[Note, ...] = ()
        with self._lock:
            if message.type == "note_on" and message.velocity > 0:
                self._down.add(message.note)
                self._chord[message.note] = Note(self._cursor, message.note, self._grid, message.velocity,
                                                 self._channel)
            elif _is_note_off(message) and message.note in self._down:
                self._down.discard(message.note)
                if not self._down and self._chord:  # the whole chord is released: enter it
                    chord = tuple(sorted(self._chord.values()))
                    self._notes.extend(chord)
                    self._chord.clear()
                    self._cursor += self._grid
        if chord and self._on_chord is not None:
            self._on_chord(chord)  # outside the lock: the callback may read the cursor
