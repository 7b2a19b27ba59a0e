from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from musicassist.core import (
    BarRange,
    MeterChange,
    MeterMap,
    Note,
    Score,
    ScoreError,
    TimeSignature,
    Track,
    delete_bars,
    insert_bars,
    merge_scores,
    merge_tracks,
    quantize_notes,
    replace_bars,
    resolve_overlaps,
    slice_bars,
    transpose,
)

from .strategies import scores

F = Fraction


def _piece() -> Score:
    meters = MeterMap.from_changes([MeterChange(0, TimeSignature(4, 4)), MeterChange(2, TimeSignature(6, 8))])
    notes = (Note(F(0), 60, F(1)), Note(F(5), 62, F(1)), Note(F(9), 64, F(3, 2)), Note(F(12), 65, F(1)))
    return Score(tracks=(Track("melody", notes),), meter_map=meters)


def test_slice_keeps_bar_contents_relative_to_zero():
    piece = _piece()
    bars = slice_bars(piece, 1, 3)  # bar 2 (4/4) and bar 3 (6/8)
    assert [(n.start, n.pitch) for n in bars.notes] == [(F(1), 62), (F(5), 64)]
    assert bars.bar_count == 2
    assert bars.meter_map.time_signature_at_bar(1) == TimeSignature(6, 8)


def test_slice_of_empty_bars_keeps_its_length():
    assert slice_bars(_piece(), 6, 10).bar_count == 4


@settings(max_examples=150, deadline=None)
@given(scores(), st.data())
def test_slice_then_replace_is_identity(score, data):
    a = data.draw(st.integers(min_value=0, max_value=score.bar_count))
    b = data.draw(st.integers(min_value=a + 1, max_value=score.bar_count + 2))
    fragment = slice_bars(score, a, b)
    restored = replace_bars(score, a, fragment)
    if b <= score.bar_count:
        assert restored == score
    else:  # slicing past the end lengthens the piece with empty bars, nothing else
        assert restored.notes == score.notes and restored.bar_count == b
        assert [t.events for t in restored.tracks] == [t.events for t in score.tracks]
        assert (restored.events, restored.key, restored.key_changes) == (score.events, score.key, score.key_changes)


@settings(max_examples=150, deadline=None)
@given(scores(), scores(max_tracks=1), st.data())
def test_insert_then_delete_is_identity(score, fragment, data):
    assume(fragment.bar_count > 0)
    at = data.draw(st.integers(min_value=0, max_value=score.bar_count))
    grown = insert_bars(score, at, fragment)
    assert grown.bar_count == score.bar_count + fragment.bar_count
    assert slice_bars(grown, at, at + fragment.bar_count).tracks[0].notes == fragment.tracks[0].notes
    assert delete_bars(grown, at, at + fragment.bar_count) == score


@given(scores(), st.integers(min_value=-12, max_value=12))
def test_transpose_there_and_back_is_identity(score, k):
    assert transpose(transpose(score, k), -k) == score


def test_transpose_leaves_drums_and_refuses_out_of_range():
    drums = Track("drums", (Note(F(0), 36, F(1), channel=9),), channel=9)
    score = Score(tracks=(drums, Track("bass", (Note(F(0), 40, F(1)),))))
    moved = transpose(score, 5)
    assert moved.tracks[0] == drums and moved.tracks[1].notes[0].pitch == 45
    with pytest.raises(ScoreError):
        transpose(Score(tracks=(Track(notes=(Note(F(0), 125, F(1)),)),)), 5)


def test_quantize_straight_and_triplet_grids():
    notes = (Note(F(26, 100), 60, F(24, 100)), Note(F(34, 100), 62, F(30, 100)))
    straight = quantize_notes(notes, F(1, 4))
    assert [(n.start, n.duration) for n in straight] == [(F(1, 4), F(1, 4)), (F(1, 4), F(1, 4))]
    triplet = quantize_notes(notes, F(1, 3))
    assert [(n.start, n.duration) for n in triplet] == [(F(1, 3), F(1, 3)), (F(1, 3), F(1, 3))]


@given(st.lists(st.builds(Note, start=st.integers(0, 20).map(F), pitch=st.integers(60, 62),
                          duration=st.integers(1, 6).map(F)), max_size=30))
def test_resolve_overlaps_leaves_no_same_pitch_overlap(notes):
    resolved = resolve_overlaps(notes)
    by_pitch: dict[int, list[Note]] = {}
    for n in resolved:
        by_pitch.setdefault(n.pitch, []).append(n)
    for group in by_pitch.values():
        for first, second in pairwise(group):
            assert first.end <= second.start
    assert {(n.start, n.pitch) for n in resolved} == {(n.start, n.pitch) for n in notes}


def test_merge_tracks_and_scores():
    a = Track("a", (Note(F(0), 60, F(2)),), channel=0)
    b = Track("b", (Note(F(1), 60, F(2)), Note(F(1), 64, F(1))), channel=1)
    merged = merge_tracks([a, b], name="both")
    assert [(n.start, n.pitch, n.duration, n.channel) for n in merged.notes] == [
        (F(0), 60, F(1), 0), (F(1), 60, F(2), 0), (F(1), 64, F(1), 0)]
    combined = merge_scores(Score(tracks=(a,)), Score(tracks=(b,)))
    assert len(combined.tracks) == 2 and combined.note_count == 3


def test_bar_range_parsing():
    assert BarRange.parse("1-4") == BarRange(0, 4)
    assert BarRange.parse("3") == BarRange(2, 3)
    for bad in ("0-2", "4-1", "x"):
        with pytest.raises(ScoreError):
            BarRange.parse(bad)
