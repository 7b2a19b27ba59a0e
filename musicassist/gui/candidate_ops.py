"""Pure score operations of the assistant loop: the seed to send, a candidate written in.

Qt-free so they are tested as plain functions. A candidate is written into
one track only: in *replace* mode the edited track's notes in the bars after
the selection give way to it and the other tracks stay as they are; in
*insert* mode new bars are opened in every track (so the parts stay aligned)
and only the edited track gets the notes.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from fractions import Fraction

from musicassist.core.edits import insert_bars, slice_bars
from musicassist.core.errors import ScoreError
from musicassist.core.score import BarRange, Note, Score
from musicassist.core.timemaps import TempoMap


class AcceptMode(Enum):
    REPLACE = "replace"
    INSERT = "insert"


def seed_for(score: Score, track_index: int, bars: BarRange) -> Score:
    """The selected bars of one track as a score starting at beat 0 (what the sampler continues)."""
    if track_index >= len(score.tracks):
        raise ScoreError(f"There is no track {track_index + 1}.")
    single = score.with_tracks((score.tracks[track_index],))
    return slice_bars(single, bars.start, bars.end)


def candidate_notes(candidate_score: Score, channel: int) -> tuple[Note, ...]:
    """All notes of a candidate, on the edited track's channel, continuation-relative."""
    return tuple(replace(n, channel=channel) for t in candidate_score.tracks for n in t.notes)


def continuation_offset(score: Score, bars: BarRange) -> Fraction:
    """Beat of the barline right after the selection: where a candidate starts."""
    return score.bar_start(bars.end)


def apply_candidate(
    score: Score, track_index: int, at_bar: int, candidate_score: Score, mode: AcceptMode
) -> Score:
    """``score`` with the candidate written into track ``track_index`` from bar ``at_bar`` on."""
    track = score.track(track_index)
    notes = candidate_notes(candidate_score, track.channel)
    length = max(1, candidate_score.bar_count)
    begin = score.bar_start(at_bar)
    if mode is AcceptMode.INSERT:
        tracks = [t.with_notes(()) for t in score.tracks]
        tracks[track_index] = track.with_notes(notes)
        fragment = Score(
            tracks=tuple(tracks),
            meter_map=candidate_score.meter_map,
            # The inserted bars keep the tempo in force where they go, not the candidate's default.
            tempo_map=TempoMap.constant(score.tempo_map.bpm_at(begin)),
            length_bars=length,
        )
        return insert_bars(score, at_bar, fragment)
    stop = score.bar_start(at_bar + length)
    kept = [n for n in track.notes if not begin <= n.start < stop]
    written = track.with_notes([*kept, *(n.moved(begin) for n in notes)])
    return replace(score.with_track(track_index, written), length_bars=max(score.bar_count, at_bar + length))


def audition_range(score: Score, bars: BarRange, length_bars: int) -> tuple[Fraction, Fraction]:
    """Loop of an audition: from the seed's first barline to the end of the continuation."""
    return score.bar_start(bars.start), score.bar_start(bars.end + length_bars)
