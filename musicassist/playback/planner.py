"""Plans a score's messages bar by bar, so that playback can start before a long piece is planned.

Planning a whole 600-bar, 15,000-note pass up front took 1-2 s before the
first note could sound. A ``BarPlanner`` instead plans one bar at a time from
the start beat on: the player plans the first fraction of a second when Space
is pressed and the rest while it plays, ahead of the notes it sends.

It gives the same messages, in the same order, as ``schedule_messages`` over
the whole range: notes on their track's channel, muted (or not soloed) tracks
left out, setup (programs, volume, pan) and the chased controller state at
the start, the tracks' channel events at their times, same-pitch overlaps on
a channel resolved as ``core.edits.resolve_overlaps`` does, every note
released by the end. A note-off is handed out only once it is final: a later
note of the same pitch can still cut it short until the planner has passed
that point, so offs wait in a heap until their bar has been planned.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import mido

from musicassist.core.events import ChannelEvent
from musicassist.core.score import Score

from .event_index import index_for
from .metronome import click_messages
from .schedule import TimedMessage, audible_tracks, chase_messages, event_message, setup_messages

# A planned message: (beat, order, is_click, sequence, seconds from the piece's start, message)
Planned = tuple[Fraction, int, bool, int, float, mido.Message]


@dataclass
class _Sounding:
    """A struck note whose release is not final yet (a later same-pitch note may cut it)."""

    start: Fraction
    release: Fraction
    channel: int
    pitch: int
    sort_key: tuple[Fraction, int, Fraction, int, int]


@dataclass
class BarPlanner:
    score: Score
    start: Fraction
    end: Fraction
    metronome: bool = False
    next_beat: Fraction = field(init=False)  # everything before this beat has been handed out
    _carry: list[Planned] = field(init=False, default_factory=list)  # planned, but at or after next_beat
    _offs: list[tuple[Fraction, tuple[Fraction, int, Fraction, int, int], int, _Sounding]] = field(
        init=False, default_factory=list)
    _sounding: dict[tuple[int, int], _Sounding] = field(init=False, default_factory=dict)
    _tracks: list[tuple[tuple[Fraction, ...], int, int]] = field(init=False, default_factory=list)
    # Per audible track with channel events: (event times, events, channel, cursor: first not yet planned)
    _event_tracks: list[tuple[list[Fraction], list[ChannelEvent], int, int]] = field(
        init=False, default_factory=list)
    _sequence: itertools.count[int] = field(init=False, default_factory=itertools.count)
    _seconds_memo: dict[Fraction, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.next_beat = self.start
        for track in audible_tracks(self.score):
            starts = tuple(n.start for n in track.notes)
            # (note starts, track index in the score, cursor: first note not yet planned)
            self._tracks.append((starts, self.score.tracks.index(track), bisect.bisect_left(starts, self.start)))
            if track.events:
                index = index_for(track.events)  # shared, cached: a loop pass or seek does not rebuild it
                self._event_tracks.append((index.times, index.events, track.channel,
                                           bisect.bisect_left(index.times, self.start)))
        tempo = self.score.tempo_map
        seconds = tempo.seconds_at(self.start)
        # Setup, then the controller state in force here (a pass may start mid-piece, loop or seek).
        for message in setup_messages(self.score) + chase_messages(self.score, self.start):
            self._carry.append(self._planned(TimedMessage(self.start, seconds, message), False))

    @property
    def done(self) -> bool:
        return self.next_beat >= self.end and not self._carry

    def _planned(self, timed: TimedMessage, click: bool) -> Planned:
        return (timed.beat, timed.order, click, next(self._sequence), timed.seconds, timed.message)

    def plan_bar(self) -> list[Planned]:
        """Plan up to the next barline (or the end); the messages now final, in play order."""
        if self.next_beat >= self.end:
            ready, self._carry = sorted(self._carry), []
            return ready
        meters = self.score.meter_map
        a = self.next_beat
        b = min(self.end, meters.bar_start(meters.bar_at(a) + 1))
        last = b >= self.end
        fresh: list[Planned] = []
        for note in self._notes_starting_before(b):
            key = (note[3], note[1])
            sounding = self._sounding.get(key)
            if sounding is not None and sounding.release > note[0]:  # retriggered: the earlier one ends here
                self._push_off(sounding, note[0])
            fresh.append(self._planned(TimedMessage(note[0], self._seconds(note[0]), mido.Message(
                "note_on", channel=note[3], note=note[1], velocity=note[4])), False))
            release = min(note[0] + note[2], self.end)
            new = _Sounding(note[0], release, note[3], note[1], note)
            self._sounding[key] = new
            self._push_off(new, release)
        fresh += self._events_before(b)
        fresh += self._final_offs(b, last)
        if self.metronome:
            fresh += [self._planned(m, True) for m in click_messages(self.score, a, b)]
        self.next_beat = b
        merged = sorted(self._carry + fresh)
        if last:
            self._carry = []
            return merged
        split = bisect.bisect_left([p[0] for p in merged], b)
        ready, self._carry = merged[:split], merged[split:]
        return ready

    def _notes_starting_before(self, b: Fraction) -> list[tuple[Fraction, int, Fraction, int, int]]:
        """(start, pitch, duration, channel, velocity) of the notes in [next_beat, b), in Note order."""
        # Exact duplicates (start, channel, pitch) collapse into the longer, the first one on a tie,
        # as resolve_overlaps does; they always fall in the same bar.
        picked: dict[tuple[Fraction, int, int], tuple[Fraction, int, Fraction, int, int]] = {}
        for i, (starts, track_index, cursor) in enumerate(self._tracks):
            stop = bisect.bisect_left(starts, b, lo=cursor)
            if stop > cursor:
                track = self.score.tracks[track_index]
                for n in track.notes[cursor:stop]:
                    key = (n.start, track.channel, n.pitch)
                    if key not in picked or n.duration > picked[key][2]:
                        picked[key] = (n.start, n.pitch, n.duration, track.channel, n.velocity)
                self._tracks[i] = (starts, track_index, stop)
        # Note order is (start, pitch, duration, velocity, channel): sort on that, not on the tuple.
        return sorted(picked.values(), key=lambda n: (n[0], n[1], n[2], n[4], n[3]))

    def _seconds(self, beat: Fraction) -> float:
        """``tempo_map.seconds_at``, remembered for the bar being planned: tracks share beats (8 tracks'
        controllers on the same grid), and each lookup costs several Fraction operations."""
        seconds = self._seconds_memo.get(beat)
        if seconds is None:
            if len(self._seconds_memo) > 4096:
                self._seconds_memo.clear()
            seconds = self._seconds_memo[beat] = self.score.tempo_map.seconds_at(beat)
        return seconds

    def _events_before(self, b: Fraction) -> list[Planned]:
        """The tracks' channel events in [next_beat, b), each on its track's channel, in track order."""
        out: list[Planned] = []
        for i, (times, events, channel, cursor) in enumerate(self._event_tracks):
            stop = bisect.bisect_left(times, b, lo=cursor)
            for event in events[cursor:stop]:
                out.append(self._planned(TimedMessage(event.time, self._seconds(event.time),
                                                      event_message(event, channel)), False))
            self._event_tracks[i] = (times, events, channel, stop)
        return out

    def _push_off(self, sounding: _Sounding, release: Fraction) -> None:
        sounding.release = release
        heapq.heappush(self._offs, (release, sounding.sort_key, id(sounding), sounding))

    def _final_offs(self, b: Fraction, last: bool) -> list[Planned]:
        """Note-offs before ``b`` (all of them at the end): no later note can move them any more."""
        out: list[Planned] = []
        while self._offs and (last or self._offs[0][0] < b):
            release, _, _, sounding = heapq.heappop(self._offs)
            if release != sounding.release:
                continue  # superseded by an earlier release pushed after it
            sounding.release = Fraction(-1)  # released: a stale duplicate entry must not fire again
            if self._sounding.get((sounding.channel, sounding.pitch)) is sounding:
                del self._sounding[(sounding.channel, sounding.pitch)]
            out.append(self._planned(TimedMessage(release, self._seconds(release), mido.Message(
                "note_off", channel=sounding.channel, note=sounding.pitch, velocity=0)), False))
        return out

    def carry_click(self, timed: TimedMessage) -> None:
        """A click message at or after ``next_beat``, added from outside (the metronome turned on)."""
        self._carry.append(self._planned(timed, True))

    def drop_unstruck_clicks(self, unreleased: dict[int, int]) -> None:
        """The metronome was turned off: no clicks from here on. ``unreleased`` counts, per click note,
        the dropped click note-ons whose note-offs are still here; those go, other click-offs stay."""
        self.metronome = False
        left = dict(unreleased)
        kept: list[Planned] = []
        for planned in sorted(self._carry):
            message = planned[5]
            if planned[2] and message.type == "note_on":
                continue  # not struck yet (cannot happen for planned-ahead clicks, but harmless)
            if planned[2] and left.get(message.note, 0) > 0:
                left[message.note] -= 1
                continue
            kept.append(planned)
        self._carry = kept
