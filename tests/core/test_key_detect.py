from fractions import Fraction
from itertools import pairwise

import numpy as np
import pytest

from musicassist.core.key_detect import (
    BEAT_WEIGHT,
    DOWNBEAT_WEIGHT,
    detect_key,
    detect_key_arrays,
    metric_weights,
    passage_key,
    pitch_class_durations,
    rank_keys,
)
from musicassist.core.score import Note, Score, Track
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


def test_a_drawn_c_major_sketch_is_c_major_not_g():
    # Issue 14: C-E-G-C-B-G in quarters read as G major by the plain profile correlation.
    sketch = [Note(F(i), p, F(1)) for i, p in enumerate((60, 64, 67, 72, 71, 67))]
    assert detect_key(sketch, bar_length=4.0) == KeySignature(0, "major")


def test_notes_on_bar_lines_weigh_more_than_notes_between_them():
    assert list(metric_weights(np.array([0.0, 1.0, 1.5, 4.0]), 4.0)) == [DOWNBEAT_WEIGHT, BEAT_WEIGHT, 1.0,
                                                                          DOWNBEAT_WEIGHT]
    assert list(metric_weights(np.array([0.0, 0.5]), None)) == [BEAT_WEIGHT, 1.0]


def test_the_last_bass_note_of_a_whole_piece_settles_major_against_relative_minor():
    # A-minor-ish material ending on C in the bass: C major as a whole piece.
    notes = [Note(F(i), p, F(1)) for i, p in enumerate((69, 72, 76, 74, 72, 71, 69, 67, 64, 65, 67, 60))]
    ranked = rank_keys(notes, bar_length=4.0, ends_piece=True)
    assert ranked[0].key == KeySignature(0, "major")


def test_a_written_signature_is_a_hint_between_relative_keys():
    # C E G A C A: as close to A minor as to C major without help; the file says three sharps (A major/F# minor)
    # which the notes contradict, and zero sharps (C major/A minor) which they fit.
    notes = [Note(F(i), p, F(1)) for i, p in enumerate((57, 60, 64, 69, 72, 69, 64, 57))]
    with_signature = detect_key(notes, bar_length=4.0, signature=KeySignature(0, "major"))
    assert with_signature in (KeySignature(0, "major"), KeySignature(9, "minor"))
    assert detect_key(notes, bar_length=4.0, signature=KeySignature(9, "major")) != KeySignature(9, "major")


def test_passage_key_reads_bar_lines_and_the_written_key_from_the_score():
    notes = tuple(Note(F(8 + i), p, F(1)) for i, p in enumerate((60, 64, 67, 72, 71, 67)))
    score = Score(tracks=(Track(notes=notes),), length_bars=4, key=KeySignature(0, "major"))
    assert passage_key(score, notes, first_bar=2) == KeySignature(0, "major")
    assert passage_key(Score(length_bars=1)) is None


def test_the_arrays_entry_agrees_with_the_notes_entry():
    notes = _scale(4, (0, 2, 3, 5, 7, 8, 11))
    arrays = detect_key_arrays(np.array([n.pitch for n in notes]), np.array([float(n.start) for n in notes]),
                               np.array([float(n.duration) for n in notes]), bar_length=4.0)
    assert arrays == detect_key(notes, bar_length=4.0)
