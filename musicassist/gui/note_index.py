"""Finding the notes in view fast: start-sorted numpy arrays of one track's notes.

A track's notes are an immutable, start-sorted tuple, so one index per tuple
serves every paint and hit-test until the next edit. The notes overlapping a
span of beats are found with two binary searches (a note can start at most
``max_duration`` before the span and still reach into it) instead of a scan,
and their pixel rectangles are computed for all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from musicassist.core.score import Note

VELOCITY_LEVELS = 16


def velocity_level(velocity: int) -> int:
    """One of VELOCITY_LEVELS colour steps for a MIDI velocity 1..127."""
    return min(VELOCITY_LEVELS - 1, (velocity - 1) * VELOCITY_LEVELS // 127)


class NoteIndex:
    def __init__(self, notes: Sequence[Note]):
        self.notes = tuple(notes)  # Track.notes is already sorted by start
        count = len(self.notes)
        self.starts = np.fromiter((float(n.start) for n in self.notes), dtype=np.float64, count=count)
        self.durations = np.fromiter((float(n.duration) for n in self.notes), dtype=np.float64, count=count)
        self.ends = self.starts + self.durations
        self.pitches = np.fromiter((n.pitch for n in self.notes), dtype=np.int64, count=count)
        self.levels = np.fromiter((velocity_level(n.velocity) for n in self.notes), dtype=np.int64, count=count)
        self.max_duration = float(self.durations.max()) if count else 0.0
        self._positions: dict[Note, int] | None = None

    def __len__(self) -> int:
        return len(self.notes)

    def span(self, first_beat: float, last_beat: float, low: int = 0, high: int = 127) -> np.ndarray:
        """Indices of the notes sounding in ``first_beat..last_beat`` with a pitch in ``low..high``."""
        lo = int(np.searchsorted(self.starts, first_beat - self.max_duration, side="left"))
        hi = int(np.searchsorted(self.starts, last_beat, side="right"))
        pitches = self.pitches[lo:hi]
        keep = (self.ends[lo:hi] > first_beat) & (pitches >= low) & (pitches <= high)
        return np.flatnonzero(keep) + lo

    def overlapping(self, first_beat: float, last_beat: float, low: int = 0, high: int = 127) -> list[Note]:
        return [self.notes[i] for i in self.span(first_beat, last_beat, low, high).tolist()]

    def indices_of(self, notes: Iterable[Note]) -> np.ndarray:
        """Positions of ``notes`` in the index (those not in it are skipped)."""
        if self._positions is None:  # built on first need: most paints have no selection
            self._positions = {n: i for i, n in enumerate(self.notes)}
        positions = self._positions
        found = [positions[n] for n in notes if n in positions]
        return np.array(sorted(found), dtype=np.int64)


class IndexCache:
    """One NoteIndex per notes tuple; tuples are immutable, so identity is a safe key."""

    def __init__(self, size: int = 16):
        self._size = size
        self._entries: dict[int, tuple[tuple[Note, ...], NoteIndex]] = {}

    def get(self, notes: tuple[Note, ...]) -> NoteIndex:
        entry = self._entries.get(id(notes))
        if entry is not None and entry[0] is notes:
            return entry[1]
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        index = NoteIndex(notes)
        self._entries[id(notes)] = (notes, index)  # holding the tuple keeps its id unique
        return index
