from fractions import Fraction
from itertools import pairwise

import pytest

from musicassist.core.key_detect import detect_key, pitch_class_durations, rank_keys
from musicassist.core.score import Note
from musicassist.core.timemaps import KeySignature

F = Fraction


def _scale(tonic: int, steps: tuple[int, ...], tonic_weight: int = 3) -> list[Note]:
    """A scale, with the tonic triad held longer, as real tunes emphasise it."""
    notes = [Note(F(i), 60 + tonic + s, F(1)) for i, s in enumerate(steps)]
    triad = (0, steps[2], 7)
    notes += [Note(F(len(steps) + i), 60 + tonic + s, F(tonic_weight)) for i, s in enumerate(triad)]
    return notes


@pytest.mark.parametrize("tonic", range(12))
def test_major_scales_are_found_in_every_key(tonic):
    assert detect_key(_scale(tonic, (0, 2, 4, 5, 7, 9, 11))) == KeySignature(tonic, "major")


@pytest.mark.parametrize("tonic", [0, 2, 9, 4])
def test_harmonic_minor_scales_are_minor(tonic):
    assert detect_key(_scale(tonic, (0, 2, 3, 5, 7, 8, 11))) == KeySignature(tonic, "minor")


def test_durations_weigh_more_than_note_counts():
    # Many short F#s against long C-E-G: the long notes decide (C major, not a sharp key).
    notes = [Note(F(i, 8), 66, F(1, 8)) for i in range(6)]
    notes += [Note(F(1), 60, F(4)), Note(F(5), 64, F(4)), Note(F(9), 67, F(4))]
    assert detect_key(notes) == KeySignature(0, "major")


def test_drums_and_empty_input_give_no_key():
    assert detect_key([]) is None
    assert detect_key([Note(F(0), 36, F(1), channel=9)]) is None
    assert pitch_class_durations([Note(F(0), 61, F(3, 2))])[1] == 1.5


def test_ranking_covers_all_keys_best_first():
    ranked = rank_keys(_scale(7, (0, 2, 4, 5, 7, 9, 11)))
    assert len(ranked) == 24
    assert ranked[0].key == KeySignature(7, "major")
    assert all(a.correlation >= b.correlation for a, b in pairwise(ranked))
