"""The bar/beat ruler above the roll: bar numbers and bar-range selection (changes: ``map_lane``).

Dragging across the ruler selects whole bars: that range is what the
assistant continues. A right-click clears it. Bars are shown 1-based, as the
composer counts them; the document keeps the core's 0-based ``BarRange``.
"""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from musicassist.core.score import BarRange

from .document import Document
from .roll_geometry import RollGeometry

RULER_HEIGHT = 34


class Ruler(QWidget):
    def __init__(self, document: Document, geometry: RollGeometry, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.roll_geometry = geometry
        self.playhead_beat: float | None = None
        self._drag_from_bar: int | None = None
        self.setFixedHeight(RULER_HEIGHT)
        self.setToolTip("Drag across bars to choose what the assistant continues; right-click to clear.")

    def bar_at_x(self, x: float) -> int:
        return self.document.score.meter_map.bar_at(self.roll_geometry.x_to_beat(x))

    def x_of_bar(self, bar: int) -> float:
        """Left edge of 0-based ``bar`` (tests drag from here)."""
        return self.roll_geometry.beat_to_x(self.document.score.meter_map.bar_start(bar))

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Button))
        text = palette.color(QPalette.ColorRole.ButtonText)
        meter = self.document.score.meter_map
        geometry = self.roll_geometry
        first_beat, last_beat = geometry.visible_beats(self.width())
        first_bar = meter.bar_at(Fraction(max(0.0, first_beat)).limit_denominator(960))
        last_bar = meter.bar_at(Fraction(max(0.0, last_beat)).limit_denominator(960)) + 1
        self._paint_selection(painter, palette)
        label_every = 1
        while geometry.pixels_per_beat * float(meter.bar_length(first_bar)) * label_every < 28:
            label_every *= 2
        for bar in range(first_bar, last_bar + 1):
            x = geometry.beat_to_x(meter.bar_start(bar))
            painter.setPen(QPen(text, 0))
            if bar % label_every == 0:
                painter.drawLine(QPointF(x, RULER_HEIGHT / 2), QPointF(x, RULER_HEIGHT))
                painter.drawText(QPointF(x + 3, RULER_HEIGHT - 5), str(bar + 1))
            signature = meter.time_signature_at_bar(bar)
            beat_unit = Fraction(4, signature.denominator)
            if label_every == 1 and geometry.pixels_per_beat * float(beat_unit) >= 8:
                painter.setPen(QPen(text, 0))
                for k in range(1, signature.numerator):
                    bx = geometry.beat_to_x(meter.bar_start(bar) + k * beat_unit)
                    painter.drawLine(QPointF(bx, RULER_HEIGHT - 6), QPointF(bx, RULER_HEIGHT))
        self._paint_markers(painter)
        painter.setPen(QPen(text, 0))
        painter.drawLine(QPointF(0, RULER_HEIGHT - 0.5), QPointF(self.width(), RULER_HEIGHT - 0.5))
        painter.end()

    def _paint_selection(self, painter: QPainter, palette: QPalette) -> None:
        bars = self.document.bar_selection
        if bars is None:
            return
        x0, x1 = self.x_of_bar(bars.start), self.x_of_bar(bars.end)
        color = QColor(palette.color(QPalette.ColorRole.Highlight))
        color.setAlpha(150)
        painter.fillRect(QRectF(x0, 0, x1 - x0, RULER_HEIGHT), color)

    def _paint_markers(self, painter: QPainter) -> None:
        x = self.roll_geometry.beat_to_x(self.document.cursor_beat)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(40, 160, 80))
        painter.drawPolygon(QPolygonF([QPointF(x - 5, RULER_HEIGHT - 8), QPointF(x + 5, RULER_HEIGHT - 8),
                                       QPointF(x, RULER_HEIGHT)]))
        if self.playhead_beat is not None:
            px = self.roll_geometry.beat_to_x(self.playhead_beat)
            painter.setBrush(QColor(220, 40, 40))
            painter.drawPolygon(QPolygonF([QPointF(px - 6, 0), QPointF(px + 6, 0), QPointF(px, 10)]))

    # -- mouse ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.document.set_bar_selection(None)
            self.update()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from_bar = self.bar_at_x(event.position().x())
            self._select_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from_bar is not None:
            self._select_to(event.position().x())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from_bar is not None:
            self._select_to(event.position().x())
            self._drag_from_bar = None

    def _select_to(self, x: float) -> None:
        assert self._drag_from_bar is not None
        bar = self.bar_at_x(x)
        first, last = min(bar, self._drag_from_bar), max(bar, self._drag_from_bar)
        self.document.set_bar_selection(BarRange(first, last + 1))
        self.document.set_cursor(self.document.score.bar_start(first))
        self.update()
