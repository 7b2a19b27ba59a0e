"""Tempo and meter changes on the lane under the ruler: shown, inserted, changed, moved, deleted;
playback and export follow."""

from dataclasses import replace
from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog

from musicassist.core.timemaps import TempoChange, TempoMap
from musicassist.playback.timeline import EventKind, PassPlan

from .fakes import PlayerBox
from .helpers import drag, melody_score, set_zoom

pytestmark = pytest.mark.gui
F = Fraction
LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def _at(lane, beat, row):
    return QPoint(round(lane.x_of_beat(F(beat))), round(lane.y_of_row(row)))


@pytest.fixture
def lane_window(make_window):
    players = PlayerBox()
    window = make_window(players=players)
    window.document.load(melody_score(4), None)
    set_zoom(window.editor, 40)
    window.editor.scroll_to_beat(F(0))
    return window, window.editor.map_lane, players


def _note_on_offsets(score):
    plan = PassPlan.build(score, F(0), score.end)
    return {e.beat: e.offset for e in plan.events if e.kind is EventKind.SEND and e.message.type == "note_on"
            and e.message.channel == 0}


def test_double_click_inserts_a_tempo_that_playback_follows(lane_window, monkeypatch):
    window, lane, players = lane_window
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (60.0, True))
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, 8, 1))
    score = window.document.score
    assert [(c.beat, c.bpm) for c in score.tempo_map.changes] == [(0, 120.0), (8, 60.0)]
    assert window.document.undo_stack.count() == 1
    offsets = _note_on_offsets(score)
    assert offsets[F(9)] - offsets[F(8)] == pytest.approx(1.0)  # a beat lasts a second from beat 8 on
    assert offsets[F(7)] - offsets[F(6)] == pytest.approx(0.5)
    window.play_action.trigger()
    assert players.player.calls[-1][1].tempo_map == score.tempo_map  # what plays is the edited map


def test_drag_moves_a_tempo_in_one_step_and_right_click_deletes_it(lane_window):
    window, lane, _ = lane_window
    tempo = TempoMap((TempoChange(F(0), 120.0), TempoChange(F(8), 90.0)))
    window.document.push_edit(replace(window.document.score, tempo_map=tempo), "setup")
    steps = window.document.undo_stack.count()
    drag(lane, _at(lane, 8, 1), _at(lane, 12, 1))
    assert [(c.beat, c.bpm) for c in window.document.score.tempo_map.changes] == [(0, 120.0), (12, 90.0)]
    assert window.document.undo_stack.count() == steps + 1
    QTest.mouseClick(lane, RIGHT, Qt.KeyboardModifier.NoModifier, _at(lane, 12, 1))
    assert [c.beat for c in window.document.score.tempo_map.changes] == [0]


def test_a_meter_change_on_a_barline_moves_the_following_barlines_not_the_notes(lane_window, monkeypatch):
    window, lane, _ = lane_window
    before = window.document.score.tracks
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("3/4", True))
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, 8, 0))  # the barline of bar 3
    score = window.document.score
    assert [(c.bar, str(c.time_signature)) for c in score.meter_map.changes] == [(0, "4/4"), (2, "3/4")]
    assert score.tracks == before and score.bar_start(3) == 11
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("5/8", True))
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, 8, 0))  # change it
    assert str(window.document.score.meter_map.time_signature_at_bar(2)) == "5/8"
    QTest.mouseClick(lane, RIGHT, Qt.KeyboardModifier.NoModifier, _at(lane, 8, 0))
    assert len(window.document.score.meter_map.changes) == 1
    window.edits.undo.trigger()
    assert str(window.document.score.meter_map.time_signature_at_bar(2)) == "5/8"


def test_exported_midi_keeps_the_tempo_change(lane_window, monkeypatch, tmp_path):
    from musicassist.io import read_score

    window, lane, _ = lane_window
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (72.0, True))
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, 4, 1))
    assert window.files.export(tmp_path / "tempo.mid")
    changes = read_score(tmp_path / "tempo.mid").tempo_map.changes
    assert [(c.beat, round(c.bpm)) for c in changes] == [(0, 120), (4, 72)]


def test_the_opening_tempo_cannot_be_deleted_and_the_lane_says_why(lane_window):
    window, lane, _ = lane_window
    QTest.mouseClick(lane, RIGHT, Qt.KeyboardModifier.NoModifier, _at(lane, 0, 1) + QPoint(2, 0))
    assert [c.beat for c in window.document.score.tempo_map.changes] == [0]
    assert "opening tempo" in lane.last_refusal
    assert window.document.undo_stack.count() == 0
