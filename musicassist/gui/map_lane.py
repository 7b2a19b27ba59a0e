"""The map lane under the ruler: the piece's time signature, tempo and key changes, editable.

Three rows share the roll's geometry: time signatures on their barlines
(orange), tempos on their beats (blue), key signatures on their barlines
(green). Double-click a marker to change its value, double-click an empty
place to insert a change there (on the nearest barline or beat), drag a
marker to move it (one undo step, on release), right-click a marker to delete
it. The pure edits are in ``core.map_edits`` and ``core.key_edits``; playback,
export and the assistant's key read the same score, so they follow.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QInputDialog, QToolTip, QWidget

from musicassist.core import key_edits, map_edits
from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Score
from musicassist.core.timemaps import KeySignature, TimeSignature

from .document import Document
from .roll_geometry import RollGeometry

ROW_HEIGHT = 15
LANE_HEIGHT = 3 * ROW_HEIGHT
METER_ROW, TEMPO_ROW, KEY_ROW = 0, 1, 2
_HIT_PIXELS = 7.0
METER_COLOR = QColor(200, 90, 30)
TEMPO_COLOR = QColor(40, 100, 200)
KEY_COLOR = QColor(40, 140, 60)


def marker_near(positions: list[tuple[float, object]], x: float, tolerance: float = _HIT_PIXELS) -> object | None:
    """The key of the marker whose x is nearest ``x`` within ``tolerance`` pixels (pure hit-testing)."""
    near = [(abs(px - x), key) for px, key in positions if abs(px - x) <= tolerance]
    return min(near, key=lambda pair: pair[0])[1] if near else None


def key_label(key: KeySignature | None) -> str:
    """'D major', 'B minor', or '?' for a piece without a written key."""
    return "?" if key is None else f"{key}".replace(":", " ")


class MapLane(QWidget):
    def __init__(self, document: Document, geometry: RollGeometry, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.roll_geometry = geometry
        self._drag: tuple[int, object] | None = None  # (row, key of the marker being dragged)
        self._drag_x: float | None = None
        self.last_refusal = ""
        self.setFixedHeight(LANE_HEIGHT)
        self.setToolTip("Time signatures (top), tempos (middle) and key signatures (bottom): double-click "
                        "to insert or change, drag to move, right-click to delete.")

    # -- where things are ---------------------------------------------------------------------
    def row_at(self, y: float) -> int:
        return max(METER_ROW, min(KEY_ROW, int(y // ROW_HEIGHT)))

    def y_of_row(self, row: int) -> float:
        return row * ROW_HEIGHT + ROW_HEIGHT / 2

    def x_of_beat(self, beat: Fraction) -> float:
        return self.roll_geometry.beat_to_x(beat)

    def _markers(self, row: int) -> list[tuple[float, object]]:
        score = self.document.score
        if row == METER_ROW:
            return [(self.x_of_beat(score.bar_start(c.bar)), c.bar) for c in score.meter_map.changes]
        if row == KEY_ROW:
            opening = [Fraction(0)] if score.key is not None else []
            return [(self.x_of_beat(beat), beat) for beat in opening + [c.beat for c in score.key_changes]]
        return [(self.x_of_beat(c.beat), c.beat) for c in score.tempo_map.changes]

    def _nearest_slot(self, row: int, x: float) -> object:
        """The barline (meter row: its bar; key row: its beat) or the beat (tempo row) nearest ``x``."""
        score = self.document.score
        beat = max(Fraction(0), self.roll_geometry.x_to_beat(x))
        bar = score.bar_at(beat)
        if row in (METER_ROW, KEY_ROW):
            after = score.bar_start(bar + 1)
            nearest = bar + 1 if after - beat < beat - score.bar_start(bar) else bar
            return nearest if row == METER_ROW else score.bar_start(nearest)
        return Fraction(round(beat))

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        score = self.document.score
        for x, bar in self._markers(METER_ROW):
            assert isinstance(bar, int)
            self._paint_marker(painter, x, METER_ROW, str(score.meter_map.time_signature_at_bar(bar)), METER_COLOR)
        for x, beat in self._markers(TEMPO_ROW):
            assert isinstance(beat, Fraction)
            self._paint_marker(painter, x, TEMPO_ROW, f"♩={score.tempo_map.bpm_at(beat):g}", TEMPO_COLOR)
        for x, beat in self._markers(KEY_ROW):
            assert isinstance(beat, Fraction)
            self._paint_marker(painter, x, KEY_ROW, key_label(score.key_at(beat)), KEY_COLOR)
        if self._drag is not None and self._drag_x is not None:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(self._drag_x, 0), QPointF(self._drag_x, LANE_HEIGHT))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 0))
        painter.drawLine(QPointF(0, LANE_HEIGHT - 0.5), QPointF(self.width(), LANE_HEIGHT - 0.5))
        painter.end()

    def _paint_marker(self, painter: QPainter, x: float, row: int, text: str, color: QColor) -> None:
        if x < -80 or x > self.width() + 2:
            return
        top = row * ROW_HEIGHT
        painter.setPen(QPen(color, 2))
        painter.drawLine(QPointF(x, top + 1), QPointF(x, top + ROW_HEIGHT - 1))
        painter.setPen(QPen(color, 0))
        painter.drawText(QRectF(x + 3, top, 80, ROW_HEIGHT), Qt.AlignmentFlag.AlignVCenter, text)

    # -- editing -------------------------------------------------------------------------------
    def _push(self, make: Callable[[], Score], text: str) -> bool:
        try:
            score: Score = make()
        except MusicAssistError as exc:
            self.refuse(str(exc))
            return False
        self.document.push_edit(score, text)
        self.update()
        return True

    def refuse(self, reason: str) -> None:
        """Say at the pointer why an edit was not made (the opening tempo cannot move, ...)."""
        self.last_refusal = reason
        QToolTip.showText(QCursor.pos(), reason, self)

    def edit_tempo(self, beat: Fraction, bpm: float | None = None) -> bool:
        """Set the tempo at ``beat`` (asking for the value when ``bpm`` is None)."""
        if bpm is None:
            current = self.document.score.tempo_map.bpm_at(beat)
            value, ok = QInputDialog.getDouble(self, "Tempo", "Quarter notes per minute:", current, 1.0, 2000.0, 1)
            if not ok:
                return False
            bpm = value
        return self._push(lambda: map_edits.set_tempo(self.document.score, beat, bpm), "Change tempo")

    def edit_meter(self, bar: int, signature: TimeSignature | None = None) -> bool:
        """Set the time signature from ``bar`` (asking for it when ``signature`` is None)."""
        if signature is None:
            current = str(self.document.score.meter_map.time_signature_at_bar(bar))
            text, ok = QInputDialog.getText(self, "Time signature", f"Time signature from bar {bar + 1}:",
                                            text=current)
            if not ok:
                return False
            try:
                signature = TimeSignature.parse(text)
            except MusicAssistError as exc:
                self.refuse(str(exc))
                return False
        chosen = signature
        return self._push(lambda: map_edits.set_meter(self.document.score, bar, chosen), "Change time signature")

    def edit_key(self, beat: Fraction, key: KeySignature | None = None) -> bool:
        """Set the key signature from ``beat`` (asking for it when ``key`` is None)."""
        if key is None:
            current = self.document.score.key_at(beat)
            where = "the beginning" if beat == 0 else f"bar {self.document.score.bar_at(beat) + 1}"
            text, ok = QInputDialog.getText(self, "Key signature", f"Key from {where} (e.g. D major, B minor):",
                                            text=key_label(current) if current is not None else "C major")
            if not ok:
                return False
            try:
                key = KeySignature.parse(text)
            except MusicAssistError as exc:
                self.refuse(str(exc))
                return False
        chosen = key
        return self._push(lambda: key_edits.set_key(self.document.score, beat, chosen), "Change key signature")

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        x, row = event.position().x(), self.row_at(event.position().y())
        key = marker_near(self._markers(row), x)
        if key is None:
            key = self._nearest_slot(row, x)
        if row == METER_ROW:
            assert isinstance(key, int)
            self.edit_meter(key)
        elif row == KEY_ROW:
            assert isinstance(key, Fraction)
            self.edit_key(key)
        else:
            assert isinstance(key, Fraction)
            self.edit_tempo(key)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        x, row = event.position().x(), self.row_at(event.position().y())
        key = marker_near(self._markers(row), x)
        if key is None:
            return
        if event.button() == Qt.MouseButton.RightButton:
            score = self.document.score
            if row == KEY_ROW and isinstance(key, Fraction):
                self._push(lambda: key_edits.delete_key(score, key), "Delete key signature")
            elif isinstance(key, int):
                self._push(lambda: map_edits.delete_meter(score, key), "Delete time signature")
            elif isinstance(key, Fraction):
                self._push(lambda: map_edits.delete_tempo(score, key), "Delete tempo")
        elif event.button() == Qt.MouseButton.LeftButton:
            self._drag, self._drag_x = (row, key), x

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag_x = event.position().x()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return
        (row, key), self._drag, self._drag_x = self._drag, None, None
        target = self._nearest_slot(row, event.position().x())
        score = self.document.score
        if target != key:  # the whole drag is one undo step, made on release
            if row == KEY_ROW and isinstance(key, Fraction) and isinstance(target, Fraction):
                self._push(lambda: key_edits.move_key(score, key, target), "Move key signature")
            elif isinstance(key, int) and isinstance(target, int):
                self._push(lambda: map_edits.move_meter(score, key, target), "Move time signature")
            elif isinstance(key, Fraction) and isinstance(target, Fraction):
                self._push(lambda: map_edits.move_tempo(score, key, target), "Move tempo")
        self.update()
