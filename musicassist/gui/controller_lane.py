"""The controller lane under the velocity lane: one controller of the edited track, drawn and edited.

It shows the controller the ``ControllerBar`` chose (sustain pedal as on/off
bars, pitch bend around a centre line, any CC as a stepped curve) on the
roll's time axis, so it follows the roll's scrolling and zoom. Three tools:

- draw: the pedal lane draws a bar (down where the drag starts, up where it
  ends); other lanes draw freehand, one value per snap cell the pointer
  crosses, replacing what was there;
- line: a straight ramp from the press to the release, one event per snap step;
- erase: removes the controller's events under the drag (a click on a pedal
  bar removes the whole bar).

Each gesture is computed from the events as they were at the press and
pushed with one session, so it is one undo step however long the drag. The
pure edits are in ``core.event_edits``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from musicassist.core import event_edits as edits
from musicassist.core.event_edits import Controller
from musicassist.core.events import ChannelEvent, Event

from .commands import new_session
from .document import Document
from .roll_geometry import RollGeometry

LANE_HEIGHT = 80
_MARGIN = 5
_HIT_PIXELS = 4.0
FALLBACK_STEP = Fraction(1, 16)  # line and freehand step when snap is off: a 64th note
TOOLS = ("draw", "line", "erase")
_CURVE_COLOR = QColor(40, 140, 90)
_PEDAL_COLOR = QColor(150, 90, 200)


class ControllerLane(QWidget):
    def __init__(self, document: Document, geometry: RollGeometry, grid: Callable[[], Fraction | None],
                 snap: Callable[[Fraction, str], Fraction], parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.roll_geometry = geometry
        self._grid = grid
        self._snap = snap
        self.controller = edits.PEDAL
        self.tool = "draw"
        self._session: int | None = None
        self._before: tuple[Event, ...] = ()  # the track's events when the gesture began
        self._anchor: tuple[Fraction, int] = (Fraction(0), 0)  # where the gesture began (beat, value)
        self._points: dict[Fraction, int] = {}  # freehand: values drawn so far
        self._last_cell: Fraction | None = None  # freehand: the cell the pointer was in last
        self._moved = False
        # (events tuple, controller, that controller's events): painting does not filter every track event
        self._shown: tuple[tuple[Event, ...], Controller, list[ChannelEvent]] | None = None
        self._arrays_of: list[ChannelEvent] | None = None
        self._beats = self._values = np.zeros(0)
        self.setFixedHeight(LANE_HEIGHT)
        self.setMouseTracking(False)

    # -- state ------------------------------------------------------------------------------
    def set_controller(self, controller: Controller) -> None:
        self.controller = controller
        self.update()

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown controller tool {tool!r}")
        self.tool = tool

    def step(self) -> Fraction:
        grid = self._grid()
        return grid if grid else FALLBACK_STEP

    # -- coordinates ------------------------------------------------------------------------
    def value_at_y(self, y: float) -> int:
        c = self.controller
        usable = LANE_HEIGHT - 2 * _MARGIN
        share = (LANE_HEIGHT - _MARGIN - y) / usable
        return max(c.low, min(c.high, round(c.low + share * (c.high - c.low))))

    def y_of_value(self, value: int) -> float:
        c = self.controller
        return LANE_HEIGHT - _MARGIN - (value - c.low) * (LANE_HEIGHT - 2 * _MARGIN) / (c.high - c.low)

    def point_at(self, beat: Fraction | float, value: int) -> tuple[float, float]:
        """Widget point at ``beat`` and ``value`` (tests press here)."""
        return self.roll_geometry.beat_to_x(beat), self.y_of_value(value)

    def _beat(self, x: float) -> Fraction:
        return self.roll_geometry.x_to_beat(x)

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        events = self.shown_events()
        if self.controller.is_pedal:
            self._paint_pedal(painter, events)
        else:
            if self.controller.kind == "pitchwheel":
                painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(0, self.y_of_value(0)), QPointF(self.width(), self.y_of_value(0)))
            self._paint_curve(painter, events)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), 0))
        painter.drawText(QRectF(4, 1, 200, 14), Qt.AlignmentFlag.AlignLeft, self.controller.label)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 0))
        painter.drawLine(QPointF(0, 0.5), QPointF(self.width(), 0.5))
        painter.end()

    def _paint_curve(self, painter: QPainter, events: list[ChannelEvent]) -> None:
        """The value as steps (it holds until the next event), one polyline; dots where there is room."""
        if not events:
            return
        beats, values = self._arrays()
        geometry = self.roll_geometry
        first, last = geometry.visible_beats(self.width())
        # the visible events plus the one before (its value holds into view)
        lo = max(0, int(np.searchsorted(beats, first, side="left")) - 1)
        hi = int(np.searchsorted(beats, last, side="right"))
        if hi <= lo:
            return
        c = self.controller
        xs = beats[lo:hi] * geometry.pixels_per_beat - geometry.scroll_x
        ys = LANE_HEIGHT - _MARGIN - (values[lo:hi] - c.low) * (LANE_HEIGHT - 2 * _MARGIN) / (c.high - c.low)
        next_xs = np.empty_like(xs)  # each value holds until the next event (the last one to the edge)
        next_xs[:-1] = xs[1:]
        next_xs[-1] = beats[hi] * geometry.pixels_per_beat - geometry.scroll_x if hi < len(beats) else self.width()
        steps = QPolygonF()
        for x, y, x_next in zip(xs.tolist(), ys.tolist(), next_xs.tolist(), strict=True):
            steps.append(QPointF(x, y))
            steps.append(QPointF(x_next, y))
        painter.setPen(QPen(_CURVE_COLOR, 2))
        painter.drawPolyline(steps)
        if len(ys) * 6 < self.width():  # zoomed out, dots would only blur the curve
            painter.setBrush(_CURVE_COLOR)
            for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
                painter.drawEllipse(QPointF(x, y), 2.5, 2.5)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The shown events' beats and values as float arrays (cached with them)."""
        events = self.shown_events()
        if self._arrays_of is not events:
            self._arrays_of = events
            self._beats = np.array([float(e.time) for e in events])
            self._values = np.array([float(e.value) for e in events])
        return self._beats, self._values

    def shown_events(self) -> list[ChannelEvent]:
        """The current track's events of the chosen controller (cached until either changes)."""
        events = self.document.track.events
        shown = self._shown
        if shown is None or shown[0] is not events or shown[1] != self.controller:
            shown = self._shown = (events, self.controller, edits.lane_events(events, self.controller))
        return shown[2]

    def _paint_pedal(self, painter: QPainter, events: list[ChannelEvent]) -> None:
        end = max(self.document.score.end, self.roll_geometry.x_to_beat(self.width()))
        top, height = LANE_HEIGHT * 0.3, LANE_HEIGHT * 0.4
        painter.setPen(QPen(_PEDAL_COLOR.darker(140), 1))
        painter.setBrush(_PEDAL_COLOR)
        for down, up in edits.pedal_bars(events, self.controller, until=end):
            x0 = self.roll_geometry.beat_to_x(down)
            x1 = self.roll_geometry.beat_to_x(up if up is not None else end)
            if x1 >= 0 and x0 <= self.width():
                painter.drawRect(QRectF(x0, top, max(2.0, x1 - x0), height))

    # -- editing ----------------------------------------------------------------------------
    def _push(self, events: tuple[Event, ...], text: str) -> None:
        document = self.document
        score = document.score.with_track(document.current_track, document.track.with_events(events))
        document.push_edit(score, text, session=self._session)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        x, y = event.position().x(), event.position().y()
        self._session = new_session()
        self._before = self.document.track.events
        self._moved = False
        beat = self._beat(x) if self.tool == "erase" else self._snap(self._beat(x), "nearest")
        self._anchor = (beat, self.value_at_y(y))
        self._points, self._last_cell = {}, None
        if self.tool == "draw" and not self.controller.is_pedal:
            self._freehand(x, y)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._session is None:
            return
        self._moved = True
        self._gesture_to(event.position().x(), event.position().y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._session is None:
            return
        x, y = event.position().x(), event.position().y()
        if self.tool == "erase" and not self._moved:
            self._erase_click(x)
        elif self._moved or self.tool != "draw":
            self._gesture_to(x, y)
        self._session = None

    def _gesture_to(self, x: float, y: float) -> None:
        channel = self.document.track.channel
        start, start_value = self._anchor
        if self.tool == "erase":
            self._push(edits.erase(self._before, self.controller, start, self._beat(x)), "Erase controller")
        elif self.tool == "line":
            end = (self._snap(self._beat(x), "nearest"), self.value_at_y(y))
            self._push(edits.draw_line(self._before, self.controller, channel, (start, start_value), end,
                                       self.step()), f"Draw {self.controller.label} line")
        elif self.controller.is_pedal:
            end_beat = self._snap(self._beat(x), "nearest")
            self._push(edits.draw_pedal(self._before, channel, start, end_beat, self.controller), "Draw pedal")
        else:
            self._freehand(x, y)

    def _freehand(self, x: float, y: float) -> None:
        """Give the snap cell under the pointer its value, and every cell skipped since the last one a value
        on the way (a fast stroke leaves no holes)."""
        beat, value = self._cell(self._beat(x)), self.value_at_y(y)
        if self._last_cell is not None and self._last_cell != beat:
            previous = (self._last_cell, self._points[self._last_cell])
            self._points.update(edits.ramp(self.controller, previous, (beat, value), self.step()))
        self._points[beat] = value
        self._last_cell = beat
        span = (min(self._points), max(self._points))
        self._push(edits.set_values(self._before, self.controller, self.document.track.channel, self._points, span),
                   f"Draw {self.controller.label}")

    def _cell(self, beat: Fraction) -> Fraction:
        """The start of the step cell that holds ``beat`` (the snap grid's, else the fallback step's)."""
        if self._grid():
            return self._snap(beat, "floor")
        return (beat // FALLBACK_STEP) * FALLBACK_STEP

    def _erase_click(self, x: float) -> None:
        if self.controller.is_pedal:
            bar = edits.pedal_bar_at(self._before, self._beat(x), self.controller)
            if bar is None:
                return
            down, up = bar
            self._push(edits.erase(self._before, self.controller, down, up if up is not None else down),
                       "Erase pedal")
            return
        first, last = self._beat(x - _HIT_PIXELS), self._beat(x + _HIT_PIXELS)
        self._push(edits.erase(self._before, self.controller, first, last), "Erase controller")
