"""Curation: features, distances, farthest-point choice and the words that label candidates."""

from __future__ import annotations

import json
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
    labels = [label(f, features) for f in features]
    assert labels[1].startswith("higher register")
    assert "denser" in labels[2]
    assert "leaping" in labels[3]
    assert len(set(labels)) == len(labels)


def test_single_candidates_are_labelled_against_the_seed():
    assert label(features_of(SCALE_UP_OCTAVE), features_of(SCALE_UP)) == "higher register"
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


# --- plausibility: leave out what sounds unlike real continuations of the seed ----------------------

def test_features_keep_the_notes_they_describe():
    from musicassist.ml.curation import notes_from_score

    f = features_of(SCALE_UP)
    assert f.notes is not None and f.notes.pitch.tolist() == notes_from_score(SCALE_UP).pitch.tolist()


def test_plausible_leaves_out_strange_and_unlikely_candidates_but_fills_up():
    from musicassist.ml.curation import LIKELIHOOD_MARGIN, plausible

    scores = np.array([0.0, 5.0, 0.5, 0.1, 0.0])
    likelihoods = [-1.0, -0.5, -1.1, -1.0 - 2 * LIKELIHOOD_MARGIN, -0.9]
    assert plausible([0, 1, 2, 3, 4], likelihoods, scores, 1.0, 2) == [4, 0, 2]  # least strange first
    assert plausible([0, 1, 2, 3, 4], likelihoods, scores, 1.0, 4) == [4, 0, 2, 3]  # the least strange fill up
    assert plausible([], likelihoods, scores, 1.0, 2) == []


def test_the_density_of_real_rows_scores_them_low_and_outliers_high():
    from musicassist.ml import plausibility

    rng = np.random.default_rng(0)
    rows = rng.normal(0, 1, (2000, 3)) @ np.array([[1.0, 0.9, 0.0], [0.0, 0.4, 0.0], [0.0, 0.0, 1.0]])
    density = plausibility.fit(rows, ("a", "b", "c"))
    scores = plausibility.outlier_scores(rows, density)
    assert np.mean(scores <= density.threshold) == pytest.approx(plausibility.KEEP_REAL, abs=0.01)
    middle = plausibility.outlier_scores(rows.mean(axis=0), density)[0]
    assert middle < 0.01
    # Each value on its own is ordinary; together they break the correlation real rows have.
    against_the_grain = plausibility.outlier_scores(np.array([1.5, -1.5, 0.0]), density)[0]
    assert against_the_grain > density.threshold
    assert plausibility.from_json(json.loads(json.dumps(plausibility.to_json(density, {})))) is None  # other names


def test_the_shipped_density_describes_the_current_features():
    from musicassist.ml import plausibility
    from musicassist.ml.realism_features import FEATURE_NAMES

    density = plausibility.shipped_density()
    assert density is not None and density.names == FEATURE_NAMES
    assert density.precision.shape == (len(FEATURE_NAMES),) * 2 and np.all(density.scale > 0)
    assert density.threshold > 0


def test_with_the_seed_selection_passes_over_music_unlike_any_real_continuation():
    from musicassist.ml.curation import notes_from_score

    seed = melody([60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 62, 60], bars=4)
    alike = [melody([p + shift for p in [64, 65, 67, 69, 67, 65, 64, 62, 60, 62, 64, 65, 64, 62, 60, 60]], bars=4)
             for shift in (0, 2, -1, 0, 1, 0)]
    hammered = melody([60] * 16, bars=4)  # one pitch struck 16 times
    howling = melody([36, 96, 38, 94, 40, 92, 41, 90, 43, 88, 45, 86, 47, 84, 48, 83], bars=4)
    pool = [*alike, hammered, howling]
    features = [features_of(s) for s in pool]
    likelihoods = [-1.0] * len(alike) + [-0.6, -0.8]  # a hammered note is what a model finds likeliest
    chosen = select_varied(features, likelihoods, 3, seed=notes_from_score(seed))
    assert 6 not in chosen and 7 not in chosen
    assert 6 in select_varied(features, likelihoods, 3)  # without the seed: likeliest first


def test_with_the_seed_the_candidate_that_carries_the_seed_on_comes_first():
    from musicassist.ml.curation import development, notes_from_score

    seed = melody([60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 62, 60], bars=4)
    pool = [
        melody([64, 60, 67, 64, 72, 69, 65, 67, 62, 65, 59, 62, 67, 64, 65, 60], bars=4),  # none of the seed's motifs
        melody([67, 64, 60, 65, 69, 72, 71, 67, 62, 59, 64, 60, 65, 69, 67, 64], bars=4),  # one motif recurs
        melody([72, 67, 69, 64, 65, 60, 62, 59, 60, 64, 62, 67, 65, 69, 71, 72], bars=4),
        melody([62, 64, 66, 67, 69, 67, 66, 64, 65, 64, 62, 60, 62, 64, 62, 60], bars=4),  # seed bars 1-2 a tone up
    ]
    features = [features_of(s) for s in pool]
    seed_notes = notes_from_score(seed)
    carried = development(features, seed_notes, range(4))
    assert carried[0] == carried[2] == 0 and carried[3] > carried[1] > 0
    # The least strange half is the first two; of those, the one that develops the seed is taken first.
    assert select_varied(features, [-1.0] * 4, 2, seed=seed_notes)[0] == 1
