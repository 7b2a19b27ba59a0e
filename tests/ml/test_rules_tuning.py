"""The part-writing rules, the leap counts and the tuner's reward terms, presets and weights (pure, no model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from musicassist.core.errors import OptionError
from musicassist.ml import rules, tune_rewards
from musicassist.ml.curation import NoteArrays
from tests.ml.test_rules import BAR, C_MAJOR_SEED, QUARTER, SILENCE, line


def chords(voicings: list[list[int]]) -> NoteArrays:
    """One chord per quarter note, every voice struck together."""
    starts = np.concatenate([np.full(len(v), i * QUARTER) for i, v in enumerate(voicings)]).astype(np.int64)
    pitch = np.concatenate([np.array(v) for v in voicings]).astype(np.int64)
    return NoteArrays(starts, pitch, np.full(starts.size, QUARTER, dtype=np.int64), np.arange(4, dtype=np.int64) * BAR,
                      4 * BAR)


def test_parallel_fifths_and_octaves_between_the_outer_voices():
    # C-G fifth up to D-A fifth, both voices rising: parallel fifths. Then D-A to C-A (contrary): clean.
    assert rules.parallel_perfects(chords([[48, 55, 67], [50, 57, 69], [48, 57, 69]]), C_MAJOR_SEED) == 0.5
    # Octaves moving in parallel: C-C to D-D.
    assert rules.parallel_perfects(chords([[48, 55, 60], [50, 57, 62]]), C_MAJOR_SEED) == 1.0
    # A repeated fifth (no motion) is not a parallel.
    assert rules.parallel_perfects(chords([[48, 67], [48, 67]]), C_MAJOR_SEED) == 0.0
    assert math.isnan(rules.parallel_perfects(line([60, 62, 64]), C_MAJOR_SEED))


def test_wide_spacing_looks_at_the_upper_voices_only():
    assert rules.wide_spacing(chords([[36, 60, 64, 67]]), C_MAJOR_SEED) == 0.0  # a wide bass is fine
    assert rules.wide_spacing(chords([[48, 52, 67, 84], [48, 55, 60, 64]]), C_MAJOR_SEED) == 0.5
    assert math.isnan(rules.wide_spacing(chords([[48, 60]]), C_MAJOR_SEED))


def test_leap_counts_agree_with_the_resolution_rate():
    melody = line([60, 69, 67, 60, 72, 74, 62, 64])
    leaps, resolved = rules.leap_counts(melody)
    assert (leaps, resolved) == (3, 2)
    assert rules.leap_resolution(melody, C_MAJOR_SEED) == pytest.approx(resolved / leaps)
    assert rules.leap_counts(SILENCE) == (0, 0)
    assert rules.leap_counts(line([60, 74, 72, 60, 69, 67]), largest=rules.OCTAVE) == (2, 1)  # the ninth is left out
    assert tune_rewards.resolve_leaps(line([60, 74, 72, 65]), C_MAJOR_SEED) == 0.0  # a resolved ninth earns nothing


def test_reward_terms_point_the_good_way_and_ignore_undefined_rules():
    resolved, unresolved = line([60, 69, 67, 65]), line([60, 69, 74, 76])
    assert tune_rewards.resolve_leaps(resolved, C_MAJOR_SEED) == 1.0
    assert tune_rewards.resolve_leaps(unresolved, C_MAJOR_SEED) < 0
    in_key, out_of_key = line([60, 62, 64]), line([61, 63, 66])
    weights = {"in_key": 1.0}
    assert tune_rewards.reward(in_key, C_MAJOR_SEED, weights) > tune_rewards.reward(out_of_key, C_MAJOR_SEED, weights)
    for name in tune_rewards.TERMS:  # silence has no opinion: no reward, no penalty, never NaN
        assert tune_rewards.TERMS[name](SILENCE, C_MAJOR_SEED) == 0.0, name
    assert set(tune_rewards.TERM_RULE) == set(tune_rewards.TERMS)


def test_presets_rules_and_user_weights():
    folk = tune_rewards.resolve_weights(["folk melody"])
    assert folk == tune_rewards.PRESETS["folk melody"]
    assert tune_rewards.resolve_weights(["Folk-Melody"]) == folk
    mixed = tune_rewards.resolve_weights(["chorale", "reuse_seed_bars"], "in_key=3, close_spacing=0")
    assert mixed["in_key"] == 3.0 and mixed["reuse_seed_bars"] == 1.0 and "close_spacing" not in mixed
    for names, weights in ((["fugue"], None), (["in_key"], "in_key=lots"), (["in_key"], "tempo=1"),
                           (["in_key"], "in_key=0")):
        with pytest.raises(OptionError):
            tune_rewards.resolve_weights(names, weights)
