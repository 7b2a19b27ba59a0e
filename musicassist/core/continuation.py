"""Write a continuation into a score: the one operation behind the window's Accept and audition and
``musicassist generate --merge``.

A continuation is a score of exactly K bars in its own meter (the sampler
writes it in the seed's last meter). It is written bar by bar, never by
beat offset: bar k of the continuation becomes bar ``at_bar + k`` of the
result, whatever meters the score had there. So with 4/4 and then 3/4 from
bar 3, a 2-bar 4/4 continuation written at bar 3 fills exactly bars 3-4 (now
4/4) and bar 5 onwards keeps its notes and its 3/4.

- *replace*: bars ``at_bar .. at_bar+K-1`` take the continuation's meters.
  The target track's notes that start there give way to the continuation
  (as do those of ``cleared`` tracks, which the continuation replaces
  together with the target); every other track keeps its notes and tempo
  changes at the same place in the same bar, and drops any that a shorter
  bar no longer holds. Later bars keep their meters, tempi and notes.
- *insert*: K new bars open at ``at_bar`` with the continuation's meters and
  the tempo in force there; later bars move right in every track, so the
  parts stay aligned; only the target track gets notes.

Notes of every continuation track go to the target track, on its channel.

Events (``core.events``) outside the replaced bars are never touched. Inside
them, in *replace* mode, every track keeps its events at the same place in
the bar (as its notes), except that ``replaced_events="clear"`` removes the
channel events (controllers, bend, pressure, programs) of the tracks the
continuation replaces (the target and ``cleared``); meta and sysex events
always stay. Key changes inside the replaced bars stay where they are.
*insert* opens bars without events, in the key in force before them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from enum import Enum
from fractions import Fraction
from typing import Literal

from .edits import insert_bars, replace_bars
from .errors import ScoreError
from .events import ChannelEvent, Event
from .score import Note, Score
from .timemaps import KeyChange, KeySignature, MeterMap, TempoMap


class AcceptMode(Enum):
    REPLACE = "replace"
    INSERT = "insert"


def continuation_notes(continuation: Score, channel: int) -> tuple[Note, ...]:
    """All notes of a continuation on ``channel``, in continuation-relative beats."""
    return tuple(replace(n, channel=channel) for t in continuation.tracks for n in t.notes)


def write_continuation(
    score: Score,
    at_bar: int,
    continuation: Score,
    target: int,
    mode: AcceptMode = AcceptMode.REPLACE,
    cleared: Collection[int] = (),
    *,
    replaced_events: Literal["keep", "clear"] = "keep",
) -> Score:
    """``score`` with ``continuation`` written into track ``target`` from bar ``at_bar`` (0-based) on."""
    track = score.track(target)
    if at_bar < 0:
        raise ScoreError("Bars count from 1.")
    if replaced_events not in ("keep", "clear"):
        raise ScoreError(f"Unknown choice {replaced_events!r} for the replaced bars' events: keep or clear.")
    length = max(1, continuation.bar_count)
    meters = continuation.meter_map.slice(0, length)
    notes = continuation_notes(continuation, track.channel)
    begin = score.bar_start(at_bar)
    key = _key_before(score, begin)
    if mode is AcceptMode.INSERT:
        tracks = [replace(t, notes=notes if i == target else (), events=()) for i, t in enumerate(score.tracks)]
        # The inserted bars keep the tempo in force where they go, not the continuation's default.
        tempo = TempoMap((replace(score.tempo_map.change_at(begin), beat=Fraction(0)),))
        fragment = Score(tracks=tuple(tracks), meter_map=meters, tempo_map=tempo, length_bars=length, key=key)
        return insert_bars(score, at_bar, fragment)
    place = _bar_mapping(score.meter_map, at_bar, meters)
    stop = score.bar_start(at_bar + length)
    replaced = {target, *cleared}
    tracks = []
    for i, old in enumerate(score.tracks):
        kept_notes = () if i in replaced else _placed(old.notes, begin, stop, place)
        kept_events = _placed_events(old.events, begin, stop, place)
        if i in replaced and replaced_events == "clear":
            kept_events = tuple(e for e in kept_events if not isinstance(e, ChannelEvent))
        tracks.append(replace(old, notes=notes if i == target else kept_notes, events=kept_events))
    tempi = [replace(score.tempo_map.change_at(begin), beat=Fraction(0))]
    tempi += [replace(c, beat=beat) for c in score.tempo_map.changes
              if begin < c.beat < stop and (beat := place(c.beat)) is not None]
    key_changes = tuple(KeyChange(beat, c.key) for c in score.key_changes
                        if begin < c.beat < stop and (beat := place(c.beat)) is not None and beat > 0)
    fragment = Score(tracks=tuple(tracks), meter_map=meters, tempo_map=TempoMap(tuple(tempi)),
                     length_bars=length, key=score.key_at(begin), key_changes=key_changes,
                     events=_placed_events(score.events, begin, stop, place))
    return replace_bars(score, at_bar, fragment)


def _key_before(score: Score, beat: Fraction) -> KeySignature | None:
    """The key in force just before ``beat`` (a change exactly there belongs to the bars after it)."""
    current = score.key
    for change in score.key_changes:
        if change.beat >= beat:
            break
        current = change.key
    return current


def _placed(notes: tuple[Note, ...], begin: Fraction, stop: Fraction,
            place: Callable[[Fraction], Fraction | None]) -> tuple[Note, ...]:
    """Notes starting in ``begin..stop``, at the same place of the same bar of the new bars (relative beats)."""
    return tuple(replace(n, start=start) for n in notes
                 if begin <= n.start < stop and (start := place(n.start)) is not None)


def _placed_events(events: tuple[Event, ...], begin: Fraction, stop: Fraction,
                   place: Callable[[Fraction], Fraction | None]) -> tuple[Event, ...]:
    """``_placed`` for events: those a shorter bar cannot hold are dropped like its notes."""
    return tuple(replace(e, time=time) for e in events
                 if begin <= e.time < stop and (time := place(e.time)) is not None)


def _bar_mapping(old: MeterMap, at_bar: int, new: MeterMap) -> Callable[[Fraction], Fraction | None]:
    """Beat in the old bars -> the same place of the same bar in the new bars (None: the bar is too short)."""

    def place(beat: Fraction) -> Fraction | None:
        bar = old.bar_at(beat)
        within = beat - old.bar_start(bar)
        new_bar = bar - at_bar
        if within >= new.bar_length(new_bar):
            return None
        return new.bar_start(new_bar) + within

    return place
