"""Curation: features, distances, farthest-point choice and the words that label candidates."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from musicassist.core.score import Note, Score, Track
from musicassist.ml.curation import distance, features_of, label, select_varied


def melody(pitches: list[int], step: Fraction = Fraction(1), bars: int = 2, start: Fraction = Fraction(0)) -> Score:
    notes = tuple(Note(start + i * step, p, step) for i, p in enumerate(pitches))
    return Score(tracks=(Track(notes=notes),), length_bars=bars)


SCALE_UP = melody([60, 62, 64, 65, 67, 69, 71, 72])
SCALE_UP_OCTAVE = melody([72, 74, 76, 77, 79, 81, 83, 84])
ARPEGGIO = melody([60, 67, 64, 72, 60, 67, 64, 72])
EIGHTHS = melody([60, 62, 64, 65, 67, 69, 71, 72] * 2, step=Fraction(1, 2))


def test_features_describe_register_density_motion_and_rhythm():
    f = features_of(SCALE_UP)
    assert f.mean_pitch == pytest.approx(66.25)
    assert f.notes_per_bar == 4 and f.note_count == 8
    assert f.mean_leap == pytest.approx(12 / 7)
    assert f.rhythm.sum() == 8 and f.rhythm.size == 32  # sixteenth slots over two bars
    assert f.contour.size == 8 and f.contour.mean() == pytest.approx(0.0)


def test_distance_is_zero_for_the_same_music_and_grows_with_difference():
    same = distance(features_of(SCALE_UP), features_of(SCALE_UP))
    octave = distance(features_of(SCALE_UP), features_of(SCALE_UP_OCTAVE))
    leaps = distance(features_of(SCALE_UP), features_of(ARPEGGIO))
    rhythm = distance(features_of(SCALE_UP), features_of(EIGHTHS))
    assert same == 0.0
    assert octave == pytest.approx(1.0)  # same shape and rhythm, an octave up
    assert leaps > 0 and rhythm > 0


def test_silence_is_far_from_music():
    silent = features_of(Score(length_bars=2))
    assert distance(silent, features_of(SCALE_UP)) > distance(features_of(ARPEGGIO), features_of(SCALE_UP))


def test_selection_starts_from_the_likeliest_and_adds_the_most_different():
    pool = [SCALE_UP, SCALE_UP, SCALE_UP_OCTAVE, SCALE_UP, SCALE_UP]
    features = [features_of(s) for s in pool]
    assert select_varied(features, [-1.2, -1.0, -1.15, -1.1, -1.25], 2) == [1, 2]


def test_selection_drops_the_least_likely_third_before_looking_for_variety():
    pool = [SCALE_UP, SCALE_UP, SCALE_UP, SCALE_UP, SCALE_UP, SCALE_UP_OCTAVE]
    chosen = select_varied([features_of(s) for s in pool], [-1.0, -1.0, -1.0, -1.0, -1.0, -9.0], 2)
    assert 5 not in chosen


def test_rejected_candidates_are_used_only_when_nothing_else_is_left():
    features = [features_of(s) for s in (SCALE_UP, SCALE_UP_OCTAVE, ARPEGGIO)]
    assert 1 not in select_varied(features, [-1.0, -0.5, -2.0], 2, rejected=[False, True, False])
    assert select_varied(features, [-1.0, -0.5, -2.0], 3, rejected=[False, True, False])[-1] == 1


def test_labels_compare_with_the_middle_of_the_set():
    features = [features_of(s) for s in (SCALE_UP, SCALE_UP_OCTAVE, EIGHTHS, ARPEGGIO)]
    assert label(features[1], features) == "higher"
    assert label(features[2], features) == "denser"
    assert "leaping" in label(features[3], features)
    assert label(features[0], features) in ("middle of the set", "sparser")


def test_single_candidates_are_labelled_against_the_seed():
    assert label(features_of(SCALE_UP_OCTAVE), features_of(SCALE_UP)) == "higher"
    assert label(features_of(SCALE_UP), features_of(SCALE_UP)) == "close to the seed"
    assert label(features_of(Score(length_bars=2)), features_of(SCALE_UP)) == "silent"


def test_notes_read_from_tokens_match_the_score_they_encode():
    from musicassist.codec import default_vocabulary, encode
    from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature
    from musicassist.ml.curation import notes_from_score, notes_from_tokens

    meters = MeterMap((MeterChange(0, TimeSignature(3, 4)), MeterChange(1, TimeSignature(6, 8))))
    notes = (Note(Fraction(0), 60, Fraction(1)), Note(Fraction(0), 64, Fraction(1, 2)),
             Note(Fraction(4), 67, Fraction(3, 2)), Note(Fraction(11, 2), 59, Fraction(1, 2)))
    score = Score(tracks=(Track(notes=notes),), meter_map=meters, length_bars=3)
    from_tokens = notes_from_tokens(encode(score, eos=False), default_vocabulary())
    from_score = notes_from_score(score)
    order = np.lexsort((from_score.pitch, from_score.start))
    np.testing.assert_array_equal(from_tokens.start, from_score.start[order])
    np.testing.assert_array_equal(from_tokens.pitch, from_score.pitch[order])
    np.testing.assert_array_equal(from_tokens.duration, from_score.duration[order])
    np.testing.assert_array_equal(from_tokens.bar_starts, [0, 36, 72])
    assert from_tokens.end == from_score.end == 108
