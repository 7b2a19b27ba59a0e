"""Pure edits of one controller of a track: what the controller lane's draw, line and erase tools do.

A ``Controller`` names one lane: a control change number (sustain pedal,
modulation, expression, volume, any CC 0..127) or pitch bend. Every function
takes a track's events and gives new ones; events of other controllers (and
of other kinds: pressure, programs, sysex, meta) are never touched, so an
edit in one lane cannot disturb what the composer's file carries elsewhere.
Times are exact ``Fraction`` beats; snapping is the caller's business.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from .errors import ScoreError
from .events import (
    EXPRESSION,
    MODULATION,
    PITCH_BEND_MAX,
    PITCH_BEND_MIN,
    SUSTAIN_PEDAL,
    VOLUME,
    ChannelEvent,
    ChannelKind,
    Event,
    sorted_events,
)

PEDAL_ON, PEDAL_OFF = 127, 0
PEDAL_THRESHOLD = 64  # a pedal value of 64 or more holds (General MIDI)


@dataclass(frozen=True)
class Controller:
    """One lane: ``kind`` "control_change" with its ``number``, or "pitchwheel" (number 0)."""

    kind: str = "control_change"
    number: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("control_change", "pitchwheel"):
            raise ScoreError(f"The controller lane shows control changes and pitch bend, not {self.kind}.")
        if not 0 <= self.number <= 127:
            raise ScoreError(f"Controller number {self.number} is outside 0..127.")

    @property
    def is_pedal(self) -> bool:
        return self.kind == "control_change" and self.number == SUSTAIN_PEDAL

    @property
    def low(self) -> int:
        return PITCH_BEND_MIN if self.kind == "pitchwheel" else 0

    @property
    def high(self) -> int:
        return PITCH_BEND_MAX if self.kind == "pitchwheel" else 127

    @property
    def label(self) -> str:
        if self.kind == "pitchwheel":
            return "Pitch bend"
        names = {SUSTAIN_PEDAL: "Sustain pedal", MODULATION: "Modulation", EXPRESSION: "Expression",
                 VOLUME: "Volume"}
        return f"{names[self.number]} (CC{self.number})" if self.number in names else f"CC{self.number}"

    def matches(self, event: Event) -> bool:
        return (isinstance(event, ChannelEvent) and event.kind == self.kind
                and (self.kind == "pitchwheel" or event.number == self.number))

    def event(self, time: Fraction, value: int, channel: int) -> ChannelEvent:
        """An event of this controller, the value clamped into its range."""
        value = max(self.low, min(self.high, int(value)))
        kind: ChannelKind = "pitchwheel" if self.kind == "pitchwheel" else "control_change"
        return ChannelEvent(time, kind, channel, self.number if kind == "control_change" else 0, value)


PITCH_BEND = Controller("pitchwheel", 0)
PEDAL = Controller("control_change", SUSTAIN_PEDAL)


def lane_events(events: Iterable[Event], controller: Controller) -> list[ChannelEvent]:
    """The events of one controller, in time order."""
    return [e for e in events if isinstance(e, ChannelEvent) and controller.matches(e)]


def _without(events: Iterable[Event], controller: Controller, start: Fraction, end: Fraction) -> list[Event]:
    """``events`` minus this controller's events with ``start <= time <= end``."""
    return [e for e in events if not (controller.matches(e) and start <= e.time <= end)]


def set_values(events: Iterable[Event], controller: Controller, channel: int,
               points: Mapping[Fraction, int], span: tuple[Fraction, Fraction] | None = None) -> tuple[Event, ...]:
    """The controller's events in ``span`` (default: from the first to the last point) replaced by ``points``.

    This is a freehand stroke: whatever the controller did over the swept
    span is what the stroke drew. The other events stay as they were.
    """
    if not points:
        return tuple(events)
    start, end = span if span is not None else (min(points), max(points))
    kept = _without(events, controller, start, end)
    drawn: list[Event] = [controller.event(time, value, channel) for time, value in sorted(points.items())]
    return sorted_events(kept + drawn)  # stable: other events at the same time keep their order


def grid_times(start: Fraction, end: Fraction, step: Fraction) -> list[Fraction]:
    """``start``, ``start + step``, ... up to and including ``end`` (``end`` always included)."""
    if step <= 0:
        raise ScoreError("A line needs a positive step.")
    low, high = min(start, end), max(start, end)
    count = math.floor((high - low) / step)
    times = [low + i * step for i in range(count + 1)]
    if times[-1] != high:
        times.append(high)
    return times


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def ramp(controller: Controller, start: tuple[Fraction, int], end: tuple[Fraction, int],
         step: Fraction) -> dict[Fraction, int]:
    """Values on a straight line from ``start`` to ``end`` (beat, value), one every ``step`` beats."""
    (t0, v0), (t1, v1) = sorted((start, end))
    if t0 == t1:
        return {t0: v1}
    points = {}
    for t in grid_times(t0, t1, step):
        value = _round_half_up(v0 + (Fraction(v1) - v0) * (t - t0) / (t1 - t0))
        points[t] = max(controller.low, min(controller.high, value))
    return points


def draw_line(events: Iterable[Event], controller: Controller, channel: int, start: tuple[Fraction, int],
              end: tuple[Fraction, int], step: Fraction) -> tuple[Event, ...]:
    """The line tool: the controller's events between the two points replaced by a ramp."""
    return set_values(events, controller, channel, ramp(controller, start, end, step))


def erase(events: Iterable[Event], controller: Controller, start: Fraction, end: Fraction) -> tuple[Event, ...]:
    """The controller's events with ``start <= time <= end`` removed; everything else kept."""
    return tuple(_without(events, controller, min(start, end), max(start, end)))


# -- the sustain pedal: on/off bars ---------------------------------------------------------------
def pedal_bars(events: Iterable[Event], controller: Controller = PEDAL,
               until: Fraction | None = None) -> list[tuple[Fraction, Fraction | None]]:
    """(down, up) spans where the pedal holds; ``up`` None when it is never released (or at ``until``)."""
    bars: list[tuple[Fraction, Fraction | None]] = []
    down: Fraction | None = None
    for event in lane_events(events, controller):
        if event.value >= PEDAL_THRESHOLD and down is None:
            down = event.time
        elif event.value < PEDAL_THRESHOLD and down is not None:
            bars.append((down, event.time))
            down = None
    if down is not None:
        bars.append((down, until))
    return bars


def draw_pedal(events: Iterable[Event], channel: int, start: Fraction, end: Fraction,
               controller: Controller = PEDAL) -> tuple[Event, ...]:
    """A pedal bar from ``start`` to ``end``: pedal down (127) at the start, up (0) at the end.

    Pedal events inside the bar go (the bar says the pedal holds throughout).
    A bar of no length is no bar: the events are returned unchanged.
    """
    start, end = min(start, end), max(start, end)
    if start == end:
        return tuple(events)
    return set_values(events, controller, channel, {start: PEDAL_ON, end: PEDAL_OFF}, (start, end))


def pedal_bar_at(events: Iterable[Event], beat: Fraction,
                 controller: Controller = PEDAL) -> tuple[Fraction, Fraction | None] | None:
    """The pedal bar that holds at ``beat``, if any (an erase click on a bar removes all of it)."""
    for down, up in pedal_bars(events, controller):
        if down <= beat and (up is None or beat <= up):
            return down, up
    return None
