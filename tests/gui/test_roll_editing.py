"""Editing in the piano roll with the mouse and keys, checked at musical coordinates."""

from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from musicassist.core.score import BarRange

from .helpers import activate, click, drag, melody_score, point_at, set_zoom

pytestmark = pytest.mark.gui
F = Fraction


@pytest.fixture
def loaded(window, qtbot):
    window.document.load(melody_score(4), None)
    window.editor.center_on_notes()
    set_zoom(window.editor, 60)
    activate(qtbot, window)
    return window


def notes_of(window):
    return window.document.track.notes


def test_draw_tool_adds_a_snapped_note_and_a_drag_sets_its_length(loaded):
    editor = loaded.editor
    loaded.tool_actions["draw"].trigger()
    click(editor.canvas, point_at(editor, 76, F(23, 10)))
    drawn = [n for n in notes_of(loaded) if n.pitch == 76]
    assert [(n.start, n.duration) for n in drawn] == [(F(9, 4), F(1, 4))]
    drag(editor.canvas, point_at(editor, 77, F(51, 10)), point_at(editor, 77, F(7)))
    (stretched,) = [n for n in notes_of(loaded) if n.pitch == 77]
    assert (stretched.start, stretched.end) == (F(5), F(7))
    assert loaded.document.undo_stack.count() == 2  # the drawn-and-stretched note is one step
    loaded.document.undo_stack.undo()
    assert not [n for n in notes_of(loaded) if n.pitch == 77]


def test_dragging_a_note_moves_it_in_time_and_pitch_as_one_undo_step(loaded):
    editor = loaded.editor
    first = notes_of(loaded)[0]
    assert (first.start, first.pitch) == (0, 60)
    drag(editor.canvas, point_at(editor, 60, F(1, 2)), point_at(editor, 57, F(21, 2)), steps=8)
    moved = [n for n in notes_of(loaded) if n.pitch == 57]
    assert [(n.start, n.duration) for n in moved] == [(F(10), F(1))]
    assert loaded.document.undo_stack.count() == 1
    QTest.keyClick(editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert notes_of(loaded)[0] == first
    QTest.keyClick(editor.canvas, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [n.start for n in notes_of(loaded) if n.pitch == 57] == [F(10)]


def test_dragging_the_right_edge_resizes(loaded):
    editor = loaded.editor
    drag(editor.canvas, point_at(editor, 62, F(195, 100)), point_at(editor, 62, F(3)))
    (note,) = [n for n in notes_of(loaded) if n.start == 1]
    assert note.duration == 2
    assert loaded.document.undo_stack.count() == 1


def test_rubber_band_shift_click_and_delete_key(loaded):
    editor = loaded.editor
    drag(editor.canvas, point_at(editor, 80, F(1, 10)), point_at(editor, 55, F(39, 10)))
    assert sorted(n.start for n in loaded.document.selection) == [0, 1, 2, 3]
    click(editor.canvas, point_at(editor, 60, F(1, 2)), Qt.KeyboardModifier.ShiftModifier)
    assert sorted(n.start for n in loaded.document.selection) == [1, 2, 3]
    before = len(notes_of(loaded))
    QTest.keyClick(editor.canvas, Qt.Key.Key_Delete)
    assert len(notes_of(loaded)) == before - 3
    assert loaded.document.score.tracks[1].notes  # the other track is untouched
    loaded.edits.undo.trigger()
    assert len(notes_of(loaded)) == before


def test_clicking_empty_space_clears_the_selection_and_places_the_cursor(loaded):
    editor = loaded.editor
    click(editor.canvas, point_at(editor, 60, F(1, 2)))
    assert len(loaded.document.selection) == 1
    click(editor.canvas, point_at(editor, 90, F(53, 10)))
    assert loaded.document.selection == frozenset()
    assert loaded.document.cursor_beat == F(21, 4)


def test_arrow_keys_nudge_and_shift_up_moves_an_octave(loaded):
    editor = loaded.editor
    click(editor.canvas, point_at(editor, 64, F(5, 2)))
    QTest.keyClick(editor.canvas, Qt.Key.Key_Up)
    QTest.keyClick(editor.canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(editor.canvas, Qt.Key.Key_Right)
    (note,) = loaded.document.selection
    assert (note.pitch, note.start) == (77, F(9, 4))
    assert loaded.document.undo_stack.count() == 3


def test_velocity_lane_drag_changes_loudness_in_one_step(loaded):
    lane = loaded.editor.velocity_lane
    x = round(loaded.editor.roll_geometry.beat_to_x(F(2)))
    drag(lane, QPoint(x, lane.height() - 10), QPoint(x, 6))
    (note,) = [n for n in notes_of(loaded) if n.start == 2]
    assert note.velocity > 110
    assert loaded.document.undo_stack.count() == 1


def test_velocity_lane_moves_all_selected_notes_together(loaded):
    document = loaded.document
    document.set_selection(notes_of(loaded)[:3])
    before = {n.start: n.velocity for n in document.selection}
    lane = loaded.editor.velocity_lane
    x = round(loaded.editor.roll_geometry.beat_to_x(F(1)))
    y = round(lane.y_of_velocity(before[F(1)]))
    drag(lane, QPoint(x, y), QPoint(x, y + 12))
    after = {n.start: n.velocity for n in document.selection}
    deltas = {after[b] - before[b] for b in before}
    assert len(deltas) == 1 and deltas.pop() < 0
    assert document.undo_stack.count() == 1


def test_dragging_on_the_ruler_selects_whole_bars(loaded):
    ruler = loaded.editor.ruler
    drag(ruler, QPoint(round(ruler.x_of_bar(1)) + 10, 10), QPoint(round(ruler.x_of_bar(2)) + 10, 10))
    assert loaded.document.bar_selection == BarRange(1, 3)
    assert "2-3" in loaded.panel.selection_label.text()
    click(ruler, QPoint(20, 10), button=Qt.MouseButton.RightButton)
    assert loaded.document.bar_selection is None


def test_track_selector_edits_another_track_and_dims_the_first(loaded):
    loaded.track_combo.activated.emit(1)
    assert loaded.document.current_track == 1
    editor = loaded.editor
    loaded.tool_actions["draw"].trigger()
    click(editor.canvas, point_at(editor, 43, F(1)))
    bass = loaded.document.score.tracks[1]
    assert [(n.pitch, n.channel) for n in bass.notes if n.pitch == 43] == [(43, 1)]
    assert not [n for n in loaded.document.score.tracks[0].notes if n.pitch == 43]


def test_snap_off_draws_where_clicked(loaded):
    loaded.snap_combo.setCurrentText("Off")
    loaded.tool_actions["draw"].trigger()
    click(loaded.editor.canvas, point_at(loaded.editor, 84, F(13, 10)))
    (note,) = [n for n in notes_of(loaded) if n.pitch == 84]
    assert abs(note.start - F(13, 10)) < F(1, 50)


def test_select_all_and_duplicate(loaded):
    QTest.keyClick(loaded.editor.canvas, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    count = len(notes_of(loaded))
    assert len(loaded.document.selection) == count
    QTest.keyClick(loaded.editor.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(notes_of(loaded)) == 2 * count


def test_clicking_a_key_sounds_it_through_the_player(loaded, qtbot):
    keyboard = loaded.editor.keyboard
    y = round(loaded.editor.roll_geometry.pitch_to_y(64) + 3)
    click(keyboard, QPoint(10, y))
    player = loaded.playback.player
    assert player is not None
    assert [(m.type, m.note) for m in player.sent] == [("note_on", 64), ("note_off", 64)]
