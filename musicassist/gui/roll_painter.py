"""Painting the piano roll: grid, notes coloured by velocity, ghosts, playhead.

Kept apart from the widget so the same code paints the screen, the exported
PNG and the benchmark's offscreen image. Speed comes from two things: a
``NoteIndex`` that finds the notes in view with a bisect instead of a scan
(culling), and batching: rectangles of one colour go to Qt in a single
``drawRects`` call instead of one call (and one brush change) per note.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen

from musicassist.core.score import BarRange, Note, Score

from .roll_geometry import RollGeometry

VELOCITY_LEVELS = 16
_BLACK_KEYS = frozenset((1, 3, 6, 8, 10))


def velocity_color(velocity: int) -> QColor:
    """Soft notes cool blue, loud notes warm orange-red: the usual DAW convention."""
    t = max(0.0, min(1.0, (velocity - 1) / 126))
    hue = int(210 - 200 * t)  # 210 (blue) -> 10 (red)
    return QColor.fromHsv(hue, int(150 + 80 * t), int(200 + 40 * t))


_LEVEL_COLORS = [velocity_color(1 + round(i * 126 / (VELOCITY_LEVELS - 1))) for i in range(VELOCITY_LEVELS)]


def velocity_level(velocity: int) -> int:
    return min(VELOCITY_LEVELS - 1, (velocity - 1) * VELOCITY_LEVELS // 127)


class NoteIndex:
    """Notes sorted by start, with the longest duration, to find those overlapping a span fast."""

    def __init__(self, notes: Sequence[Note]):
        self.notes = tuple(notes)  # Track.notes is already sorted by start
        self.starts = [float(n.start) for n in self.notes]
        self.max_duration = max((float(n.duration) for n in self.notes), default=0.0)

    def overlapping(self, first_beat: float, last_beat: float) -> list[Note]:
        """Notes sounding somewhere in ``first_beat..last_beat``."""
        lo = bisect.bisect_left(self.starts, first_beat - self.max_duration)
        hi = bisect.bisect_right(self.starts, last_beat)
        return [n for n in self.notes[lo:hi] if float(n.end) > first_beat]


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


@dataclass
class Ghost:
    """A candidate shown in the roll: its notes, drawn ``offset`` beats later."""

    notes: tuple[Note, ...]
    offset: Fraction
    locked: frozenset[Note] = field(default_factory=frozenset)


@dataclass
class RollScene:
    """Everything the roll shows besides the geometry; the widget keeps it current."""

    score: Score
    current_track: int = 0
    selection: frozenset[Note] = frozenset()
    ghost: Ghost | None = None
    bar_selection: BarRange | None = None
    cursor_beat: Fraction | None = None
    playhead_beat: float | None = None
    grid: Fraction | None = Fraction(1, 4)


class RollPainter:
    def __init__(self, palette: QPalette | None = None):
        self.index_cache = IndexCache()
        self.set_palette(palette or QPalette())

    def set_palette(self, palette: QPalette) -> None:
        """Follow the system theme: light or dark background, lines from the text colour."""
        self.background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark_theme = self.background.lightness() < 128
        self.black_row = self.background.darker(108) if not dark_theme else self.background.lighter(125)
        self.bar_line = QColor(text.red(), text.green(), text.blue(), 150)
        self.beat_line = QColor(text.red(), text.green(), text.blue(), 60)
        self.sub_line = QColor(text.red(), text.green(), text.blue(), 25)
        self.other_track = QColor(text.red(), text.green(), text.blue(), 55)
        self.highlight = palette.color(QPalette.ColorRole.Highlight)

    # -- entry point ------------------------------------------------------------------------
    def paint(self, painter: QPainter, geometry: RollGeometry, scene: RollScene, width: float, height: float):
        first_beat, last_beat = geometry.visible_beats(width)
        low, high = geometry.visible_pitches(height)
        painter.fillRect(QRectF(0, 0, width, height), self.background)
        self._paint_rows(painter, geometry, low, high, width)
        self._paint_bar_selection(painter, geometry, scene, height)
        self._paint_grid(painter, geometry, scene, first_beat, last_beat, height)
        for i, track in enumerate(scene.score.tracks):
            if i != scene.current_track:
                self._paint_dimmed(painter, geometry, track.notes, first_beat, last_beat, low, high)
        if 0 <= scene.current_track < len(scene.score.tracks):
            notes = scene.score.tracks[scene.current_track].notes
            self._paint_notes(painter, geometry, notes, scene.selection, first_beat, last_beat, low, high)
        if scene.ghost is not None:
            self._paint_ghost(painter, geometry, scene.ghost, low, high)
        self._paint_lines(painter, geometry, scene, height)

    def visible_notes(
        self, geometry: RollGeometry, notes: tuple[Note, ...], first: float, last: float, low: int, high: int
    ) -> list[Note]:
        return [n for n in self.index_cache.get(notes).overlapping(first, last) if low <= n.pitch <= high]

    # -- layers -----------------------------------------------------------------------------
    def _paint_rows(self, painter: QPainter, geometry: RollGeometry, low: int, high: int, width: float):
        for pitch in range(low, high + 1):
            if pitch % 12 in _BLACK_KEYS:
                painter.fillRect(QRectF(0, geometry.pitch_to_y(pitch), width, geometry.key_height), self.black_row)
        painter.setPen(QPen(self.beat_line, 0))
        for pitch in range(low, high + 1):
            if pitch % 12 == 0:  # a line under every C helps reading octaves
                y = geometry.pitch_to_y(pitch) + geometry.key_height
                painter.drawLine(QPointF(0, y), QPointF(width, y))

    def _paint_bar_selection(self, painter: QPainter, geometry: RollGeometry, scene: RollScene, height: float):
        if scene.bar_selection is None:
            return
        meter = scene.score.meter_map
        x0 = geometry.beat_to_x(meter.bar_start(scene.bar_selection.start))
        x1 = geometry.beat_to_x(meter.bar_start(scene.bar_selection.end))
        color = QColor(self.highlight)
        color.setAlpha(40)
        painter.fillRect(QRectF(x0, 0, x1 - x0, height), color)

    def _paint_grid(self, painter: QPainter, geometry: RollGeometry, scene: RollScene,
                    first_beat: float, last_beat: float, height: float) -> None:
        meter = scene.score.meter_map
        first_bar = meter.bar_at(Fraction(max(0.0, first_beat)).limit_denominator(960))
        last_bar = meter.bar_at(Fraction(max(0.0, last_beat)).limit_denominator(960)) + 1
        bar_lines: list[QPointF] = []
        beat_lines: list[QPointF] = []
        sub_lines: list[QPointF] = []
        # Thin out lines that would be closer than a few pixels: they only add noise.
        bar_step = 1
        while geometry.pixels_per_beat * float(meter.bar_length(first_bar)) * bar_step < 8:
            bar_step *= 2
        for bar in range(first_bar, last_bar + 1):
            start = meter.bar_start(bar)
            if bar % bar_step == 0:
                x = geometry.beat_to_x(start)
                bar_lines += [QPointF(x, 0), QPointF(x, height)]
            signature = meter.time_signature_at_bar(bar)
            beat_unit = Fraction(4, signature.denominator)
            if bar_step == 1 and geometry.pixels_per_beat * float(beat_unit) >= 6:
                for k in range(1, signature.numerator):
                    x = geometry.beat_to_x(start + k * beat_unit)
                    beat_lines += [QPointF(x, 0), QPointF(x, height)]
            grid = scene.grid
            if grid and grid < beat_unit and geometry.pixels_per_beat * float(grid) >= 8:
                cells = int(signature.bar_beats / grid)
                for k in range(1, cells + 1):
                    offset = k * grid
                    if offset % beat_unit:
                        x = geometry.beat_to_x(start + offset)
                        sub_lines += [QPointF(x, 0), QPointF(x, height)]
        for color, lines in ((self.sub_line, sub_lines), (self.beat_line, beat_lines), (self.bar_line, bar_lines)):
            if lines:
                painter.setPen(QPen(color, 0))
                painter.drawLines(lines)

    def _paint_dimmed(self, painter: QPainter, geometry: RollGeometry, notes: tuple[Note, ...],
                      first: float, last: float, low: int, high: int) -> None:
        rects = [QRectF(*geometry.note_rect(n)) for n in self.visible_notes(geometry, notes, first, last, low, high)]
        if rects:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.other_track)
            painter.drawRects(rects)

    def _paint_notes(self, painter: QPainter, geometry: RollGeometry, notes: tuple[Note, ...],
                     selection: frozenset[Note], first: float, last: float, low: int, high: int) -> None:
        buckets: list[list[QRectF]] = [[] for _ in range(VELOCITY_LEVELS)]
        selected: list[QRectF] = []
        for note in self.visible_notes(geometry, notes, first, last, low, high):
            rect = QRectF(*geometry.note_rect(note))
            if note in selection:
                selected.append(rect)
            else:
                buckets[velocity_level(note.velocity)].append(rect)
        for level, rects in enumerate(buckets):
            if rects:
                color = _LEVEL_COLORS[level]
                painter.setPen(QPen(color.darker(160), 0))
                painter.setBrush(color)
                painter.drawRects(rects)
        if selected:
            painter.setPen(QPen(QColor(20, 20, 20), 1.5))
            painter.setBrush(QColor(255, 230, 90))
            painter.drawRects(selected)

    def _paint_ghost(self, painter: QPainter, geometry: RollGeometry, ghost: Ghost, low: int, high: int) -> None:
        color = QColor(self.highlight)
        color.setAlpha(90)
        outline = QPen(self.highlight.darker(130), 1.0, Qt.PenStyle.DashLine)
        locked_pen = QPen(self.highlight.darker(170), 2.0)
        for note in ghost.notes:
            if not low <= note.pitch <= high:
                continue
            painter.setPen(locked_pen if note in ghost.locked else outline)
            painter.setBrush(color)
            painter.drawRect(QRectF(*geometry.note_rect(note, ghost.offset)))

    def _paint_lines(self, painter: QPainter, geometry: RollGeometry, scene: RollScene, height: float) -> None:
        if scene.cursor_beat is not None:
            x = geometry.beat_to_x(scene.cursor_beat)
            painter.setPen(QPen(QColor(40, 160, 80), 1.0, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, 0), QPointF(x, height))
        if scene.playhead_beat is not None:
            x = geometry.beat_to_x(scene.playhead_beat)
            painter.setPen(QPen(QColor(220, 40, 40), 2.0))
            painter.drawLine(QPointF(x, 0), QPointF(x, height))


def paint_naively(painter: QPainter, geometry: RollGeometry, score: Score, width: float, height: float) -> None:
    """The baseline the benchmark compares with: every note, one brush change and draw call each."""
    painter.fillRect(QRectF(0, 0, width, height), QColor(255, 255, 255))
    for track in score.tracks:
        for note in track.notes:
            color = velocity_color(note.velocity)
            painter.setPen(QPen(color.darker(160), 0))
            painter.setBrush(QBrush(color))
            painter.drawRect(QRectF(*geometry.note_rect(note)))
