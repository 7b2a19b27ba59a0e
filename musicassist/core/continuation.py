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
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from enum import Enum
from fractions import Fraction

from .edits import insert_bars, replace_bars
from .errors import ScoreError
from .score import Note, Score
from .timemaps import MeterMap, TempoChange, TempoMap


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
) -> Score:
    """``score`` with ``continuation`` written into track ``target`` from bar ``at_bar`` (0-based) on."""
    track = score.track(target)
    if at_bar < 0:
        raise ScoreError("Bars count from 1.")
    length = max(1, continuation.bar_count)
    meters = continuation.meter_map.slice(0, length)
    notes = continuation_notes(continuation, track.channel)
    begin = score.bar_start(at_bar)
    if mode is AcceptMode.INSERT:
        tracks = [t.with_notes(notes if i == target else ()) for i, t in enumerate(score.tracks)]
        # The inserted bars keep the tempo in force where they go, not the continuation's default.
        fragment = Score(tracks=tuple(tracks), meter_map=meters,
                         tempo_map=TempoMap.constant(score.tempo_map.bpm_at(begin)), length_bars=length)
        return insert_bars(score, at_bar, fragment)
    place = _bar_mapping(score.meter_map, at_bar, meters)
    stop = score.bar_start(at_bar + length)
    tracks = []
    for i, old in enumerate(score.tracks):
        if i == target:
            tracks.append(old.with_notes(notes))
        elif i in cleared:
            tracks.append(old.with_notes(()))
        else:
            kept = [replace(n, start=start) for n in old.notes
                    if begin <= n.start < stop and (start := place(n.start)) is not None]
            tracks.append(old.with_notes(kept))
    tempi = [TempoChange(Fraction(0), score.tempo_map.bpm_at(begin))]
    tempi += [TempoChange(beat, c.bpm) for c in score.tempo_map.changes
              if begin < c.beat < stop and (beat := place(c.beat)) is not None]
    fragment = Score(tracks=tuple(tracks), meter_map=meters, tempo_map=TempoMap.from_changes(tempi),
                     length_bars=length)
    return replace_bars(score, at_bar, fragment)


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
