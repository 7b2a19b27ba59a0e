"""Key signatures inside a piece: set, change, move and delete, and the key in force at a beat."""

from fractions import Fraction

import pytest

from musicassist.core import key_edits
from musicassist.core.errors import ScoreError
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import KeyChange, KeySignature

F = Fraction
C, D, B_MINOR = KeySignature(0), KeySignature(2), KeySignature(11, "minor")


def _score(**fields):
    notes = tuple(Note(F(beat), 60 + beat % 5, F(1)) for beat in range(16))
    return Score(tracks=(Track(notes=notes),), **fields)


def test_key_at_follows_the_changes_and_the_opening_key():
    score = _score(key=C, key_changes=(KeyChange(F(8), D), KeyChange(F(4), B_MINOR)))
    assert [c.beat for c in score.key_changes] == [4, 8]  # kept in order of beats
    assert [score.key_at(F(b)) for b in (0, 3, 4, 7, 8, 15)] == [C, C, B_MINOR, B_MINOR, D, D]
    assert _score().key_at(F(5)) is None  # no written key at all


def test_two_changes_on_one_beat_and_a_change_at_the_start_are_refused():
    with pytest.raises(ScoreError, match="share a beat"):
        _score(key_changes=(KeyChange(F(4), D), KeyChange(F(4), C)))
    with pytest.raises(ScoreError, match="after the first beat"):
        KeyChange(F(0), D)


def test_set_key_at_the_start_changes_the_opening_key_and_elsewhere_adds_or_changes_a_change():
    score = key_edits.set_key(_score(key=C), F(0), D)
    assert score.key == D and score.key_changes == ()
    score = key_edits.set_key(score, F(8), B_MINOR)
    assert score.key_changes == (KeyChange(F(8), B_MINOR),)
    score = key_edits.set_key(score, F(8), C)
    assert score.key_changes == (KeyChange(F(8), C),)
    assert score.notes == _score().notes  # a key signature never moves a note


def test_move_and_delete_a_change_but_never_the_opening_key():
    score = _score(key=C, key_changes=(KeyChange(F(4), D), KeyChange(F(12), B_MINOR)))
    moved = key_edits.move_key(score, F(4), F(12))  # onto another: replaces it
    assert moved.key_changes == (KeyChange(F(12), D),)
    assert key_edits.delete_key(score, F(4)).key_changes == (KeyChange(F(12), B_MINOR),)
    for edit, message in ((lambda: key_edits.delete_key(score, F(0)), "opening key cannot be deleted"),
                          (lambda: key_edits.move_key(score, F(0), F(4)), "opening key stays"),
                          (lambda: key_edits.move_key(score, F(4), F(0)), "Only the opening key"),
                          (lambda: key_edits.delete_key(score, F(6)), "no key change there"),
                          (lambda: key_edits.set_key(score, F(-1), D), "before the beginning")):
        with pytest.raises(ScoreError, match=message):
            edit()
