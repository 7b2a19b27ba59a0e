"""The piano-roll editor: ruler, keyboard, note canvas, velocity and controller lanes sharing one geometry.

Owns scrolling (scroll bars, wheel, shift+wheel), zoom (ctrl+wheel: time,
ctrl+shift+wheel or alt+wheel: pitch rows; fit and fit-to-selection) and
following the playhead. The rows always fill the roll's height. Repaints its
parts whenever the document changes.
"""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGridLayout, QScrollBar, QWidget

from .controller_bar import ControllerBar
from .controller_lane import ControllerLane
from .document import Document
from .keyboard import Keyboard
from .map_lane import MapLane
from .roll_geometry import MAX_PIXELS_PER_BEAT, MIN_PIXELS_PER_BEAT, RollGeometry
from .roll_painter import Ghost, RollPainter
from .roll_view import RollCanvas
from .ruler import Ruler
from .velocity_lane import VelocityLane

_TRAILING_BARS = 8  # room to draw past the last bar
_PITCH_MARGIN = 3  # rows shown above and below the piece's range
_FIT_KEY_HEIGHT = (8.0, 18.0)  # key heights a file may open with
_OPEN_BARS = 16  # a document opens showing at most this many bars across
_READABLE_PIXELS_PER_BEAT = 16.0
_WHEEL_ZOOM = 1.15


class PianoRollEditor(QWidget):
    ghost_lock_toggled = Signal(object)

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.roll_geometry = RollGeometry()
        self.follow_playhead = True
        self.canvas = RollCanvas(document, self.roll_geometry, self)
        self.ruler = Ruler(document, self.roll_geometry, self)
        self.map_lane = MapLane(document, self.roll_geometry, self)
        self.keyboard = Keyboard(self.roll_geometry, self)
        self.velocity_lane = VelocityLane(document, self.roll_geometry, self.canvas.painter.index_cache, self)
        # The controller lane snaps as the roll does (the toolbar's snap sets the canvas's grid).
        self.controller_lane = ControllerLane(document, self.roll_geometry, lambda: self.canvas.grid,
                                              self.canvas.snap, self)
        self.controller_bar = ControllerBar(self.controller_lane, self)
        self.hbar = QScrollBar(Qt.Orientation.Horizontal, self)
        self.vbar = QScrollBar(Qt.Orientation.Vertical, self)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.ruler, 0, 1)
        layout.addWidget(self.map_lane, 1, 1)
        layout.addWidget(self.keyboard, 2, 0)
        layout.addWidget(self.canvas, 2, 1)
        layout.addWidget(self.vbar, 2, 2)
        layout.addWidget(self.velocity_lane, 3, 1)
        layout.addWidget(self.controller_bar, 4, 1)
        layout.addWidget(self.controller_lane, 5, 1)
        layout.addWidget(self.hbar, 6, 1)
        self.hbar.valueChanged.connect(self._on_hscroll)
        self.vbar.valueChanged.connect(self._on_vscroll)
        self.canvas.wheel_scrolled.connect(self._on_wheel)
        self.canvas.ghost_lock_toggled.connect(self.ghost_lock_toggled)
        for signal in (document.score_changed, document.selection_changed, document.current_track_changed,
                       document.bar_selection_changed, document.cursor_changed):
            signal.connect(self.refresh)
        document.score_changed.connect(self._update_scroll_ranges)
        self._centered_once = False

    # -- public -----------------------------------------------------------------------------
    def refresh(self) -> None:
        for widget in (self.canvas, self.ruler, self.map_lane, self.velocity_lane, self.controller_lane):
            widget.update()

    def set_grid(self, grid: Fraction | None) -> None:
        self.canvas.grid = grid
        self.canvas.update()

    def set_ghost(self, ghost: Ghost | None) -> None:
        self.canvas.ghost = ghost
        self.canvas.update()

    def set_playhead(self, beat: float | None) -> None:
        self.canvas.playhead_beat = beat
        self.ruler.playhead_beat = beat
        if beat is not None and self.follow_playhead:
            x = self.roll_geometry.beat_to_x(beat)
            if x < 0 or x > self.canvas.width() * 0.85:
                self.hbar.setValue(int(max(0.0, x + self.roll_geometry.scroll_x - self.canvas.width() * 0.1)))
        self.canvas.update()
        self.ruler.update()

    def center_on_notes(self) -> None:
        """Show the piece's pitch range (all tracks) filling the height, from its first bar."""
        pitches = [n.pitch for t in self.document.score.tracks for n in t.notes]
        low, high = (min(pitches), max(pitches)) if pitches else (48, 72)
        self._fit_rows(low, high)
        self.roll_geometry.scroll_x = 0.0
        self._apply_view()

    def fit_document(self) -> None:
        """The view a new or opened document starts with: up to 16 bars across from the bar of the
        current track's first note, its pitch range filling the height."""
        score = self.document.score
        notes = self.document.track.notes or score.notes
        first_bar = score.bar_at(notes[0].start) if notes else 0
        last_bar = max(first_bar + 1, min(max(score.bar_count, first_bar + 1), first_bar + _OPEN_BARS))
        self.roll_geometry.fit_beats(float(score.bar_start(first_bar)), float(score.bar_start(last_bar)),
                                     self.canvas.width() or 800)
        # A narrow roll shows fewer bars rather than notes too thin to click.
        self.roll_geometry.pixels_per_beat = max(self.roll_geometry.pixels_per_beat, _READABLE_PIXELS_PER_BEAT)
        self.roll_geometry.scroll_x = float(score.bar_start(first_bar)) * self.roll_geometry.pixels_per_beat
        pitches = [n.pitch for n in notes]
        self._fit_rows(*((min(pitches), max(pitches)) if pitches else (48, 72)))
        self._apply_view()

    def zoom_to_fit(self) -> None:
        """The whole piece across the width and its pitch range over the height."""
        score = self.document.score
        self.roll_geometry.fit_beats(0.0, float(max(score.end, score.notes_end)), self.canvas.width() or 800)
        pitches = [n.pitch for t in score.tracks for n in t.notes]
        self._fit_rows(*((min(pitches), max(pitches)) if pitches else (48, 72)))
        self._apply_view()

    def zoom_to_selection(self) -> None:
        """The selected notes (else the chosen bars) fill the view; with neither, the whole piece."""
        document = self.document
        width = self.canvas.width() or 800
        if document.selection:
            notes = document.selection
            self.roll_geometry.fit_beats(float(min(n.start for n in notes)), float(max(n.end for n in notes)), width)
            self._fit_rows(min(n.pitch for n in notes), max(n.pitch for n in notes))
        elif document.bar_selection is not None:
            bars = document.bar_selection
            self.roll_geometry.fit_beats(float(document.score.bar_start(bars.start)),
                                         float(document.score.bar_start(bars.end)), width)
        else:
            self.zoom_to_fit()
            return
        self._apply_view()

    def _fit_rows(self, low: int, high: int) -> None:
        height = self.canvas.height() or 400
        rows = high - low + 1 + 2 * _PITCH_MARGIN
        self.roll_geometry.key_height = min(_FIT_KEY_HEIGHT[1], max(_FIT_KEY_HEIGHT[0], height / rows))
        self.roll_geometry.fill_height(height)
        self.roll_geometry.center_on_pitch((low + high) / 2, height)

    def _apply_view(self) -> None:
        """After the geometry changed: scroll bars, keyboard and every part follow."""
        self.roll_geometry.fill_height(self.canvas.height())
        self._update_scroll_ranges()
        self._sync_scrollbars()
        self.keyboard.update()
        self.refresh()

    def show_beats(self, first: Fraction, last: Fraction) -> None:
        """Zoom and scroll so that beats ``first..last`` fill the width (candidates after a seed)."""
        width = self.canvas.width() or 800
        span = max(Fraction(1), last - first)
        self.roll_geometry.pixels_per_beat = max(MIN_PIXELS_PER_BEAT, min(MAX_PIXELS_PER_BEAT,
                                                                          0.96 * width / float(span)))
        self._update_scroll_ranges()
        self.hbar.setValue(int(float(first) * self.roll_geometry.pixels_per_beat))
        self.refresh()

    def ensure_beats_visible(self, first: Fraction, last: Fraction) -> None:
        """Scroll (never zoom) so that ``first..last`` is in view, or as much of it from ``first``."""
        view_first, view_last = self.roll_geometry.visible_beats(self.canvas.width())
        if view_first <= float(first) and float(last) <= view_last:
            return
        self.hbar.setValue(int(max(0.0, float(first) * self.roll_geometry.pixels_per_beat - 20)))

    def scroll_to_beat(self, beat: Fraction) -> None:
        self.hbar.setValue(int(max(0.0, float(beat) * self.roll_geometry.pixels_per_beat)))

    def zoom(self, horizontal: float, vertical: float, anchor_x: float = 0.0, anchor_y: float = 0.0) -> None:
        self.roll_geometry.zoom_horizontally(horizontal, anchor_x)
        self.roll_geometry.zoom_vertically(vertical, anchor_y)
        self._apply_view()

    def point_at(self, pitch: int, beat: Fraction | float) -> tuple[float, float]:
        """Canvas point on ``pitch`` at ``beat`` (what tests click)."""
        return self.roll_geometry.point_at(pitch, beat)

    def render_image(self) -> QImage:
        """The whole piece as a picture (File > Export > PNG), at the current zoom."""
        saved = (self.roll_geometry.scroll_x, self.roll_geometry.scroll_y)
        score = self.document.score
        pitches = [n.pitch for n in score.notes] or [60]
        low, high = max(0, min(pitches) - 2), min(127, max(pitches) + 2)
        self.roll_geometry.scroll_x = 0.0
        self.roll_geometry.scroll_y = self.roll_geometry.pitch_to_y(high) + self.roll_geometry.scroll_y
        width = max(64, int(self.roll_geometry.content_width(score.end)))
        height = int((high - low + 1) * self.roll_geometry.key_height)
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(image)
        scene = self.canvas.scene()
        scene.playhead_beat = scene.cursor_beat = None
        scene.bar_selection = None
        RollPainter(self.palette()).paint(painter, self.roll_geometry, scene, width, height)
        painter.end()
        self.roll_geometry.scroll_x, self.roll_geometry.scroll_y = saved
        return image

    # -- scrolling --------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._centered_once and self.canvas.height() > 0:
            self._centered_once = True
            self.fit_document()
        self._apply_view()

    def _update_scroll_ranges(self) -> None:
        score = self.document.score
        end = score.end + _TRAILING_BARS * score.meter_map.bar_length(max(0, score.bar_count - 1))
        width = self.roll_geometry.content_width(end)
        self.hbar.setRange(0, int(max(0.0, width - self.canvas.width())))
        self.hbar.setPageStep(max(1, self.canvas.width()))
        self.hbar.setSingleStep(max(1, int(self.roll_geometry.pixels_per_beat)))
        self.vbar.setRange(0, int(max(0.0, self.roll_geometry.content_height - self.canvas.height())))
        self.vbar.setPageStep(max(1, self.canvas.height()))
        self.vbar.setSingleStep(max(1, int(self.roll_geometry.key_height)))

    def _sync_scrollbars(self) -> None:
        for bar, value in ((self.hbar, self.roll_geometry.scroll_x), (self.vbar, self.roll_geometry.scroll_y)):
            bar.blockSignals(True)
            if value > bar.maximum():
                bar.setMaximum(int(value))
            bar.setValue(int(value))
            bar.blockSignals(False)

    def _on_hscroll(self, value: int) -> None:
        self.roll_geometry.scroll_x = float(value)
        self.refresh()

    def _on_vscroll(self, value: int) -> None:
        self.roll_geometry.scroll_y = float(value)
        self.canvas.update()
        self.keyboard.update()

    def _on_wheel(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        modifiers = event.modifiers()
        pos = event.position()
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        vertical = bool(modifiers & Qt.KeyboardModifier.AltModifier) or (
            ctrl and bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
        if ctrl or vertical:
            factor = _WHEEL_ZOOM ** steps
            if vertical:  # pitch rows only
                self.zoom(1.0, factor, pos.x(), pos.y())
            else:  # time only: what a piano roll zooms most
                self.zoom(factor, 1.0, pos.x(), pos.y())
        elif modifiers & Qt.KeyboardModifier.ShiftModifier or event.angleDelta().x():
            self.hbar.setValue(int(self.hbar.value() - steps * self.hbar.singleStep() * 3))
        else:
            self.vbar.setValue(int(self.vbar.value() - steps * self.vbar.singleStep() * 3))
        event.accept()
