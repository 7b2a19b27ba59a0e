"""The biases that keep a constrained line alive (repetition cap, register shift) and steer density."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from musicassist.codec import BatchGrammar, GrammarState, default_vocabulary
from musicassist.core.generation import GenerationOptions, GenerationRequest, Steering
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import KeySignature, TimeSignature
from musicassist.ml import curation, rules
from musicassist.ml.sampler import Sampler
from musicassist.ml.steering import SteeringTracker, plan_steering
from musicassist.ml.steering_bias import (
    HOT_EXPONENT,
    REPEAT_HAZARD,
    context_shift,
    density_tilt,
    fit_repeat_hazard,
    gap_bias,
    repeat_cap,
)

VOCAB = default_vocabulary()
FOUR_FOUR = TimeSignature(4, 4)
BAR = VOCAB.bar_id(FOUR_FOUR)


def note(position: int, pitch: int, duration: int = 12) -> list[int]:
    return [VOCAB.pos_id(position), VOCAB.pitch_id(pitch), VOCAB.dur_id(duration), VOCAB.vel_id(80)]


def test_hazards_are_measured_from_runs_of_repeated_pitches():
    # One line: 60 60 60 62 (a run of 3, then a change) and one: 64 65.
    lines = [np.array([60, 60, 60, 62]), np.array([64, 65])]
    assert fit_repeat_hazard(lines, longest=3, min_count=1) == (1.0, 0.5, 1.0, 0.0)
    # Too few runs reach two strikes for the default count: the value before carries on.
    assert fit_repeat_hazard(lines, longest=3, min_count=2) == (1.0, 0.5, 0.5, 0.5)


def test_shipped_hazards_grow_with_the_run_as_in_real_music():
    assert REPEAT_HAZARD[1] < REPEAT_HAZARD[2] < REPEAT_HAZARD[3]
    assert all(0 < h <= 1 for h in REPEAT_HAZARD)


def test_repeat_cap_brings_a_dominant_repeat_down_to_its_cap_and_keeps_the_rest_in_proportion():
    scaled = np.array([[10.0, 0.0, 0.0, -np.inf]])
    allowed = np.array([[True, True, True, False]])
    bias = repeat_cap(scaled, scaled, allowed, np.array([0]), np.array([0.25]))
    probs = np.exp(scaled[0, :3] + [bias[0], 0, 0])
    probs /= probs.sum()
    assert probs[0] == pytest.approx(0.25)
    assert probs[1] == pytest.approx(probs[2])  # the rest keeps the model's own proportions


def test_temperature_leaves_the_repeat_at_the_models_own_probability():
    natural = np.array([[1.0, 1.0, 0.0, 0.0]])  # the repeat (token 0) has probability e/(2e+2) at T=1
    allowed = np.ones((1, 4), dtype=bool)
    expected = np.e / (2 * np.e + 2)
    for temperature in (0.3, 0.7, 1.0, 2.0):
        scaled = natural / temperature
        bias = repeat_cap(scaled, natural, allowed, np.array([0]), np.array([0.9]), temperature)
        probs = np.exp(scaled[0] + [bias[0], 0, 0, 0])
        hot = max(1.0, temperature) ** HOT_EXPONENT  # above 1, a little more, as real music has
        assert probs[0] / probs.sum() == pytest.approx(expected * hot)


def test_repeat_cap_leaves_a_token_alone_when_it_is_the_only_choice():
    scaled = np.array([[3.0, 1.0]])
    bias = repeat_cap(scaled, scaled, np.array([[True, False]]), np.array([0]), np.array([0.1]))
    assert bias[0] == 0.0


def test_tracker_counts_how_often_the_melodic_line_strikes_its_pitch():
    plan = plan_steering(Steering(), VOCAB, FOUR_FOUR, 2)
    grammar = BatchGrammar.repeat(GrammarState(VOCAB, bar_token_ids=[BAR]), 1)
    tracker = SteeringTracker(plan, VOCAB, 1)
    chord_top = note(12, 60)[1:]  # another pitch at the same onset: no POS of its own
    tokens = [BAR, *note(0, 60), *note(12, 48), *chord_top, *note(24, 60), *note(36, 60), VOCAB.pos_id(40)]
    for token in tokens:
        row = np.array([token])
        assert grammar.masks()[0, token], VOCAB.name(token)
        grammar.advance(row)
        tracker.advance(row, grammar.position)
    # The chord 48+60 at beat 2 counts as 60 (its top): 60 was struck four times in a row.
    assert tracker.line_pitch[0] == 60 and tracker.run[0] == 4


def test_density_tilt_leans_towards_the_target_and_corrects_a_row_that_falls_behind():
    assert density_tilt(8.0, 4.0, np.array([0]), np.array([0.0]))[0] > 0  # denser than the seed: shorter gaps
    assert density_tilt(2.0, 4.0, np.array([0]), np.array([0.0]))[0] < 0
    behind, ahead = density_tilt(4.0, 4.0, np.array([1, 12]), np.array([1.0, 1.0]))
    assert behind > 0 > ahead
    pos_bias, bar_bias, _ = gap_bias(np.array([2.0]), np.array([0]), np.array([12, 24]), 48)
    assert pos_bias[0, 0] > pos_bias[0, 1] > bar_bias[0]  # a positive tilt prefers the nearest onset


def test_context_shift_moves_the_seed_by_octaves_into_the_register():
    high_seed = np.array([72, 76, 79, 84])
    assert context_shift(high_seed, 36, 60) == -24
    assert context_shift(high_seed, 60, 84) == 0
    assert context_shift(np.array([120, 124]), 100, 127) == 0
    assert context_shift(np.array([], dtype=np.int64), 36, 60) == 0


class _State:
    lookback = None

    def select(self, rows: np.ndarray) -> _State:
        return self


class RepeatLovingNetwork:
    """Logits that always favour middle C, one beat apart: an untamed sampler strikes it for bars on end."""

    def __init__(self) -> None:
        self.vocab_size = VOCAB.size
        logits = np.zeros(VOCAB.size, dtype=np.float32)
        logits[VOCAB.pitch_id(60)] = 6.0
        logits[VOCAB.pitch_ids] += 1.0
        logits[VOCAB.dur_id(12)] = 4.0
        for position in (12, 24, 36):
            logits[VOCAB.pos_id(position)] = 3.0
        self.logits = logits

    def run_sequence(self, prefix: np.ndarray) -> tuple[np.ndarray, _State]:
        return np.repeat(self.logits[None, :], len(prefix), axis=0), _State()

    def step(self, tokens: np.ndarray, state: _State) -> tuple[np.ndarray, _State]:
        return np.repeat(self.logits[None, :], len(tokens), axis=0), state


def test_a_repeat_loving_model_under_a_strict_scale_stays_near_real_repetition():
    seed = Score(tracks=(Track("m", tuple(Note(Fraction(i), 60 + 2 * (i % 3), Fraction(1)) for i in range(8))),),
                 length_bars=2)
    sampler = Sampler(RepeatLovingNetwork(), VOCAB, oversample=1)  # type: ignore[arg-type]
    steering = Steering(scale=KeySignature(0, "major"), scale_strict=True, lowest=48, highest=72)
    options = GenerationOptions(length_bars=4, candidates=1, temperature=0.3, seed=3, steering=steering)
    rows = sampler.sample_pool(GenerationRequest(1, seed, options), 60)
    long_runs = [rules.long_repetition(curation.notes_from_score(r.score), None) for r in rows]  # type: ignore[arg-type]
    assert np.mean(long_runs) <= 0.15  # without the cap every row is one pitch struck 16 times


def test_a_density_target_moves_the_notes_per_bar_both_ways():
    seed = Score(tracks=(Track("m", tuple(Note(Fraction(i), 60 + 2 * (i % 3), Fraction(1)) for i in range(8))),),
                 length_bars=2)
    sampler = Sampler(RepeatLovingNetwork(), VOCAB, oversample=1)  # type: ignore[arg-type]

    def density(target: float | None) -> float:
        options = GenerationOptions(length_bars=4, candidates=1, seed=5, steering=Steering(density=target))
        rows = sampler.sample_pool(GenerationRequest(1, seed, options), 20)
        return float(np.mean([r.features.notes_per_bar for r in rows]))

    # This toy model stacks chords freely (about 15 notes a bar); how close a real model gets to its
    # target is measured by benchmarks/bench_steering.py.
    free, sparse, dense = density(None), density(2.0), density(24.0)
    assert sparse < 4 < free < dense
