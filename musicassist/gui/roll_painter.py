"""Painting the piano roll: grid, notes coloured by velocity, ghosts, playhead.

Kept apart from the widget so the same code paints the screen, the exported
PNG and the benchmark's offscreen image. Speed comes from culling (the
``NoteIndex`` finds the notes in view by binary search, not a scan), batching
(rectangles of one colour go to Qt in one ``drawRects`` call, not one call
and one brush change per note), opaque grid lines (blending is the raster
engine's slow path), and, when thousands of notes are in view, rasterising
them all in one numpy pass into a small image that Qt scales into place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPalette, QPen

from musicassist.core.score import BarRange, Note, Score
from musicassist.core.timemaps import MeterMap, TimeSignature

from .note_index import VELOCITY_LEVELS, IndexCache, NoteIndex, velocity_level
from .roll_geometry import RollGeometry

_BLACK_KEYS = frozenset((1, 3, 6, 8, 10))
# Above this many notes in view (zoomed far out) notes are rasterised in one numpy pass
# (see dense_note_image) instead of drawn one rectangle each: they share few pixels anyway.
_DENSE_ABOVE = 1500
_SELECTED = QColor(255, 230, 90)
_GHOST = QColor(150, 90, 225)
REPLACED_WASH_ALPHA = 190  # how far a note Accept would replace fades towards the background


def velocity_color(velocity: int) -> QColor:
    """Soft notes cool blue, loud notes warm orange-red: the usual DAW convention."""
    t = max(0.0, min(1.0, (velocity - 1) / 126))
    hue = int(210 - 200 * t)  # 210 (blue) -> 10 (red)
    return QColor.fromHsv(hue, int(150 + 80 * t), int(200 + 40 * t))


_LEVEL_COLORS = [velocity_color(1 + round(i * 126 / (VELOCITY_LEVELS - 1))) for i in range(VELOCITY_LEVELS)]


def level_color(velocity: int) -> QColor:
    """The colour a note of ``velocity`` is painted with (one of VELOCITY_LEVELS steps)."""
    return _LEVEL_COLORS[velocity_level(velocity)]


def _mix(base: QColor, other: QColor, amount: float) -> QColor:
    """``other`` laid over ``base`` at ``amount`` opacity, as one opaque colour."""
    def blend(b: int, o: int) -> int:
        return round(b + (o - b) * amount)

    return QColor(blend(base.red(), other.red()), blend(base.green(), other.green()),
                  blend(base.blue(), other.blue()))


def note_rects(geometry: RollGeometry, index: NoteIndex, chosen: np.ndarray) -> list[QRectF]:
    """Rectangles of the notes at positions ``chosen`` of ``index``, ready for ``drawRects``."""
    if not len(chosen):
        return []
    x, y, width = geometry.note_rects(index.starts[chosen], index.durations[chosen], index.pitches[chosen])
    height = geometry.key_height
    return [QRectF(a, b, c, height) for a, b, c in zip(x.tolist(), y.tolist(), width.tolist(), strict=True)]


def dense_note_image(geometry: RollGeometry, layers: list[tuple[NoteIndex, np.ndarray, np.ndarray]],
                     colors: list[QColor], width: float, low: int, high: int) -> tuple[QImage, np.ndarray]:
    """Zoomed far out: all notes rasterised at once into one pixel column per x, one row per pitch.

    ``layers`` are (index, positions, colour keys); each note fills its columns
    of its pitch row with its key, the highest key winning where notes meet
    (so the edited track lies over dimmed ones and the selection over all).
    Key k is drawn in ``colors[k - 1]``; 0 stays transparent. The image is
    scaled to the key height when drawn. Costs one numpy pass, however many notes.
    Returns the image and the pixel buffer it uses (keep it alive while drawing).
    """
    columns, rows = max(1, int(np.ceil(width))), high - low + 1
    grid = np.zeros((rows, columns), dtype=np.uint8)
    for index, chosen, keys in layers:
        if not len(chosen):
            continue
        x, _, span = geometry.note_rects(index.starts[chosen], index.durations[chosen], index.pitches[chosen])
        left = np.clip(np.floor(x), 0, columns).astype(np.int64)
        right = np.clip(np.ceil(x + span), 0, columns).astype(np.int64)
        lengths = np.maximum(right - left, 0)
        total = int(lengths.sum())
        if total == 0:
            continue
        # Expand every note into its columns: start + 0, 1, ... length-1, all notes in one array.
        firsts = np.repeat(left, lengths)
        steps = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        note_rows = np.repeat(high - index.pitches[chosen], lengths)
        np.maximum.at(grid, (note_rows, firsts + steps), np.repeat(keys.astype(np.uint8), lengths))
    palette = np.array([0] + [c.rgba() for c in colors], dtype=np.uint32)
    pixels = np.ascontiguousarray(palette[grid])
    image = QImage(pixels.data, columns, rows, columns * 4, QImage.Format.Format_ARGB32)
    return image, pixels


def bars_in_view(meter: MeterMap, first_bar: int, last_bar: int) -> Iterator[tuple[int, float, TimeSignature]]:
    """(bar, start beat as float, time signature) of bars first..last, without Fraction arithmetic per bar."""
    beat = float(meter.bar_start(first_bar))
    change_bars = [c.bar for c in meter.changes]
    signature = meter.time_signature_at_bar(first_bar)
    for bar in range(first_bar, last_bar + 1):
        if bar in change_bars:
            signature = meter.time_signature_at_bar(bar)
        yield bar, beat, signature
        beat += 4 * signature.numerator / signature.denominator


@dataclass
class Ghost:
    """A candidate shown in the roll: its notes, drawn ``offset`` beats later."""

    notes: tuple[Note, ...]
    offset: Fraction
    locked: frozenset[Note] = field(default_factory=frozenset)
    replaced: tuple[Note, ...] = ()  # notes of the document Accept would remove or cut (replace mode)


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
        # Grid lines are opaque mixes, not translucent colours: the raster engine draws opaque
        # lines about eight times faster, and the grid is most of what a paint draws.
        self.bar_line = _mix(self.background, text, 0.6)
        self.beat_line = _mix(self.background, text, 0.25)
        self.sub_line = _mix(self.background, text, 0.1)
        self.other_track = QColor(text.red(), text.green(), text.blue(), 55)
        self.highlight = palette.color(QPalette.ColorRole.Highlight)

    # -- entry point ------------------------------------------------------------------------
    def paint(self, painter: QPainter, geometry: RollGeometry, scene: RollScene, width: float,
              height: float) -> None:
        first_beat, last_beat = geometry.visible_beats(width)
        low, high = geometry.visible_pitches(height)
        painter.fillRect(QRectF(0, 0, width, height), self.background)
        self._paint_rows(painter, geometry, low, high, width)
        self._paint_bar_selection(painter, geometry, scene, height)
        self._paint_grid(painter, geometry, scene, first_beat, last_beat, height)
        if not self._paint_dense(painter, geometry, scene, first_beat, last_beat, low, high, width):
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
        return self.index_cache.get(notes).overlapping(first, last, low, high)

    # -- layers -----------------------------------------------------------------------------
    def _paint_rows(self, painter: QPainter, geometry: RollGeometry, low: int, high: int, width: float) -> None:
        for pitch in range(low, high + 1):
            if pitch % 12 in _BLACK_KEYS:
                painter.fillRect(QRectF(0, geometry.pitch_to_y(pitch), width, geometry.key_height), self.black_row)
        painter.setPen(QPen(self.beat_line, 0))
        for pitch in range(low, high + 1):
            if pitch % 12 == 0:  # a line under every C helps reading octaves
                y = geometry.pitch_to_y(pitch) + geometry.key_height
                painter.drawLine(QPointF(0, y), QPointF(width, y))

    def _paint_bar_selection(self, painter: QPainter, geometry: RollGeometry, scene: RollScene,
                             height: float) -> None:
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
        grid = float(scene.grid) if scene.grid else 0.0
        ppb = geometry.pixels_per_beat
        for bar, start, signature in bars_in_view(meter, first_bar, last_bar):
            if bar % bar_step == 0:
                x = geometry.beat_to_x(start)
                bar_lines += [QPointF(x, 0), QPointF(x, height)]
            if bar_step > 1:
                continue
            beat_unit = 4 / signature.denominator
            if ppb * beat_unit >= 6:
                for k in range(1, signature.numerator):
                    x = geometry.beat_to_x(start + k * beat_unit)
                    beat_lines += [QPointF(x, 0), QPointF(x, height)]
            if grid and grid < beat_unit and ppb * grid >= 8:
                cells = round(signature.numerator * beat_unit / grid)
                for k in range(1, cells):
                    if abs(k * grid / beat_unit - round(k * grid / beat_unit)) > 1e-9:  # not on a beat line
                        x = geometry.beat_to_x(start + k * grid)
                        sub_lines += [QPointF(x, 0), QPointF(x, height)]
        for color, lines in ((self.sub_line, sub_lines), (self.beat_line, beat_lines), (self.bar_line, bar_lines)):
            if lines:
                painter.setPen(QPen(color, 0))
                painter.drawLines(lines)

    def _paint_dense(self, painter: QPainter, geometry: RollGeometry, scene: RollScene,
                     first: float, last: float, low: int, high: int, width: float) -> bool:
        """Paint all tracks' notes as one raster image when very many are in view; False if not."""
        spans = [(self.index_cache.get(t.notes), t) for t in scene.score.tracks]
        visible = [(index, index.span(first, last, low, high)) for index, _ in spans]
        if sum(len(v) for _, v in visible) <= _DENSE_ABOVE:
            return False
        layers = []
        for i, (index, chosen) in enumerate(visible):
            if i != scene.current_track:
                layers.append((index, chosen, np.ones(len(chosen), dtype=np.int64)))
                continue
            keys = index.levels[chosen] + 2  # 1 is the dimmed tracks' key
            if scene.selection:
                keys[np.isin(chosen, index.indices_of(scene.selection))] = VELOCITY_LEVELS + 2
            layers.append((index, chosen, keys))
        image, _pixels = dense_note_image(geometry, layers, [self.other_track, *_LEVEL_COLORS, _SELECTED],
                                          width, low, high)
        top = geometry.pitch_to_y(high)
        painter.drawImage(QRectF(0, top, image.width(), (high - low + 1) * geometry.key_height), image,
                          QRectF(0, 0, image.width(), image.height()))
        return True

    def _paint_dimmed(self, painter: QPainter, geometry: RollGeometry, notes: tuple[Note, ...],
                      first: float, last: float, low: int, high: int) -> None:
        index = self.index_cache.get(notes)
        visible = index.span(first, last, low, high)
        if len(visible):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.other_track)
            painter.drawRects(note_rects(geometry, index, visible))

    def _paint_notes(self, painter: QPainter, geometry: RollGeometry, notes: tuple[Note, ...],
                     selection: frozenset[Note], first: float, last: float, low: int, high: int) -> None:
        index = self.index_cache.get(notes)
        visible = index.span(first, last, low, high)
        selected = np.intersect1d(index.indices_of(selection), visible) if selection else visible[:0]
        if len(selected):
            visible = np.setdiff1d(visible, selected, assume_unique=True)
        levels = index.levels[visible]
        for level in np.unique(levels).tolist():
            color = _LEVEL_COLORS[level]
            painter.setPen(QPen(color.darker(160), 0))
            painter.setBrush(color)
            painter.drawRects(note_rects(geometry, index, visible[levels == level]))
        if len(selected):
            painter.setPen(QPen(QColor(20, 20, 20), 1.5))
            painter.setBrush(_SELECTED)
            painter.drawRects(note_rects(geometry, index, selected))

    def _paint_ghost(self, painter: QPainter, geometry: RollGeometry, ghost: Ghost, low: int, high: int) -> None:
        self._paint_replaced(painter, geometry, ghost.replaced, low, high)
        # Violet: apart from the velocity colours, the selection yellow and the bar-range highlight.
        color = QColor(_GHOST)
        color.setAlpha(140)
        outline = QPen(_GHOST.darker(150), 1.0, Qt.PenStyle.DashLine)
        locked_pen = QPen(_GHOST.darker(220), 2.5)
        for note in ghost.notes:
            if not low <= note.pitch <= high:
                continue
            painter.setPen(locked_pen if note in ghost.locked else outline)
            painter.setBrush(color)
            painter.drawRect(QRectF(*geometry.note_rect(note, ghost.offset)))

    def _paint_replaced(self, painter: QPainter, geometry: RollGeometry, notes: tuple[Note, ...], low: int,
                        high: int) -> None:
        """Notes Accept would replace: washed out towards the background and struck through."""
        if not notes:
            return
        wash = QColor(self.background)
        wash.setAlpha(REPLACED_WASH_ALPHA)
        strike = QPen(self.bar_line, 1.5)
        for note in notes:
            if not low <= note.pitch <= high:
                continue
            x, y, width, height = geometry.note_rect(note)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(wash)
            painter.drawRect(QRectF(x, y, width, height))
            painter.setPen(strike)
            painter.drawLine(QPointF(x, y + height / 2), QPointF(x + width, y + height / 2))

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
