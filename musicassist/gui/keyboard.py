"""The keyboard column left of the roll: one key per pitch row; clicking a key sounds it.

The widget only reports presses (``key_pressed`` / ``key_released`` with the
MIDI pitch); the main window decides how to sound them (the open MIDI port).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from musicassist.core.timemaps import PITCH_CLASS_NAMES

from .roll_geometry import RollGeometry

KEYBOARD_WIDTH = 56
_BLACK_KEYS = frozenset((1, 3, 6, 8, 10))


def pitch_name(pitch: int) -> str:
    """Scientific pitch name: 60 -> C4."""
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


class Keyboard(QWidget):
    key_pressed = Signal(int)
    key_released = Signal(int)

    def __init__(self, geometry: RollGeometry, parent: QWidget | None = None):
        super().__init__(parent)
        self.roll_geometry = geometry
        self.sounding: int | None = None
        self.setFixedWidth(KEYBOARD_WIDTH)
        self.setToolTip("Click a key to hear it.")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(250, 250, 250))
        low, high = self.roll_geometry.visible_pitches(self.height())
        height = self.roll_geometry.key_height
        painter.setPen(QPen(QColor(150, 150, 150), 0))
        for pitch in range(low, high + 1):
            y = self.roll_geometry.pitch_to_y(pitch)
            black = pitch % 12 in _BLACK_KEYS
            width = KEYBOARD_WIDTH * 0.62 if black else KEYBOARD_WIDTH
            color = QColor(40, 40, 40) if black else QColor(252, 252, 252)
            if pitch == self.sounding:
                color = QColor(255, 190, 60)
            painter.fillRect(QRectF(0, y, width, height), color)
            painter.drawLine(QPointF(0, y + height), QPointF(width, y + height))
            if pitch % 12 == 0 and height >= 7:
                painter.setPen(QPen(QColor(60, 60, 60), 0))
                font = painter.font()
                font.setPixelSize(int(min(11, height)))
                painter.setFont(font)
                painter.drawText(QRectF(0, y, KEYBOARD_WIDTH - 3, height),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, pitch_name(pitch))
                painter.setPen(QPen(QColor(150, 150, 150), 0))
        painter.setPen(QPen(QColor(120, 120, 120), 0))
        painter.drawLine(QPointF(KEYBOARD_WIDTH - 0.5, 0), QPointF(KEYBOARD_WIDTH - 0.5, self.height()))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._sound(self.roll_geometry.y_to_pitch(event.position().y()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Gliding over the keys plays each one, like a glissando on a real keyboard.
        if self.sounding is not None:
            pitch = self.roll_geometry.y_to_pitch(event.position().y())
            if pitch != self.sounding:
                self._silence()
                self._sound(pitch)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._silence()

    def _sound(self, pitch: int) -> None:
        self.sounding = pitch
        self.key_pressed.emit(pitch)
        self.update()

    def _silence(self) -> None:
        if self.sounding is not None:
            self.key_released.emit(self.sounding)
            self.sounding = None
            self.update()
