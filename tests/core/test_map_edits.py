"""Tempo and meter map edits: insert, change, move, delete; notes keep their beats."""

from fractions import Fraction as F

import pytest

from musicassist.core.errors import ScoreError
from musicassist.core.map_edits import delete_meter, delete_tempo, move_meter, move_tempo, set_meter, set_tempo
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import TimeSignature


def _score() -> Score:
    return Score(tracks=(Track("t", tuple(Note(F(b), 60, F(1)) for b in range(16))),), length_bars=4)


def test_tempo_insert_change_move_delete():
    score = set_tempo(_score(), F(8), 60.0)
    assert [(c.beat, c.bpm) for c in score.tempo_map.changes] == [(0, 120.0), (8, 60.0)]
    assert score.tempo_map.seconds_at(F(10)) == pytest.approx(4.0 + 2.0)
    score = set_tempo(score, F(8), 90.0)
    assert score.tempo_map.bpm_at(F(9)) == 90.0
    moved = move_tempo(score, F(8), F(4))
    assert [(c.beat, c.bpm) for c in moved.tempo_map.changes] == [(0, 120.0), (4, 90.0)]
    assert [(c.beat, c.bpm) for c in delete_tempo(moved, F(4)).tempo_map.changes] == [(0, 120.0)]
    assert set_tempo(score, F(0), 100.0).tempo_map.changes[0].bpm == 100.0
    with pytest.raises(ScoreError):
        delete_tempo(score, F(0))
    with pytest.raises(ScoreError):
        move_tempo(score, F(8), F(0))


def test_a_change_equal_to_the_tempo_before_is_kept():
    score = set_tempo(_score(), F(4), 120.0)
    assert [c.beat for c in score.tempo_map.changes] == [0, 4]


def test_meter_insert_move_delete_keep_note_beats_and_the_piece_length():
    base = _score()
    score = set_meter(base, 2, TimeSignature(3, 4))
    assert score.tracks == base.tracks
    assert score.bar_start(3) == 11 and score.bar_count == 5  # the last notes now start in a fifth bar
    moved = move_meter(score, 2, 3)
    assert [(c.bar, str(c.time_signature)) for c in moved.meter_map.changes] == [(0, "4/4"), (3, "3/4")]
    assert moved.tracks == base.tracks
    back = delete_meter(moved, 3)
    assert len(back.meter_map.changes) == 1 and back.tracks == base.tracks and back.bar_count >= base.bar_count
    with pytest.raises(ScoreError):
        delete_meter(score, 0)
