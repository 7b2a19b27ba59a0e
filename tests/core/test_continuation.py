"""Writing a continuation into a score: bar by bar, the same for the window and for ``generate --merge``."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.cli.generate_command import merged
from musicassist.core import BarRange, MeterChange, MeterMap, Note, Score, TimeSignature, Track, slice_bars
from musicassist.core.continuation import AcceptMode, write_continuation
from musicassist.gui.candidate_ops import apply_candidate

from .strategies import METERS, notes, scores

F = Fraction


@st.composite
def continuations(draw: st.DrawFn) -> Score:
    """K bars in one meter, the sampler's shape: notes start inside the K bars."""
    meter = draw(st.sampled_from(METERS))
    bars = draw(st.integers(min_value=1, max_value=4))
    span = meter.bar_beats * bars
    found = [n for n in draw(st.lists(notes, max_size=12)) if n.start < span]
    return Score(tracks=(Track("c", tuple(found), channel=3),), meter_map=MeterMap.constant(meter), length_bars=bars)


@settings(max_examples=60, deadline=None)
@given(scores(max_tracks=3), continuations(), st.integers(min_value=1, max_value=12), st.data())
def test_the_window_and_the_command_write_the_same_score(score: Score, continuation: Score, at_bar: int,
                                                         data: st.DataObject) -> None:
    target = data.draw(st.integers(min_value=0, max_value=len(score.tracks) - 1))
    window = apply_candidate(score, target, at_bar, continuation, AcceptMode.REPLACE)
    command = merged(score, BarRange(at_bar - 1, at_bar), [target], continuation)
    assert window == command


@settings(max_examples=60, deadline=None)
@given(scores(max_tracks=2), continuations(), st.integers(min_value=0, max_value=12))
def test_the_continuation_fills_exactly_its_bars_and_later_bars_are_untouched(score: Score, continuation: Score,
                                                                              at_bar: int) -> None:
    length = continuation.bar_count
    result = write_continuation(score, at_bar, continuation, 0)
    written = slice_bars(result, at_bar, at_bar + length)
    assert written.meter_map == continuation.meter_map.slice(0, length)
    assert all(n.channel == score.tracks[0].channel for n in written.tracks[0].notes)
    assert sorted((n.start, n.pitch, n.duration) for n in written.tracks[0].notes) == sorted(
        (n.start, n.pitch, n.duration) for n in continuation.notes)
    after = max(score.bar_count, at_bar + length)
    if after > at_bar + length:
        assert slice_bars(result, at_bar + length, after) == slice_bars(score, at_bar + length, after)
    if at_bar:
        assert slice_bars(result, 0, at_bar) == slice_bars(score, 0, at_bar)


def test_other_tracks_keep_their_place_in_the_bar_and_drop_what_a_shorter_bar_cannot_hold() -> None:
    bass = Track("bass", (Note(F(8), 40, F(1), channel=1), Note(F(11), 41, F(1), channel=1)), channel=1)
    score = Score(tracks=(Track("m"), bass), length_bars=4)  # 4/4: bar 3 is beats 8-12
    continuation = Score(tracks=(Track("c", (Note(F(0), 70, F(1)),)),),
                         meter_map=MeterMap.constant(TimeSignature(3, 4)), length_bars=1)
    result = write_continuation(score, 2, continuation, 0)
    assert [(n.start, n.pitch) for n in result.tracks[1].notes] == [(F(8), 40)]  # beat 4 of a 3/4 bar: gone
    assert result.meter_map.time_signature_at_bar(2) == TimeSignature(3, 4)
    assert result.meter_map.time_signature_at_bar(3) == TimeSignature(4, 4)


def test_insert_opens_new_bars_in_the_continuations_meter() -> None:
    score = Score(tracks=(Track("m", (Note(F(0), 60, F(1)), Note(F(4), 62, F(1)))),), length_bars=2)
    continuation = Score(tracks=(Track("c", (Note(F(0), 70, F(3)),)),),
                         meter_map=MeterMap.constant(TimeSignature(3, 4)), length_bars=1)
    result = write_continuation(score, 1, continuation, 0, AcceptMode.INSERT)
    assert [(n.start, n.pitch) for n in result.tracks[0].notes] == [(F(0), 60), (F(4), 70), (F(7), 62)]
    assert result.meter_map.changes == (MeterChange(0, TimeSignature(4, 4)), MeterChange(1, TimeSignature(3, 4)),
                                        MeterChange(2, TimeSignature(4, 4)))
