"""Note properties (double-click) and the velocity lane's stems for notes that start together."""

from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from musicassist.core.note_edits import NoteChange, changed_notes
from musicassist.core.score import Note, Score, Track
from musicassist.gui.note_dialog import NotePropertiesDialog
from musicassist.gui.velocity_layout import stem_positions

from .helpers import drag, melody_score, point_at, set_zoom

pytestmark = pytest.mark.gui
F = Fraction


def _answer(monkeypatch, fill):
    """Make the dialog 'shown' fill its fields with ``fill(dialog)`` and press OK."""
    def exec_(dialog):
        fill(dialog)
        return 1

    monkeypatch.setattr(NotePropertiesDialog, "exec", exec_)


@pytest.fixture
def loaded(window):
    window.document.load(melody_score(2), None)
    window.editor.center_on_notes()
    set_zoom(window.editor, 60)
    return window


def test_double_click_on_a_note_sets_its_values(loaded, monkeypatch):
    editor = loaded.editor
    target = next(n for n in loaded.document.track.notes if n.start == 2)

    def fill(dialog):
        assert dialog.absolute_radio.isChecked() and dialog.pitch_spin.value() == target.pitch
        dialog.pitch_spin.setValue(70)
        dialog.length_spin.setValue(0.5)
        dialog.velocity_spin.setValue(101)

    _answer(monkeypatch, fill)
    QTest.mouseDClick(editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      point_at(editor, target.pitch, F(2) + F(1, 4)))
    edited = next(n for n in loaded.document.track.notes if n.start == 2)
    assert (edited.pitch, edited.duration, edited.velocity) == (70, F(1, 2), 101)
    assert loaded.document.undo_stack.count() == 1
    loaded.edits.undo.trigger()
    assert target in loaded.document.track.notes


def test_several_notes_change_relatively_or_absolutely(loaded, monkeypatch):
    notes = [n for n in loaded.document.track.notes if n.start < 4]
    loaded.document.set_selection(notes)

    def shift(dialog):
        assert dialog.relative_radio.isChecked()
        dialog.pitch_spin.setValue(12)
        dialog.start_spin.setValue(0.5)

    _answer(monkeypatch, shift)
    loaded.edit_note_properties()
    moved = sorted(n for n in loaded.document.track.notes if n.start < F(9, 2) and n.pitch >= 72)
    assert [(n.start, n.pitch) for n in moved] == [(n.start + F(1, 2), n.pitch + 12) for n in sorted(notes)]

    loaded.document.set_selection(moved)

    def set_velocity(dialog):
        dialog.absolute_radio.setChecked(True)
        dialog.velocity_spin.setValue(33)

    _answer(monkeypatch, set_velocity)
    loaded.edit_note_properties()
    after = [n for n in loaded.document.track.notes if n.pitch >= 72 and n.start < F(9, 2)]
    assert {n.velocity for n in after} == {33}
    assert sorted((n.start, n.pitch) for n in after) == [(n.start, n.pitch) for n in moved]  # only velocity


def test_another_channel_moves_the_notes_to_that_channels_track(loaded, monkeypatch):
    note = loaded.document.track.notes[0]
    loaded.document.set_selection({note})
    _answer(monkeypatch, lambda dialog: dialog.channel_spin.setValue(2))  # the bass plays on channel 2
    loaded.edit_note_properties()
    bass = loaded.document.score.tracks[1]
    assert any(n.start == note.start and n.pitch == note.pitch and n.channel == 1 for n in bass.notes)
    assert note not in loaded.document.score.tracks[0].notes


def test_an_impossible_value_is_refused_with_the_reason(loaded, monkeypatch):
    top = max(loaded.document.track.notes, key=lambda n: n.pitch)
    loaded.document.set_selection(loaded.document.track.notes)
    _answer(monkeypatch, lambda dialog: dialog.pitch_spin.setValue(127 - top.pitch + 1))
    before = loaded.document.score
    loaded.edit_note_properties()
    assert loaded.document.score == before
    assert "outside 0..127" in loaded.statusBar().currentMessage()


def test_changed_notes_relative_keeps_the_shape():
    notes = [Note(F(0), 60, F(1), 50), Note(F(1), 64, F(2), 90)]
    out = changed_notes(notes, NoteChange(pitch=-2, velocity=10, relative=True))
    assert [(n.pitch, n.velocity) for n in out] == [(58, 60), (62, 100)]


def test_stems_of_notes_that_start_together_are_spread_apart():
    chord = [Note(F(0), p, F(1), 40 + p) for p in (60, 64, 67)]
    placed = stem_positions([*chord, Note(F(1), 72, F(1))], lambda beat: float(beat) * 60)
    xs = {n.pitch: x for x, n in placed}
    assert xs[60] < xs[64] < xs[67] and xs[64] == 0.0 and xs[67] - xs[60] >= 12
    assert xs[72] == 60.0


def test_each_chord_note_can_be_dragged_in_the_lane(window):
    chord = tuple(Note(F(1), p, F(1), 60) for p in (60, 64, 67))
    window.document.load(Score(tracks=(Track("Piano", chord),), length_bars=1), None)
    set_zoom(window.editor, 60)
    window.editor.scroll_to_beat(F(0))
    lane = window.editor.velocity_lane
    middle = next(n for n in window.document.track.notes if n.pitch == 64)
    x = round(lane.stem_x(middle))
    assert lane.stem_at(x) == middle
    drag(lane, QPoint(x, round(lane.y_of_velocity(60))), QPoint(x, round(lane.y_of_velocity(110))))
    velocities = {n.pitch: n.velocity for n in window.document.track.notes}
    assert velocities[64] > 100 and velocities[60] == velocities[67] == 60
