"""Steering plans (validated up front) and the per-step masks they give on top of the grammar."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from musicassist.codec import BatchGrammar, GrammarState, default_vocabulary
from musicassist.core.errors import OptionError
from musicassist.core.generation import Steering
from musicassist.core.score import Note
from musicassist.core.timemaps import KeySignature, TimeSignature
from musicassist.ml.steering import SOFT_SCALE_PENALTY, SteeringTracker, density_bounds, plan_steering

VOCAB = default_vocabulary()
FOUR_FOUR = TimeSignature(4, 4)
BAR = VOCAB.bar_id(FOUR_FOUR)


def plan(steering: Steering, bars: int = 2):
    return plan_steering(steering, VOCAB, FOUR_FOUR, bars)


def walk(steering: Steering, tokens: list[int], bars: int = 2):
    """Grammar and tracker after reading ``tokens`` (a continuation starting with its BAR)."""
    steering_plan = plan(steering, bars)
    grammar = BatchGrammar.repeat(GrammarState(VOCAB, bar_token_ids=[BAR]), 1)
    tracker = SteeringTracker(steering_plan, VOCAB, 1)
    for token in tokens:
        row = np.array([token])
        assert grammar.masks()[0, token], VOCAB.name(token)
        grammar.advance(row)
        tracker.advance(row, grammar.position)
    strict, soft = tracker.masks(grammar.phase, grammar.position)
    combined = np.ones(VOCAB.size, dtype=bool)
    for wish in soft:
        combined &= wish[0]
    return grammar.masks()[0] & strict[0], combined


def note(position: int, pitch: int, duration: int = 12, velocity: int = 80) -> list[int]:
    return [VOCAB.pos_id(position), VOCAB.pitch_id(pitch), VOCAB.dur_id(duration), VOCAB.vel_id(velocity)]


def allowed_names(mask: np.ndarray, prefix: str) -> list[str]:
    return [VOCAB.name(int(i)) for i in np.flatnonzero(mask) if VOCAB.name(int(i)).startswith(prefix)]


# --- validation: impossible constraints are refused before sampling ---------------------------------

def test_scale_with_no_pitch_in_the_register_is_refused():
    with pytest.raises(OptionError, match="No note of C major"):
        plan(Steering(scale=KeySignature(0, "major"), lowest=61, highest=61))


def test_soft_scale_with_the_same_register_is_fine_and_biases_out_of_scale_pitches():
    steering_plan = plan(Steering(scale=KeySignature(0, "major"), scale_strict=False, lowest=61, highest=61))
    assert steering_plan.bias[VOCAB.pitch_id(61)] == -SOFT_SCALE_PENALTY
    assert steering_plan.bias[VOCAB.pitch_id(60)] == 0.0
    assert steering_plan.allowed_pitches.sum() == 1


@pytest.mark.parametrize(("locked", "message"), [
    (Note(Fraction(8), 60, Fraction(1)), "after the 2 bars"),
    (Note(Fraction(0), 40, Fraction(1)), "outside the chosen pitch range"),
    (Note(Fraction(0), 61, Fraction(1)), "not in the scale of C major"),
])
def test_impossible_locked_notes_are_refused(locked: Note, message: str):
    with pytest.raises(OptionError, match=message):
        plan(Steering(scale=KeySignature(0, "major"), lowest=48, highest=84, locked=(locked,)))


def test_more_locked_notes_than_the_density_or_polyphony_allows_is_refused():
    chord = tuple(Note(Fraction(0), p, Fraction(1)) for p in (60, 64, 67))
    with pytest.raises(OptionError, match="density"):
        plan(Steering(density=2, density_tolerance=0.0, locked=chord))
    with pytest.raises(OptionError, match="sound at once"):
        plan(Steering(max_polyphony=2, locked=chord))


def test_density_bounds_follow_the_tolerance():
    assert density_bounds(Steering(density=8, density_tolerance=0.25)) == (6, 10)
    assert density_bounds(Steering()) is None


def test_locked_notes_are_snapped_to_the_grid_and_their_durations_to_bins():
    steering_plan = plan(Steering(locked=(Note(Fraction(13, 3), 62, Fraction(5, 4), 100),)))
    (event,) = steering_plan.locks
    assert (event.bar, event.position, event.pitch) == (1, 4, 62)
    assert VOCAB.value_of[event.duration_id] == 15 and VOCAB.name(event.velocity_id) == "VEL_5"


# --- masks --------------------------------------------------------------------------------------

def test_strict_scale_and_register_leave_only_those_pitches():
    mask, _ = walk(Steering(scale=KeySignature(7, "major"), lowest=60, highest=72), [BAR, VOCAB.pos_id(0)])
    assert allowed_names(mask, "PITCH_") == [f"PITCH_{p}" for p in (60, 62, 64, 66, 67, 69, 71, 72)]


def test_the_end_is_never_sampled_and_notes_cannot_ring_past_the_last_bar():
    tokens = [BAR, *note(0, 60), BAR, VOCAB.pos_id(36), VOCAB.pitch_id(62)]
    mask, _ = walk(Steering(), tokens)
    assert not mask[VOCAB.EOS]
    assert max(int(VOCAB.value_of[i]) for i in np.flatnonzero(mask)) == 12  # 12 positions left in bar 2


def test_a_pending_locked_note_blocks_later_positions_and_higher_pitches_then_forces_its_tokens():
    locked = Steering(locked=(Note(Fraction(5), 64, Fraction(1, 2), 100),))  # bar 2, beat 2
    mask, _ = walk(locked, [BAR, *note(0, 60)])
    assert mask[BAR]  # bar 1 may end freely
    mask, _ = walk(locked, [BAR, *note(0, 60), BAR])
    assert not mask[BAR] and allowed_names(mask, "POS_")[-1] == "POS_12"
    mask, _ = walk(locked, [BAR, *note(0, 60), BAR, VOCAB.pos_id(12)])
    assert allowed_names(mask, "PITCH_")[-1] == "PITCH_64"
    mask, _ = walk(locked, [BAR, *note(0, 60), BAR, VOCAB.pos_id(12), VOCAB.pitch_id(64)])
    assert allowed_names(mask, "DUR_") == ["DUR_6"] and mask.sum() == 1
    mask, _ = walk(locked, [BAR, *note(0, 60), BAR, VOCAB.pos_id(12), VOCAB.pitch_id(64), VOCAB.dur_id(6)])
    assert np.flatnonzero(mask).tolist() == [VOCAB.vel_id(100)]
    mask, _ = walk(locked, [BAR, *note(0, 60), BAR, *note(12, 64, 6, 100)])
    assert mask[BAR] and allowed_names(mask, "POS_")[-1] == "POS_47"  # placed: free again


def test_a_lower_note_may_come_first_at_the_locked_position():
    locked = Steering(locked=(Note(Fraction(0), 64, Fraction(1)),))
    mask, _ = walk(locked, [BAR, *note(0, 55)])
    assert not any(mask[VOCAB.pos_ids]) and not mask[BAR]
    assert allowed_names(mask, "PITCH_") == [f"PITCH_{p}" for p in range(56, 65)]


def test_density_upper_bound_closes_the_bar_and_lower_bound_keeps_it_open():
    steering = Steering(density=2, density_tolerance=0.0)
    _, soft = walk(steering, [BAR, *note(0, 60), *note(12, 62)])
    assert not soft[VOCAB.pos_ids].any() and not soft[VOCAB.pitch_ids].any() and soft[BAR]
    _, soft = walk(steering, [BAR, *note(0, 60)])
    assert not soft[BAR] and soft[VOCAB.pos_id(12)]


def test_polyphony_limit_masks_extra_pitches_and_crowded_positions():
    steering = Steering(max_polyphony=2)
    _, soft = walk(steering, [BAR, *note(0, 60, 24), *[VOCAB.pitch_id(64), VOCAB.dur_id(12), VOCAB.vel_id(80)]])
    assert not soft[VOCAB.pitch_ids].any()  # two notes already sound at position 0
    assert not soft[VOCAB.pos_id(6)]  # both still sound at position 6
    assert soft[VOCAB.pos_id(12)]  # 64 has stopped at 12: one sounds, one more may start
