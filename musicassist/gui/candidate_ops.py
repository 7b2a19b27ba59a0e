"""Pure score operations of the assistant loop: the seed to send, a candidate written in.

Qt-free so they are tested as plain functions. Writing a candidate in is
``core.continuation.write_continuation`` (shared with ``generate --merge``):
bar by bar, so a meter change after the selection cannot make a candidate
spill into the bars after it. In *replace* mode the edited track's notes in
the bars after the selection give way to it and the other tracks keep
theirs; in *insert* mode new bars are opened in every track (so the parts
stay aligned) and only the edited track gets the notes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from musicassist.core.continuation import AcceptMode, continuation_notes, write_continuation
from musicassist.core.edits import slice_bars
from musicassist.core.errors import ScoreError
from musicassist.core.score import BarRange, Note, Score

__all__ = ["AcceptMode", "apply_candidate", "audition_range", "candidate_notes", "continuation_offset", "seed_for"]


def seed_for(score: Score, track_index: int, bars: BarRange) -> Score:
    """The selected bars of one track as a score starting at beat 0 (what the sampler continues)."""
    if track_index >= len(score.tracks):
        raise ScoreError(f"There is no track {track_index + 1}.")
    single = score.with_tracks((score.tracks[track_index],))
    return slice_bars(single, bars.start, bars.end)


def candidate_notes(candidate_score: Score, channel: int) -> tuple[Note, ...]:
    """All notes of a candidate, on the edited track's channel, continuation-relative."""
    return continuation_notes(candidate_score, channel)


def continuation_offset(score: Score, bars: BarRange) -> Fraction:
    """Beat of the barline right after the selection: where a candidate starts."""
    return score.bar_start(bars.end)


def apply_candidate(
    score: Score, track_index: int, at_bar: int, candidate_score: Score, mode: AcceptMode,
    replaced_events: Literal["keep", "clear"] = "keep",
) -> Score:
    """``score`` with the candidate written into track ``track_index`` from bar ``at_bar`` on.

    ``replaced_events`` says what becomes of the track's controllers in the bars the candidate replaces.
    """
    return write_continuation(score, at_bar, candidate_score, track_index, mode, replaced_events=replaced_events)


def audition_range(score: Score, bars: BarRange, length_bars: int) -> tuple[Fraction, Fraction]:
    """Loop of an audition of ``score`` with a candidate accepted: from the seed's first barline to the
    end of the continuation, whose bars are in the seed's last meter (what the sampler writes), not
    necessarily the meter ``score`` has after the selection."""
    begin = score.bar_start(bars.end)
    return score.bar_start(bars.start), begin + length_bars * score.meter_map.bar_length(bars.end - 1)
