"""Pure edits of a score's tempo and meter maps: insert, change, move and delete a change.

Tempo changes sit on beats, meter changes on barlines (0-based bars). The
opening tempo and meter (beat 0, bar 0) can be changed but not moved or
deleted: a map always starts with one. Notes keep their beats: a meter
change moves the barlines over the music, a tempo change its seconds. Moving
a change onto another replaces that one. Each function returns a new Score.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from .errors import ScoreError
from .score import Score
from .timemaps import MeterChange, MeterMap, TempoChange, TempoMap, TimeSignature


# -- tempo -------------------------------------------------------------------------------------
def tempo_change_at(score: Score, beat: Fraction) -> TempoChange | None:
    return next((c for c in score.tempo_map.changes if c.beat == beat), None)


def set_tempo(score: Score, beat: Fraction, bpm: float) -> Score:
    """A tempo of ``bpm`` from ``beat`` on (a new change, or the one already there changed)."""
    beat = Fraction(beat)
    if beat < 0:
        raise ScoreError("A tempo change cannot come before the beginning of the piece.")
    kept = [c for c in score.tempo_map.changes if c.beat != beat]
    # Not from_changes: it would drop a change equal to the one before, which the composer just placed.
    changes = sorted([*kept, TempoChange(beat, float(bpm))], key=lambda c: c.beat)
    return replace(score, tempo_map=TempoMap(tuple(changes)))


def delete_tempo(score: Score, beat: Fraction) -> Score:
    if beat == 0:
        raise ScoreError("The opening tempo cannot be deleted; change its value instead.")
    if tempo_change_at(score, beat) is None:
        raise ScoreError("There is no tempo change there.")
    return replace(score, tempo_map=TempoMap(tuple(c for c in score.tempo_map.changes if c.beat != beat)))


def move_tempo(score: Score, beat: Fraction, to_beat: Fraction) -> Score:
    """The tempo change at ``beat`` moved to ``to_beat`` (after the start of the piece)."""
    change = tempo_change_at(score, beat)
    if change is None:
        raise ScoreError("There is no tempo change there.")
    if beat == 0:
        raise ScoreError("The opening tempo stays at the beginning.")
    if to_beat <= 0:
        raise ScoreError("Only the opening tempo sits on the first beat.")
    moved = set_tempo(delete_tempo(score, beat), to_beat, change.bpm)
    # The change itself moves, exact microseconds per beat (a tempo read from MIDI) included.
    tempo = tuple(replace(change, beat=c.beat) if c.beat == to_beat else c for c in moved.tempo_map.changes)
    return replace(moved, tempo_map=TempoMap(tempo))


# -- meter -------------------------------------------------------------------------------------
def meter_change_at(score: Score, bar: int) -> MeterChange | None:
    return next((c for c in score.meter_map.changes if c.bar == bar), None)


def _with_meters(score: Score, changes: list[MeterChange]) -> Score:
    """The same number of bars (more if a note now starts later), under the new meters."""
    meter = MeterMap(tuple(sorted(changes, key=lambda c: c.bar)))
    return replace(score, meter_map=meter)


def set_meter(score: Score, bar: int, time_signature: TimeSignature) -> Score:
    """``time_signature`` from 0-based ``bar`` on (a new change, or the one already there changed)."""
    if bar < 0:
        raise ScoreError("Bars count from 1.")
    kept = [c for c in score.meter_map.changes if c.bar != bar]
    return _with_meters(score, [*kept, MeterChange(bar, time_signature)])


def delete_meter(score: Score, bar: int) -> Score:
    if bar == 0:
        raise ScoreError("The opening time signature cannot be deleted; change it instead.")
    if meter_change_at(score, bar) is None:
        raise ScoreError("There is no time signature change there.")
    return _with_meters(score, [c for c in score.meter_map.changes if c.bar != bar])


def move_meter(score: Score, bar: int, to_bar: int) -> Score:
    """The meter change at ``bar`` moved to start at bar ``to_bar`` instead (0-based)."""
    change = meter_change_at(score, bar)
    if change is None:
        raise ScoreError("There is no time signature change there.")
    if bar == 0:
        raise ScoreError("The opening time signature stays at bar 1.")
    if to_bar <= 0:
        raise ScoreError("Only the opening time signature sits at bar 1.")
    # By bar number: the change now starts at bar ``to_bar`` (bars before it keep their meter).
    return set_meter(delete_meter(score, bar), to_bar, change.time_signature)
