"""The player's plan for one pass over a region: what to send, and how long after the pass starts.

Pure data and pure functions, no threads and no clock, so the delicate parts
of live playback (switching to another candidate at a barline, turning the
click on mid-pass, mapping elapsed time back to beats across a switch) are
tested exactly. Offsets are seconds after the pass origin, the instant at
which the pass's first beat sounds; count-in clicks have negative offsets.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import IntEnum
from fractions import Fraction

import mido

from musicassist.core.score import Score

from .metronome import click_messages, count_in_messages
from .planner import BarPlanner, Planned
from .schedule import TimedMessage


class EventKind(IntEnum):
    SEND = 0  # send ``message``
    FLUSH = 1  # release every sounding note (a switch point)
    END = 2  # the end of the pass: loop again or finish


@dataclass(frozen=True)
class PlannedEvent:
    offset: float
    beat: Fraction
    kind: EventKind
    message: mido.Message | None = None
    click: bool = False  # a metronome click, removable while playing

    @property
    def rank(self) -> float:
        """Order on a shared beat: note-offs, a switch flush, setup, note-ons, the end."""
        if self.kind is EventKind.END:
            return 3
        if self.kind is EventKind.FLUSH:
            return 0.5
        assert self.message is not None
        return TimedMessage(self.beat, 0.0, self.message).order


@dataclass(frozen=True)
class Segment:
    """From ``offset`` (and ``beat``) on, the pass follows ``score``'s tempo map."""

    offset: float
    beat: Fraction
    score: Score


def _to_events(planned: list[Planned], base: float, offset0: float) -> list[PlannedEvent]:
    return [PlannedEvent(offset0 + seconds - base, beat, EventKind.SEND, message, click)
            for beat, _, click, _, seconds, message in planned]


@dataclass
class PassPlan:
    """Events of one pass over ``start..end``; ``index`` is the next one to send.

    Planned incrementally: ``events`` holds what is planned so far, and
    ``extend()`` plans the next bar (the player calls it while it plays,
    keeping about a second ahead). ``complete`` once the END event is in.
    """

    start: Fraction
    end: Fraction
    events: list[PlannedEvent]
    segments: list[Segment] = field(default_factory=list)
    index: int = 0
    planner: BarPlanner | None = None  # plans the last segment's score; None once complete

    @classmethod
    def build(
        cls, score: Score, start: Fraction, end: Fraction, *, metronome: bool = False, count_in_bars: int = 0,
        horizon: float | None = None,
    ) -> PassPlan:
        """The plan of a pass, planned ``horizon`` seconds ahead (None: all of it, at once)."""
        events: list[PlannedEvent] = []
        if count_in_bars:
            base = score.tempo_map.seconds_at(start)
            events = [
                PlannedEvent(m.seconds - base, m.beat, EventKind.SEND, m.message)
                for m in count_in_messages(score, start, count_in_bars)
            ]
        plan = cls(start, end, events, [Segment(0.0, start, score)],
                   planner=BarPlanner(score, start, end, metronome))
        plan.plan_ahead(0.0, horizon)
        return plan

    # -- incremental planning ---------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return self.planner is None

    @property
    def planned_until(self) -> Fraction:
        """Every event before this beat is in ``events``."""
        return self.end if self.planner is None else self.planner.next_beat

    def extend(self) -> None:
        """Plan one more bar (and the END event after the last one)."""
        planner = self.planner
        if planner is None:
            return
        segment = self.segments[-1]
        base = segment.score.tempo_map.seconds_at(segment.beat)
        self.events += _to_events(planner.plan_bar(), base, segment.offset)
        if planner.done:
            self.events.append(PlannedEvent(self.offset_of(self.end), self.end, EventKind.END))
            self.planner = None

    def needs_more(self, offset_now: float, horizon: float) -> bool:
        """Fewer than ``horizon`` seconds planned ahead of ``offset_now`` (or nothing left to send)."""
        if self.planner is None:
            return False
        return self.index >= len(self.events) or self.offset_of(self.planned_until) - offset_now < horizon

    def plan_ahead(self, offset_now: float, horizon: float | None) -> None:
        """Extend until ``horizon`` seconds past ``offset_now`` are planned (None: to the end)."""
        while self.planner is not None and (horizon is None or self.needs_more(offset_now, horizon)):
            self.extend()

    # -- where and when ----------------------------------------------------------------------
    @property
    def pending(self) -> list[PlannedEvent]:
        return self.events[self.index:]

    @property
    def end_offset(self) -> float:
        return self.offset_of(self.end)

    def _segment_for_beat(self, beat: Fraction) -> Segment:
        index = bisect.bisect_right([s.beat for s in self.segments], beat) - 1
        return self.segments[max(index, 0)]

    def _segment_for_offset(self, offset: float) -> Segment:
        index = bisect.bisect_right([s.offset for s in self.segments], offset) - 1
        return self.segments[max(index, 0)]

    def score_at(self, beat: Fraction) -> Score:
        return self._segment_for_beat(beat).score

    def offset_of(self, beat: Fraction) -> float:
        """Seconds after the origin at which ``beat`` sounds in this pass."""
        seg = self._segment_for_beat(beat)
        tempo = seg.score.tempo_map
        return seg.offset + tempo.seconds_at(beat) - tempo.seconds_at(seg.beat)

    def beat_at(self, offset: float) -> float:
        """Beat sounding ``offset`` seconds after the origin (before ``start`` during a count-in)."""
        seg = self._segment_for_offset(offset)
        tempo = seg.score.tempo_map
        seconds = tempo.seconds_at(seg.beat) + offset - seg.offset
        if seconds < 0:  # count-in before the piece's first beat: extrapolate the first tempo
            return seconds * tempo.changes[0].bpm / 60.0
        return tempo.beat_at_seconds(seconds)

    def next_barline(self, offset: float) -> Fraction:
        """The first barline strictly after the position at ``offset`` (the start during a count-in)."""
        position = self.beat_at(offset)
        if position < self.start:
            return self.start
        meters = self.score_at(self.start).meter_map
        exact = Fraction(position)
        return meters.bar_start(meters.bar_at(exact) + 1)

    # -- changes while playing ------------------------------------------------------------------
    def switch(self, score: Score, at_beat: Fraction, *, metronome: bool = False,
               horizon: float | None = None) -> None:
        """From ``at_beat`` on (``start <= at_beat < end``), play ``score`` instead.

        Pending events before ``at_beat`` stay; the notes still sounding at
        ``at_beat`` are released there, and ``score``'s notes starting at or
        after it are planned on its own tempo map from that instant on.
        """
        if not self.start <= at_beat < self.end:
            raise ValueError("a switch must fall inside the pass")
        while self.planner is not None and self.planner.next_beat < at_beat:
            self.extend()  # the old score up to the switch point must be planned to be kept
        keep = [e for e in self.pending if e.beat < at_beat and e.kind is not EventKind.END]
        at_offset = self.offset_of(at_beat)
        self.segments = [s for s in self.segments if s.beat < at_beat] + [Segment(at_offset, at_beat, score)]
        self.events = [*keep, PlannedEvent(at_offset, at_beat, EventKind.FLUSH)]
        self.index = 0
        self.planner = BarPlanner(score, at_beat, self.end, metronome)
        self.plan_ahead(at_offset, horizon)

    def set_clicks(self, on: bool, after_offset: float) -> None:
        """Add or remove the metronome for the rest of the pass (after ``after_offset``).

        Turning it off keeps pending click note-offs, so no click rings on.
        """
        if not on:
            pending, unreleased = _without_unstruck_clicks(self.pending)
            if self.planner is not None:
                self.planner.drop_unstruck_clicks(unreleased)
        else:
            pending = list(self.pending)
            position = Fraction(max(self.beat_at(after_offset), float(self.start)))
            planned_until = self.planned_until
            for i, seg in enumerate(self.segments):
                seg_end = min(self.segments[i + 1].beat if i + 1 < len(self.segments) else self.end,
                              planned_until)
                begin = max(seg.beat, position)
                if begin < seg_end:
                    base = seg.score.tempo_map.seconds_at(seg.beat)
                    for m in click_messages(seg.score, begin, seg_end):
                        if m.beat >= planned_until and self.planner is not None:
                            self.planner.carry_click(m)  # a click-off past the plan: keep the list in order
                        else:
                            pending.append(PlannedEvent(seg.offset + m.seconds - base, m.beat, EventKind.SEND,
                                                        m.message, True))
            if self.planner is not None:
                self.planner.metronome = True
        self.events = sorted(pending, key=lambda e: (e.beat, e.rank))
        self.index = 0


def _without_unstruck_clicks(events: list[PlannedEvent]) -> tuple[list[PlannedEvent], dict[int, int]]:
    """Drop pending click note-ons and their note-offs; keep releases of clicks already struck.

    Also returns, per click note, how many dropped note-ons had no note-off among ``events``
    (it is still in the planner's hands).
    """
    dropped: dict[int, int] = {}
    kept: list[PlannedEvent] = []
    for event in events:
        message = event.message
        if event.click and message is not None:
            if message.type == "note_on":
                dropped[message.note] = dropped.get(message.note, 0) + 1
                continue
            if dropped.get(message.note, 0) > 0:
                dropped[message.note] -= 1
                continue
        kept.append(event)
    return kept, {note: count for note, count in dropped.items() if count}
