"""The rules of thumb, one synthetic melody at a time (pure functions: no model, no corpus)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from musicassist.ml import rules
from musicassist.ml.curation import NoteArrays

QUARTER = 12
BAR = 4 * QUARTER


def line(pitches: list[int], step: int = QUARTER, bars: int = 4, chord_below: int | None = None) -> NoteArrays:
    """One note per ``step`` in 4/4; with ``chord_below``, a second, lower note under every onset."""
    starts = np.arange(len(pitches)) * step
    pitch = np.array(pitches)
    if chord_below is not None:
        starts = np.concatenate([starts, starts])
        pitch = np.concatenate([pitch, pitch - chord_below])
    return NoteArrays(starts.astype(np.int64), pitch.astype(np.int64), np.full(starts.size, step, dtype=np.int64),
                      np.arange(bars, dtype=np.int64) * BAR, bars * BAR)


C_MAJOR_SEED = line([60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 62, 60])
SILENCE = NoteArrays(*(np.zeros(0, dtype=np.int64) for _ in range(3)), np.arange(4) * BAR, 4 * BAR)


def test_the_key_is_the_seeds_and_out_of_key_notes_are_counted():
    assert rules.key_of(C_MAJOR_SEED) == (0, True)
    assert rules.out_of_key_rate(line([60, 61, 62, 63]), C_MAJOR_SEED) == 0.5
    assert rules.out_of_key_rate(C_MAJOR_SEED, C_MAJOR_SEED) == 0.0


def test_the_melodic_line_is_the_top_note_of_each_onset():
    onsets, top = rules.melodic_line(line([60, 64, 67], chord_below=7))
    assert onsets.tolist() == [0, 12, 24] and top.tolist() == [60, 64, 67]


def test_more_than_four_strikes_in_a_row_is_a_long_repetition():
    assert rules.long_repetition(line([60, 60, 60, 60, 62]), C_MAJOR_SEED) == 0.0
    assert rules.long_repetition(line([60, 60, 60, 60, 60, 62]), C_MAJOR_SEED) == 1.0
    assert rules.repeated_note_rate(line([60, 60, 62, 62, 64]), C_MAJOR_SEED) == 0.5


def test_leaps_larger_than_a_fifth_and_their_resolution():
    # Up a sixth and a step back: resolved. Up an octave and on up: not. Down an octave and a step up: resolved.
    melody = line([60, 69, 67, 60, 72, 74, 62, 64])
    assert rules.leap_rate(melody, C_MAJOR_SEED) == pytest.approx(3 / 7)
    assert rules.leap_resolution(melody, C_MAJOR_SEED) == pytest.approx(2 / 3)
    assert rules.leap_resolution(line([60, 72, 71, 79, 77, 65, 63]), C_MAJOR_SEED) == pytest.approx(2 / 3)
    assert math.isnan(rules.leap_resolution(line([60, 62, 64]), C_MAJOR_SEED))


def test_phrase_endings_on_tonic_or_dominant_read_the_lowest_last_note():
    assert rules.ends_on_tonic_or_dominant(line([64, 62, 60]), C_MAJOR_SEED) == 1.0
    assert rules.ends_on_tonic_or_dominant(line([64, 62, 67]), C_MAJOR_SEED) == 1.0
    assert rules.ends_on_tonic_or_dominant(line([60, 62, 64]), C_MAJOR_SEED) == 0.0
    assert rules.ends_on_tonic_or_dominant(line([64, 65, 64], chord_below=4), C_MAJOR_SEED) == 1.0  # C under E


def test_register_jumps_count_the_join_with_the_seed():
    assert rules.register_jump(line([74, 72]), C_MAJOR_SEED) == 1.0  # seed ends on 60
    assert rules.register_jump(line([62, 64]), C_MAJOR_SEED) == 0.0
    assert rules.register_jump(line([62, 80]), C_MAJOR_SEED) == 1.0


def test_seed_bars_reused_as_they_are_or_transposed():
    seed = C_MAJOR_SEED
    same_first_bar = line([60, 62, 64, 65, 71, 71, 71, 71])
    transposed = line([62, 64, 66, 67, 50, 52, 54, 55])
    assert rules.seed_bar_reuse(same_first_bar, seed) == 0.5
    assert rules.seed_bar_reuse(transposed, seed) == 1.0
    assert rules.seed_rhythm_reuse(line([70, 71, 72, 73, 74, 75, 76, 77], step=6), seed) == 0.0
    assert rules.seed_rhythm_reuse(transposed, seed) == 1.0
    assert math.isnan(rules.seed_bar_reuse(SILENCE, seed))


def test_recurring_motifs_need_two_separate_occurrences_and_more_than_repeated_notes():
    assert rules.recurring_motif_3(line([60, 62, 64, 70, 60, 62, 64]), C_MAJOR_SEED) == 1.0
    assert rules.recurring_motif_3(line([60, 62, 64, 66]), C_MAJOR_SEED) == 0.0  # the two overlap in two notes
    assert rules.recurring_motif_4(line([60, 62, 64, 65, 67, 69, 71, 72]), C_MAJOR_SEED) == 1.0  # a sequence
    assert rules.recurring_motif_4(line([60, 62, 64, 66, 68]), C_MAJOR_SEED) == 0.0


def test_a_motif_of_the_seed_carried_into_the_segment():
    assert rules.seed_motif_4(line([50, 52, 54, 55, 40]), C_MAJOR_SEED) == 1.0  # 60 62 64 65: +2 +2 +1
    assert rules.seed_motif_4(line([50, 51, 52, 53]), C_MAJOR_SEED) == 0.0
    assert rules.recurring_motif_4(line([60, 60, 60, 60, 60, 60, 60, 60]), C_MAJOR_SEED) == 0.0


def test_rules_are_undefined_not_zero_on_silence():
    judged = rules.judge(SILENCE, C_MAJOR_SEED)
    assert set(judged) == set(rules.RULES) | set(rules.PART_WRITING) | set(rules.DEVELOPMENT)
    for name in ("out_of_key_rate", "leap_rate", "ends_on_tonic_or_dominant", "register_jump", "seed_bar_reuse"):
        assert math.isnan(judged[name]), name


def test_interval_histogram_bins_absolute_steps():
    counts = rules.interval_histogram(line([60, 60, 61, 59, 72, 90]))
    assert counts.tolist()[:3] == [1, 1, 1] and counts[12] == 0 and counts[13] == 2  # 13 and 18: beyond an octave
    assert counts.sum() == 5
