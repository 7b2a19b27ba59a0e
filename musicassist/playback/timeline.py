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
from .schedule import TimedMessage, schedule_messages


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


def _plan_events(
    score: Score, start: Fraction, end: Fraction, offset0: float, metronome: bool
) -> list[PlannedEvent]:
    """Events for ``start..end`` of ``score`` with ``start`` at ``offset0`` (no END)."""
    base = score.tempo_map.seconds_at(start)
    notes = [(m, False) for m in schedule_messages(score, start, end)]
    clicks = [(m, True) for m in click_messages(score, start, end)] if metronome else []
    ordered = sorted(notes + clicks, key=lambda pair: (pair[0].beat, pair[0].order))
    return [
        PlannedEvent(offset0 + m.seconds - base, m.beat, EventKind.SEND, m.message, is_click)
        for m, is_click in ordered
    ]


@dataclass
class PassPlan:
    """Events of one pass over ``start..end``; ``index`` is the next one to send."""

    start: Fraction
    end: Fraction
    events: list[PlannedEvent]
    segments: list[Segment] = field(default_factory=list)
    index: int = 0

    @classmethod
    def build(
        cls, score: Score, start: Fraction, end: Fraction, *, metronome: bool = False, count_in_bars: int = 0
    ) -> PassPlan:
        events = _plan_events(score, start, end, 0.0, metronome)
        if count_in_bars:
            base = score.tempo_map.seconds_at(start)
            count_in = [
                PlannedEvent(m.seconds - base, m.beat, EventKind.SEND, m.message)
                for m in count_in_messages(score, start, count_in_bars)
            ]
            events = count_in + events
        end_offset = score.tempo_map.seconds_at(end) - score.tempo_map.seconds_at(start)
        events.append(PlannedEvent(end_offset, end, EventKind.END))
        return cls(start, end, events, [Segment(0.0, start, score)])

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

    def switch(self, score: Score, at_beat: Fraction, *, metronome: bool = False) -> None:
        """From ``at_beat`` on (``start <= at_beat < end``), play ``score`` instead.

        Pending events before ``at_beat`` stay; the notes still sounding at
        ``at_beat`` are released there, and ``score``'s notes starting at or
        after it are planned on its own tempo map from that instant on.
        """
        if not self.start <= at_beat < self.end:
            raise ValueError("a switch must fall inside the pass")
        keep = [e for e in self.pending if e.beat < at_beat]
        at_offset = self.offset_of(at_beat)
        self.segments = [s for s in self.segments if s.beat < at_beat] + [Segment(at_offset, at_beat, score)]
        tail = [PlannedEvent(at_offset, at_beat, EventKind.FLUSH)]
        tail += _plan_events(score, at_beat, self.end, at_offset, metronome)
        tail.append(PlannedEvent(self.offset_of(self.end), self.end, EventKind.END))
        self.events = keep + tail
        self.index = 0

    def set_clicks(self, on: bool, after_offset: float) -> None:
        """Add or remove the metronome for the rest of the pass (after ``after_offset``).

        Turning it off keeps pending click note-offs, so no click rings on.
        """
        if not on:
            pending = _without_unstruck_clicks(self.pending)
        else:
            pending = self.pending
            position = Fraction(max(self.beat_at(after_offset), float(self.start)))
            for i, seg in enumerate(self.segments):
                seg_end = self.segments[i + 1].beat if i + 1 < len(self.segments) else self.end
                begin = max(seg.beat, position)
                if begin < seg_end:
                    base = seg.score.tempo_map.seconds_at(seg.beat)
                    pending += [
                        PlannedEvent(seg.offset + m.seconds - base, m.beat, EventKind.SEND, m.message, True)
                        for m in click_messages(seg.score, begin, seg_end)
                    ]
        self.events = sorted(pending, key=lambda e: (e.beat, e.rank))
        self.index = 0


def _without_unstruck_clicks(events: list[PlannedEvent]) -> list[PlannedEvent]:
    """Drop pending click note-ons and their note-offs; keep releases of clicks already struck."""
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
    return kept
