"""The piano-roll canvas: paints the RollScene and turns mouse input into tool gestures.

Hit-testing (which note is under a point, which notes are in a rectangle)
lives here, on top of the painter's note index; painting itself is in
``roll_painter``; edits are made by the tools in ``roll_tools``.
"""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from musicassist.core.score import Note

from .document import Document
from .roll_geometry import FINEST_BEAT, RollGeometry, snap_beat
from .roll_painter import Ghost, RollPainter, RollScene
from .roll_tools import DrawTool, Gesture, PointerTool, Tool


class RollCanvas(QWidget):
    """The note area. The editor owns the geometry and tells the canvas to repaint."""

    wheel_scrolled = Signal(object)  # QWheelEvent, handled by the editor (scroll / zoom)
    ghost_lock_toggled = Signal(object)  # Note of the shown candidate
    note_double_clicked = Signal(object)  # Note of the edited track (now selected): open its properties

    def __init__(self, document: Document, geometry: RollGeometry, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.roll_geometry = geometry
        self.painter = RollPainter(self.palette())
        self.grid: Fraction | None = Fraction(1, 4)
        self.new_note_velocity = 80
        self.ghost: Ghost | None = None
        self.playhead_beat: float | None = None
        self.tools: dict[str, Tool] = {"select": PointerTool(self), "draw": DrawTool(self)}
        self.tool: Tool = self.tools["select"]
        self._gesture: Gesture | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # -- state ------------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        self.tool = self.tools[name]
        self.setCursor(self.tool.cursor)

    def scene(self) -> RollScene:
        doc = self.document
        return RollScene(
            score=doc.score,
            current_track=doc.current_track,
            selection=doc.selection,
            ghost=self.ghost,
            bar_selection=doc.bar_selection,
            cursor_beat=doc.cursor_beat,
            playhead_beat=self.playhead_beat,
            grid=self.grid,
        )

    # -- ToolHost ---------------------------------------------------------------------------
    def snap(self, beat: Fraction, mode: str = "nearest") -> Fraction:
        return snap_beat(beat, self.grid, self.document.score.meter_map, mode)

    def grid_length(self) -> Fraction:
        """Length of a drawn note and of an arrow-key nudge: the grid, or a 16th when snap is off."""
        return self.grid if self.grid else Fraction(1, 4)

    def note_at(self, x: float, y: float) -> Note | None:
        """The topmost note of the edited track under the point, if any."""
        beat = float(self.roll_geometry.x_to_beat(x))
        pitch = self.roll_geometry.y_to_pitch(y)
        slack = 2.0 / self.roll_geometry.pixels_per_beat  # tiny notes are drawn 2 px wide: hit them too
        notes = self.painter.index_cache.get(self.document.track.notes).overlapping(beat - slack, beat)
        hits = [n for n in notes if n.pitch == pitch and float(n.start) <= beat]
        return hits[-1] if hits else None

    def notes_in_rect(self, rect: QRectF) -> list[Note]:
        geometry = self.roll_geometry
        first, last = float(geometry.x_to_beat(rect.left())), float(geometry.x_to_beat(rect.right()))
        low, high = geometry.y_to_pitch(rect.bottom()), geometry.y_to_pitch(rect.top())
        return self.painter.visible_notes(geometry, self.document.track.notes, first, last, low, high)

    def ghost_note_at(self, x: float, y: float) -> Note | None:
        if self.ghost is None:
            return None
        beat = self.roll_geometry.x_to_beat(x) - self.ghost.offset
        pitch = self.roll_geometry.y_to_pitch(y)
        for note in self.ghost.notes:
            if note.pitch == pitch and note.start - FINEST_BEAT <= beat < note.end:
                return note
        return None

    def toggle_ghost_lock(self, note: Note) -> None:
        self.ghost_lock_toggled.emit(note)

    # -- Qt events ------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the system theme changed (light <-> dark)
            self.painter.set_palette(self.palette())
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.painter.paint(painter, self.roll_geometry, self.scene(), self.width(), self.height())
        band = self._gesture.overlay() if self._gesture else None
        if band is not None:
            painter.setPen(QPen(QColor(60, 120, 220), 1, Qt.PenStyle.DashLine))
            painter.setBrush(QColor(60, 120, 220, 40))
            painter.drawRect(band)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        pos = event.position()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._gesture = self.tool.press(pos.x(), pos.y(), event.button(), shift)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._gesture is not None:
            self._gesture.move(pos.x(), pos.y())
            self.update()
            return
        note = self.note_at(pos.x(), pos.y())
        if note is not None and self.roll_geometry.near_right_edge(note, pos.x()):
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        elif note is not None:
            self.setCursor(Qt.CursorShape.SizeAllCursor)
        else:
            self.setCursor(self.tool.cursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._gesture is not None:
            pos = event.position()
            self._gesture.release(pos.x(), pos.y())
            self._gesture = None
            self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # Not a second press: the first click already selected the note (or started a gesture).
        pos = event.position()
        note = self.note_at(pos.x(), pos.y())
        if note is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if note not in self.document.selection:
            self.document.set_selection({note})
        self.note_double_clicked.emit(note)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.wheel_scrolled.emit(event)
