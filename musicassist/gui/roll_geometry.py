"""Pixels <-> (pitch, beat): the only place where screen coordinates meet musical time.

The roll, ruler, keyboard and velocity lane all share one ``RollGeometry``.
Coordinates are widget-local: ``x`` grows with beats from the left edge of the
roll viewport, ``y`` grows downwards from pitch 127. Scrolling and zoom are
state of the geometry, so every widget that paints from it agrees exactly.
Qt-free on purpose: it is plain arithmetic and is tested without a display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from musicassist.core.score import Note
from musicassist.core.timemaps import MeterMap

PITCH_COUNT = 128
MIN_PIXELS_PER_BEAT = 2.0
MAX_PIXELS_PER_BEAT = 800.0
MIN_KEY_HEIGHT = 3.0
MAX_KEY_HEIGHT = 40.0
RESIZE_HANDLE_PIXELS = 6.0  # a press this close to a note's right edge resizes it
# Fractions finer than this are noise from float pixels; snapping "off" rounds to it.
FINEST_BEAT = Fraction(1, 960)


@dataclass
class RollGeometry:
    """Zoom (pixels per beat, key height) and scroll offset of the roll, in pixels."""

    pixels_per_beat: float = 60.0
    key_height: float = 12.0
    scroll_x: float = 0.0  # content pixels hidden left of the viewport
    scroll_y: float = 0.0  # content pixels hidden above the viewport

    # -- horizontal: beats ------------------------------------------------------------
    def beat_to_x(self, beat: Fraction | float) -> float:
        return float(beat) * self.pixels_per_beat - self.scroll_x

    def x_to_beat(self, x: float) -> Fraction:
        """Exact-ish beat under ``x`` (rounded to 1/960 beat, never negative)."""
        beat = (x + self.scroll_x) / self.pixels_per_beat
        return max(Fraction(0), Fraction(round(beat * 960), 960))

    def visible_beats(self, width: float) -> tuple[float, float]:
        left = self.scroll_x / self.pixels_per_beat
        return left, left + width / self.pixels_per_beat

    def content_width(self, beats: Fraction | float) -> float:
        return float(beats) * self.pixels_per_beat

    # -- vertical: pitches ------------------------------------------------------------
    def pitch_to_y(self, pitch: int) -> float:
        """Top edge of the row of ``pitch``."""
        return (PITCH_COUNT - 1 - pitch) * self.key_height - self.scroll_y

    def y_to_pitch(self, y: float) -> int:
        row = math.floor((y + self.scroll_y) / self.key_height)
        return max(0, min(PITCH_COUNT - 1, PITCH_COUNT - 1 - row))

    def visible_pitches(self, height: float) -> tuple[int, int]:
        """Lowest and highest pitch with any row visible."""
        return self.y_to_pitch(height), self.y_to_pitch(0.0)

    @property
    def content_height(self) -> float:
        return PITCH_COUNT * self.key_height

    # -- notes -------------------------------------------------------------------------
    def note_rect(self, note: Note, offset: Fraction = Fraction(0)) -> tuple[float, float, float, float]:
        """(x, y, width, height) of ``note`` drawn ``offset`` beats later; at least 2 px wide."""
        x = self.beat_to_x(note.start + offset)
        width = max(2.0, float(note.duration) * self.pixels_per_beat)
        return x, self.pitch_to_y(note.pitch), width, self.key_height

    def note_rects(self, starts: np.ndarray, durations: np.ndarray, pitches: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``note_rect`` for many notes at once (float beats): arrays of x, y and width."""
        x = starts * self.pixels_per_beat - self.scroll_x
        y = (PITCH_COUNT - 1 - pitches) * self.key_height - self.scroll_y
        return x, y, np.maximum(2.0, durations * self.pixels_per_beat)

    def point_at(self, pitch: int, beat: Fraction | float) -> tuple[float, float]:
        """Widget point in the middle of ``pitch``'s row at ``beat`` (tests click here)."""
        return self.beat_to_x(beat), self.pitch_to_y(pitch) + self.key_height / 2

    def near_right_edge(self, note: Note, x: float) -> bool:
        left, _, width, _ = self.note_rect(note)
        handle = min(RESIZE_HANDLE_PIXELS, width / 3)
        return left + width - handle <= x <= left + width + 1

    # -- zoom ----------------------------------------------------------------------------
    def zoom_horizontally(self, factor: float, anchor_x: float) -> None:
        """Zoom keeping the beat under ``anchor_x`` where it is."""
        beat = (anchor_x + self.scroll_x) / self.pixels_per_beat
        self.pixels_per_beat = min(MAX_PIXELS_PER_BEAT, max(MIN_PIXELS_PER_BEAT, self.pixels_per_beat * factor))
        self.scroll_x = max(0.0, beat * self.pixels_per_beat - anchor_x)

    def zoom_vertically(self, factor: float, anchor_y: float) -> None:
        row = (anchor_y + self.scroll_y) / self.key_height
        self.key_height = min(MAX_KEY_HEIGHT, max(MIN_KEY_HEIGHT, self.key_height * factor))
        self.scroll_y = max(0.0, row * self.key_height - anchor_y)

    def fill_height(self, height: float) -> None:
        """Rows at least tall enough that the 128 pitches fill ``height``; scroll kept inside the content.

        Zoomed out further, the keyboard and grid would end part-way down the roll.
        """
        if height > 0:
            self.key_height = min(MAX_KEY_HEIGHT, max(self.key_height, height / PITCH_COUNT))
        self.scroll_y = max(0.0, min(self.scroll_y, self.content_height - height))

    def fit_beats(self, first: float, last: float, width: float) -> None:
        """Zoom and scroll so that beats ``first..last`` fill ``width`` (with a small margin)."""
        span = max(1.0, last - first)
        self.pixels_per_beat = min(MAX_PIXELS_PER_BEAT, max(MIN_PIXELS_PER_BEAT, 0.96 * width / span))
        self.scroll_x = max(0.0, first * self.pixels_per_beat - 0.02 * width)

    def fit_pitches(self, low: int, high: int, height: float, margin: int = 3) -> None:
        """Rows sized so ``low..high`` (plus ``margin`` rows each side) fill ``height``, centred."""
        rows = high - low + 1 + 2 * margin
        self.key_height = min(MAX_KEY_HEIGHT, max(MIN_KEY_HEIGHT, height / rows))
        self.fill_height(height)
        self.center_on_pitch((low + high) / 2, height)

    def center_on_pitch(self, pitch: float, height: float) -> None:
        top = (PITCH_COUNT - 1 - pitch) * self.key_height + self.key_height / 2 - height / 2
        self.scroll_y = max(0.0, min(top, self.content_height - height))


def snap_beat(beat: Fraction, grid: Fraction | None, meter_map: MeterMap, mode: str = "nearest") -> Fraction:
    """Snap ``beat`` to ``grid`` counted from its barline (so 7/8 bars snap right).

    ``grid`` None means snapping off. ``mode`` is "nearest" or "floor" (a click
    in a grid cell starts the note at the cell's left edge, as in a DAW).
    """
    if grid is None or grid <= 0:
        return beat
    bar_start = meter_map.bar_start(meter_map.bar_at(max(beat, Fraction(0))))
    cells = (beat - bar_start) / grid
    whole = math.floor(cells) if mode == "floor" else math.floor(cells + Fraction(1, 2))
    return max(Fraction(0), bar_start + whole * grid)
