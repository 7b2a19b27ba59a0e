"""The view: ctrl+wheel zooms time, ctrl+shift+wheel zooms rows, fits, and the rows always fill the roll."""

from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from musicassist.core.score import Note, Score, Track
from musicassist.gui.roll_geometry import PITCH_COUNT

from .helpers import melody_score

pytestmark = pytest.mark.gui
F = Fraction
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _wheel(editor, notches, modifiers):
    event = QWheelEvent(QPointF(100, 100), QPointF(100, 100), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(editor.canvas, event)


def _filled(editor):
    geometry, canvas = editor.roll_geometry, editor.canvas
    bottom_of_lowest_row = geometry.pitch_to_y(0) + geometry.key_height
    return geometry.pitch_to_y(127) <= 0.5 and bottom_of_lowest_row >= canvas.height() - 0.5


@pytest.fixture
def loaded(window):
    window.document.load(melody_score(4), None)
    window.editor.fit_document()
    return window


def test_ctrl_wheel_zooms_time_only_and_keeps_the_beat_under_the_pointer(loaded):
    geometry = loaded.editor.roll_geometry
    ppb, key = geometry.pixels_per_beat, geometry.key_height
    beat_under = geometry.x_to_beat(100)
    _wheel(loaded.editor, 2, CTRL)
    assert geometry.pixels_per_beat > ppb and geometry.key_height == key
    assert abs(float(geometry.x_to_beat(100) - beat_under)) < 0.05


def test_ctrl_shift_wheel_zooms_rows_only(loaded):
    geometry = loaded.editor.roll_geometry
    ppb, key = geometry.pixels_per_beat, geometry.key_height
    _wheel(loaded.editor, 2, CTRL | SHIFT)
    assert geometry.key_height > key and geometry.pixels_per_beat == ppb


def test_zoomed_all_the_way_out_the_rows_still_fill_the_roll(loaded):
    editor = loaded.editor
    for _ in range(30):
        _wheel(editor, -3, CTRL | SHIFT)
    assert editor.roll_geometry.key_height * PITCH_COUNT >= editor.canvas.height() - 0.5
    assert _filled(editor)
    loaded.resize(loaded.width(), loaded.height() + 200)  # a taller window: still filled
    QApplication.processEvents()
    assert editor.roll_geometry.key_height * PITCH_COUNT >= editor.canvas.height() - 0.5


def test_zoom_to_fit_shows_the_whole_piece_and_zoom_to_selection_the_chosen_notes(loaded):
    editor = loaded.editor
    loaded.view.zoom_fit.trigger()
    first, last = editor.roll_geometry.visible_beats(editor.canvas.width())
    assert first <= 0.5 and last >= 16
    chosen = [n for n in loaded.document.track.notes if 4 <= n.start < 6]
    loaded.document.set_selection(chosen)
    loaded.view.zoom_selection.trigger()
    first, last = editor.roll_geometry.visible_beats(editor.canvas.width())
    assert 3 <= first <= 4 and 6 <= last <= 7
    low, high = editor.roll_geometry.visible_pitches(editor.canvas.height())
    assert all(low <= n.pitch <= high for n in chosen)


def test_new_starts_at_a_sensible_zoom_after_a_long_piece(loaded, qtbot):
    loaded.document.load(melody_score(200), None)
    loaded.editor.zoom_to_fit()
    loaded.new_action.trigger()
    qtbot.waitUntil(lambda: loaded.editor.roll_geometry.visible_beats(loaded.editor.canvas.width())[1] < 34)
    first, last = loaded.editor.roll_geometry.visible_beats(loaded.editor.canvas.width())
    # The eight empty bars across (or as many as fit readably), not 113 bar lines.
    assert first <= 0.5 and last <= 34
    assert loaded.editor.roll_geometry.pixels_per_beat >= 16


def test_opening_a_file_scrolls_to_the_current_tracks_first_notes(loaded, qtbot, tmp_path):
    from .helpers import write_midi

    late = tuple(Note(F(4 * 12 + i), 67, F(1)) for i in range(16))  # first note in bar 13
    score = Score(tracks=(Track("Late", late),), length_bars=600)
    path = write_midi(score, tmp_path / "late.mid")
    loaded.open_path(path)
    editor = loaded.editor
    qtbot.waitUntil(lambda: editor.roll_geometry.visible_beats(editor.canvas.width())[0] > 40)
    first, last = editor.roll_geometry.visible_beats(editor.canvas.width())
    assert first <= 48 < last
    low, high = editor.roll_geometry.visible_pitches(editor.canvas.height())
    assert low <= 67 <= high
