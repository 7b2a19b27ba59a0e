"""Open, save, export, recent files, drag and drop, and the unsaved-changes prompt."""

from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from musicassist.core.score import Note
from musicassist.io import read_score

from .helpers import melody_score, write_midi

pytestmark = pytest.mark.gui
F = Fraction
Button = QMessageBox.StandardButton

TWO_TUNES = """X:1
T:First
M:4/4
L:1/4
K:C
CDEF|GABc|

X:2
T:Second
M:3/4
L:1/4
K:G
GAB|dcB|
"""


def test_open_edit_save_round_trip(window, tmp_path):
    path = write_midi(melody_score(4), tmp_path / "tune.mid")
    assert window.open_path(path)
    assert window.windowTitle().startswith("tune.mid")
    assert not window.isWindowModified()
    window.document.edit_track_notes((), (Note(F(1, 2), 90, F(1, 2), 100),), "Draw note")
    assert window.isWindowModified()
    window.save_action.trigger()
    assert not window.isWindowModified()
    saved = read_score(path)
    assert Note(F(1, 2), 90, F(1, 2), 100) in saved.tracks[0].notes
    assert len(saved.tracks) == 2
    assert window.preferences.recent_files[0] == path.resolve()
    assert str(path.resolve()) in [a.text() for a in window.recent_menu.actions()]


def test_save_as_asks_for_a_name_and_adds_mid(window, tmp_path, monkeypatch):
    target = tmp_path / "new piece"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.document.edit_track_notes((), (Note(F(0), 64, F(1)),), "Draw note")
    window.save_action.trigger()  # untitled: Save behaves as Save As
    assert window.document.path == target.with_suffix(".mid")
    assert read_score(target.with_suffix(".mid")).tracks[0].notes == (Note(F(0), 64, F(1)),)


def test_export_musicxml_and_png_keep_the_document_file(window, tmp_path):
    path = write_midi(melody_score(2), tmp_path / "tune.mid")
    window.open_path(path)
    assert window.files.export(tmp_path / "tune.musicxml")
    assert read_score(tmp_path / "tune.musicxml").tracks[0].notes[:3] == melody_score(2).tracks[0].notes[:3]
    assert window.files.export(tmp_path / "roll.png")
    image = QImage(str(tmp_path / "roll.png"))
    geometry = window.editor.roll_geometry  # drawn at the current zoom: 8 beats, the melody's range
    assert image.width() >= 8 * geometry.pixels_per_beat - 1 and image.height() > 10 * geometry.key_height
    assert window.document.path == path


def test_a_bad_file_shows_a_message_and_keeps_the_open_document(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, title, text: shown.append(text))
    window.document.load(melody_score(2), None)
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00")
    assert not window.files.open_path(broken, ask_to_save=False)
    assert shown and "Traceback" not in shown[0]
    assert window.document.score == melody_score(2)


def test_a_tune_book_asks_which_piece(window, tmp_path, monkeypatch):
    book = tmp_path / "book.abc"
    book.write_text(TWO_TUNES)
    asked = []

    def choose(_parent, _title, _label, items, *args):
        asked.extend(items)
        return items[1], True

    monkeypatch.setattr(QInputDialog, "getItem", choose)
    assert window.open_path(book)
    assert asked == ["1. First", "2. Second"]
    assert str(window.document.score.time_signature) == "3/4"
    assert window.document.path is None  # an ABC tune is saved as a new MIDI file


def test_unsaved_changes_prompt_cancel_discard_and_save(window, tmp_path, monkeypatch):
    path = write_midi(melody_score(2), tmp_path / "tune.mid")
    window.open_path(path)
    window.document.edit_track_notes((), (Note(F(1), 90, F(1)),), "Draw note")
    answers = [Button.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    window.close()
    assert window.isVisible()  # cancelled: still open, still modified
    assert window.document.is_modified
    answers.append(Button.Save)
    window.new_action.trigger()  # New asks too; Save writes the file first
    assert Note(F(1), 90, F(1)) in read_score(path).tracks[0].notes
    assert window.document.path is None and window.document.score.note_count == 0
    window.document.edit_track_notes((), (Note(F(0), 70, F(1)),), "Draw note")
    answers.append(Button.Discard)
    window.close()
    assert not window.isVisible()


def test_dropping_a_file_opens_it(window, tmp_path):
    path = write_midi(melody_score(3), tmp_path / "dropped.mid")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.document.path == path
    assert window.document.score.bar_count == 3


def test_properties_dialog_changes_tempo_meter_key_in_one_step(window):
    from musicassist.core.timemaps import KeySignature, TimeSignature
    from musicassist.gui.dialogs import PropertiesDialog

    window.document.load(melody_score(2), None)
    dialog = PropertiesDialog(window.document.score, window)
    dialog.tempo_spin.setValue(90)
    dialog.numerator_spin.setValue(3)
    dialog.key_combo.setCurrentText("D minor")
    window.document.push_edit(dialog.edited_score(), "Change properties")
    score = window.document.score
    assert score.tempo_map.bpm_at(F(0)) == 90
    assert score.time_signature == TimeSignature(3, 4)
    assert score.key == KeySignature(2, "minor")
    assert score.tracks == melody_score(2).tracks  # notes keep their beats
    window.edits.undo.trigger()
    assert window.document.score == melody_score(2)


def test_recent_files_survive_a_new_window(make_window, tmp_path):
    path = write_midi(melody_score(1), tmp_path / "a.mid")
    first = make_window()
    first.open_path(path)
    second = make_window()
    assert second.preferences.recent_files == [Path(path).resolve()]
