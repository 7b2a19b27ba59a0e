from fractions import Fraction

import pytest

from musicassist.core.errors import ScoreError
from musicassist.core.score import Note
from musicassist.gui import note_actions
from musicassist.gui.commands import new_session
from musicassist.gui.document import Document

from .helpers import melody_score

pytestmark = pytest.mark.gui
F = Fraction


@pytest.fixture
def document(qapp):
    doc = Document(melody_score(2))
    yield doc


def test_an_edit_is_one_undo_step_and_marks_the_document_modified(document):
    original = document.score
    added = Note(F(1, 2), 90, F(1, 2))
    document.edit_track_notes((), (added,), "Draw note")
    assert added in document.track.notes
    assert document.is_modified
    assert document.selection == {added}
    document.undo_stack.undo()
    assert document.score == original
    assert not document.is_modified
    assert document.selection == frozenset()
    document.undo_stack.redo()
    assert added in document.track.notes


def test_commands_of_one_session_merge_into_one_step(document):
    note = document.track.notes[0]
    session = new_session()
    current = note
    for beat in (1, 2, 3):
        moved = Note(F(beat), note.pitch, note.duration, note.velocity)
        document.edit_track_notes((current,), (moved,), "Move notes", session=session)
        current = moved
    assert document.undo_stack.count() == 1
    # A second gesture is a step of its own, even though it is the same kind of edit.
    document.edit_track_notes((current,), (note.moved(F(10)),), "Move notes", session=new_session())
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.track.notes[0] == note


def test_a_drag_back_to_its_start_leaves_no_undo_step(document):
    note = document.track.notes[0]
    session = new_session()
    document.edit_track_notes((note,), (note.moved(F(1)),), "Move notes", session=session)
    document.edit_track_notes((note.moved(F(1)),), (note,), "Move notes", session=session)
    assert document.undo_stack.count() == 0
    assert not document.is_modified


def test_selection_keeps_only_notes_of_the_current_track(document):
    bass_note = document.score.tracks[1].notes[0]
    document.set_selection([document.track.notes[0], bass_note])
    assert document.selection == {document.track.notes[0]}
    document.set_current_track(1)
    assert document.selection == frozenset()
    assert document.track.name == "Bass"


def test_delete_copy_paste_and_duplicate(document):
    first, second = document.track.notes[:2]
    document.set_selection([first, second])
    clip = note_actions.copy_selection(document)
    assert clip is not None and clip.length == 2
    note_actions.paste(document, clip, F(16))
    assert {n.start for n in document.selection} == {F(16), F(17)}
    assert document.cursor_beat == 18
    note_actions.duplicate_selection(document)
    assert {n.start for n in document.selection} == {F(18), F(19)}
    before = len(document.track.notes)
    note_actions.delete_selection(document)
    assert len(document.track.notes) == before - 2
    cut = note_actions.cut_selection(document)
    assert cut is None  # nothing selected any more


def test_nudge_transpose_and_quantize(document):
    note = document.track.notes[0]
    document.set_selection([note])
    note_actions.nudge_selection(document, beats=F(1, 4))
    (moved,) = document.selection
    assert moved.start == note.start + F(1, 4)
    note_actions.nudge_selection(document, semitones=12)
    (up,) = document.selection
    assert up.pitch == note.pitch + 12
    note_actions.quantize_selection(document, F(1))
    (snapped,) = document.selection
    assert snapped.start == 0
    with pytest.raises(ScoreError):
        note_actions.transpose_selection(document, 100)
    with pytest.raises(ScoreError):
        note_actions.quantize_selection(document, None)
    # Each of the three successful edits is one step.
    assert document.undo_stack.count() == 3


def test_transpose_without_selection_moves_the_whole_track_only(document):
    bass = document.score.tracks[1]
    melody_pitches = [n.pitch for n in document.track.notes]
    note_actions.transpose_selection(document, -2)
    assert [n.pitch for n in document.track.notes] == [p - 2 for p in melody_pitches]
    assert document.score.tracks[1] == bass
    assert document.undo_stack.count() == 1
