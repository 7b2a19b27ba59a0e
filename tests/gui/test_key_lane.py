"""Key signatures on the map lane's bottom row: shown, inserted on a barline, changed, moved, deleted,
each one undo step; the assistant's detected key of a selection reads the key in force there."""

from dataclasses import replace
from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog

from musicassist.core.key_detect import passage_key
from musicassist.core.timemaps import KeyChange, KeySignature
from musicassist.gui.map_lane import KEY_ROW, key_label

from .helpers import drag, melody_score, set_zoom

pytestmark = pytest.mark.gui
F = Fraction
LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
C, D, B_MINOR = KeySignature(0), KeySignature(2), KeySignature(11, "minor")


def _at(lane, beat):
    return QPoint(round(lane.x_of_beat(F(beat))), round(lane.y_of_row(KEY_ROW)))


@pytest.fixture
def lane_window(make_window):
    window = make_window()
    window.document.load(replace(melody_score(4), key=C), None)
    set_zoom(window.editor, 40)
    window.editor.scroll_to_beat(F(0))
    return window, window.editor.map_lane


def test_double_click_near_a_barline_inserts_a_key_change_on_it(lane_window, monkeypatch):
    window, lane = lane_window
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (asked.append(a[2]), ("D major", True))[1])
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, F(15, 2)))  # half a beat before bar 3
    score = window.document.score
    assert score.key_changes == (KeyChange(F(8), D),)
    assert score.key == C and asked == ["Key from bar 3 (e.g. D major, B minor):"]
    assert window.document.undo_stack.count() == 1
    window.document.undo_stack.undo()
    assert window.document.score.key_changes == ()


def test_double_click_on_the_opening_key_changes_it_and_a_bad_name_is_refused(lane_window, monkeypatch):
    window, lane = lane_window
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("B minor", True))
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, 0) + QPoint(2, 0))
    assert window.document.score.key == B_MINOR and window.document.score.key_changes == ()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("H major", True))
    QTest.mouseDClick(lane, LEFT, Qt.KeyboardModifier.NoModifier, _at(lane, 8))
    assert "is not a key" in lane.last_refusal
    assert window.document.score.key_changes == () and window.document.undo_stack.count() == 1


def test_drag_moves_a_key_change_to_another_barline_and_right_click_deletes_it(lane_window):
    window, lane = lane_window
    window.document.push_edit(replace(window.document.score, key_changes=(KeyChange(F(4), D),)), "setup")
    drag(lane, _at(lane, 4), _at(lane, F(23, 2)))  # released nearest the barline at beat 12
    assert window.document.score.key_changes == (KeyChange(F(12), D),)
    assert window.document.undo_stack.count() == 2  # the drag is one step
    QTest.mouseClick(lane, RIGHT, Qt.KeyboardModifier.NoModifier, _at(lane, 12))
    assert window.document.score.key_changes == ()
    QTest.mouseClick(lane, RIGHT, Qt.KeyboardModifier.NoModifier, _at(lane, 0))
    assert "opening key cannot be deleted" in lane.last_refusal and window.document.score.key == C


def test_a_selection_after_a_key_change_is_read_with_that_signature():
    # A C-major scale line that F major fits as well but for one B: the written signature decides.
    f_major = KeySignature(5)
    score = replace(melody_score(4), key=C, key_changes=(KeyChange(F(8), f_major),))
    assert key_label(score.key_at(F(8))) == "F major"
    seed = [n for n in score.notes if n.start >= 8]
    assert passage_key(score, seed, first_bar=2) == f_major
    assert passage_key(replace(score, key_changes=()), seed, first_bar=2) == C
