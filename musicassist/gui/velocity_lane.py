"""The velocity lane under the roll: one stem per note of the edited track, as high as it is loud.

Notes that start together get stems side by side (``velocity_layout``), so
each of a chord's notes can be seen and dragged. Dragging a stem of a
selected note shifts every selected note's velocity by the same amount (the
selection keeps its dynamics shape). Dragging anywhere else paints: each
stem the pointer crosses takes the pointer's height. Either way the drag is
one undo step.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from musicassist.core.score import Note

from .commands import new_session
from .document import Document
from .note_index import IndexCache
from .roll_geometry import RollGeometry
from .roll_painter import velocity_color
from .velocity_layout import STEM_SPREAD, stem_near, stem_positions

LANE_HEIGHT = 72
_MARGIN = 4
_STEM_HIT_PIXELS = 4.0


class VelocityLane(QWidget):
    def __init__(self, document: Document, geometry: RollGeometry, index_cache: IndexCache,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.roll_geometry = geometry
        self.index_cache = index_cache
        self._session: int | None = None
        self._relative: tuple[Note, ...] = ()  # selected notes as they were when a relative drag began
        self._current: tuple[Note, ...] = ()
        self._start_velocity = 0
        self._last_x: float | None = None
        self.setFixedHeight(LANE_HEIGHT)
        self.setToolTip("Drag stems to change loudness; on a selected note, all selected notes follow.")

    def velocity_at_y(self, y: float) -> int:
        usable = LANE_HEIGHT - 2 * _MARGIN
        return max(1, min(127, round(127 * (LANE_HEIGHT - _MARGIN - y) / usable)))

    def y_of_velocity(self, velocity: int) -> float:
        return LANE_HEIGHT - _MARGIN - velocity * (LANE_HEIGHT - 2 * _MARGIN) / 127

    def _visible(self, first_x: float, last_x: float) -> list[Note]:
        first, last = float(self.roll_geometry.x_to_beat(first_x)), float(self.roll_geometry.x_to_beat(last_x))
        return [n for n in self.index_cache.get(self.document.track.notes).overlapping(first, last)
                if first <= float(n.start) <= last]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.AlternateBase))
        selection = self.document.selection
        for x, note in self._stems(-2, self.width() + 2):
            y = self.y_of_velocity(note.velocity)
            color = QColor(255, 200, 40) if note in selection else velocity_color(note.velocity)
            painter.setPen(QPen(color.darker(130), 2))
            painter.drawLine(QPointF(x, LANE_HEIGHT - _MARGIN), QPointF(x, y))
            painter.setBrush(color)
            painter.drawEllipse(QRectF(x - 3, y - 3, 6, 6))
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 0))
        painter.drawLine(QPointF(0, 0.5), QPointF(self.width(), 0.5))
        painter.end()

    # -- editing --------------------------------------------------------------------------
    def _stems(self, first_x: float, last_x: float) -> list[tuple[float, Note]]:
        """(x, note) of the stems drawn between the two x positions; chords fanned out."""
        margin = 4 * STEM_SPREAD  # a fan reaches a little beyond its start
        placed = stem_positions(self._visible(first_x - margin, last_x + margin), self.roll_geometry.beat_to_x)
        return [(x, n) for x, n in placed if first_x <= x <= last_x]

    def stem_x(self, note: Note) -> float:
        """Where ``note``'s stem is drawn (tests press here)."""
        x = self.roll_geometry.beat_to_x(note.start)
        return next(px for px, n in self._stems(x - 4 * STEM_SPREAD, x + 4 * STEM_SPREAD) if n == note)

    def stem_at(self, x: float) -> Note | None:
        return stem_near(self._stems(x - _STEM_HIT_PIXELS, x + _STEM_HIT_PIXELS), x, _STEM_HIT_PIXELS)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._session = new_session()
        x, y = event.position().x(), event.position().y()
        stem = self.stem_at(x)
        if stem is not None and stem in self.document.selection and len(self.document.selection) > 1:
            self._relative = tuple(self.document.selection)
            self._current = self._relative
            self._start_velocity = self.velocity_at_y(y)
        else:
            self._relative = ()
            self._last_x = x
            self._paint_velocities(x, x, self.velocity_at_y(y))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._session is None:
            return
        x, y = event.position().x(), event.position().y()
        if self._relative:
            delta = self.velocity_at_y(y) - self._start_velocity
            changed = tuple(replace(n, velocity=max(1, min(127, n.velocity + delta))) for n in self._relative)
            if changed != self._current:
                self.document.edit_track_notes(self._current, changed, "Change velocity", session=self._session)
                self._current = changed
        else:
            last_x = self._last_x if self._last_x is not None else x
            self._paint_velocities(min(last_x, x), max(last_x, x), self.velocity_at_y(y))
            self._last_x = x
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._session = None
        self._relative = ()
        self._last_x = None

    def _paint_velocities(self, x0: float, x1: float, velocity: int) -> None:
        """Give every stem between x0 and x1 (or the nearest stem to a click) ``velocity``."""
        notes = [n for _, n in self._stems(x0 - _STEM_HIT_PIXELS, x1 + _STEM_HIT_PIXELS)]
        if x0 == x1:
            stem = self.stem_at(x0)
            notes = [stem] if stem is not None else []
        targets = [n for n in notes if n.velocity != velocity]
        if not targets:
            return
        changed = [replace(n, velocity=velocity) for n in targets]
        selection = (self.document.selection - set(targets)) | {
            c for n, c in zip(targets, changed, strict=True) if n in self.document.selection}
        self.document.edit_track_notes(targets, changed, "Change velocity", selection=selection,
                                       session=self._session)
