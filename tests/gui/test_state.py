"""State always true: the status bar, the panel's message and the candidate list follow every
edit, undo, redo, accept, reject and new document; small panel promises (32 candidates, refusals
explained, Space plays from a spin box, exports confirmed)."""

from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from musicassist.core.score import BarRange, Note

from .fakes import PlayerBox
from .helpers import activate, melody_score

pytestmark = pytest.mark.gui
F = Fraction
WAIT_MS = 5000


def _status(window):
    return window.status_label.text()


def _generate(qtbot, window):
    window.document.set_bar_selection(BarRange(0, 2))
    with qtbot.waitSignal(window.assistant.host.finished, timeout=WAIT_MS):
        window.assistant.generate()


def _accepted_titles(window):
    from musicassist.gui.candidate_list import ACCEPTED_ROLE

    return [i for i in range(window.panel.candidates.count())
            if window.panel.candidates.item(i).data(ACCEPTED_ROLE)]


def test_the_status_bar_counts_follow_edit_undo_redo_and_new(window):
    window.document.load(melody_score(4), None)
    assert _status(window) == "2 tracks, 20 notes, 4 bars"
    window.document.edit_track_notes((), (Note(F(20), 72, F(1)),), "Draw note")  # a note in bar 6
    assert _status(window) == "2 tracks, 21 notes, 6 bars"
    window.edits.undo.trigger()
    assert _status(window) == "2 tracks, 20 notes, 4 bars"
    window.edits.redo.trigger()
    assert _status(window) == "2 tracks, 21 notes, 6 bars"
    window.document.load(melody_score(1), None)
    window.new_action.trigger()  # unmodified: no question asked
    assert _status(window) == "1 track, 0 notes, 8 bars"


def test_accept_undo_redo_keep_the_panel_true(qtbot, window):
    window.document.load(melody_score(4), None)
    _generate(qtbot, window)
    window.panel.candidates.setCurrentRow(1)
    window.panel.accept_button.click()
    assert "Candidate 2 written" in window.panel.message.text()
    assert _accepted_titles(window) == [1]
    before_notes = window.document.score.note_count
    assert f"{before_notes} notes" in _status(window)
    window.edits.undo.trigger()
    assert _accepted_titles(window) == []
    assert "written" not in window.panel.message.text()
    assert "4 candidates ready" in window.panel.message.text()
    window.edits.redo.trigger()
    assert _accepted_titles(window) == [1]
    assert "Candidate 2 written" in window.panel.message.text()
    # Any later edit: the candidate is still in the track, but the document is no longer "just accepted".
    window.document.edit_track_notes((), (Note(F(40), 90, F(1)),), "Draw note")
    assert _accepted_titles(window) == []


def test_reject_updates_the_count_and_new_clears_the_panel(qtbot, window):
    window.document.load(melody_score(4), None)
    _generate(qtbot, window)
    window.panel.reject_button.click()
    assert window.panel.candidates.count() == 3
    assert "3 candidates ready" in window.panel.message.text()
    for _ in range(3):
        window.panel.reject_button.click()
    assert window.panel.candidates.count() == 0
    assert "No candidates left" in window.panel.message.text()
    _generate(qtbot, window)
    window.new_action.trigger()
    assert window.panel.candidates.count() == 0
    assert window.panel.message.text() == ""
    assert window.editor.canvas.ghost is None


def test_the_panel_allows_32_candidates_like_the_command_and_explains_a_refusal(qtbot, window):
    spin = window.panel.count_spin
    assert spin.maximum() == 32
    spin.setValue(32)
    assert spin.value() == 32
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "40")
    assert spin.value() != 40
    text = window.panel.message.text()
    assert "between 1 and 32" in text and "'40'" in text


def test_space_in_a_focused_spin_box_plays_instead_of_typing(qtbot, make_window):
    players = PlayerBox()
    window = make_window(players=players)
    window.document.load(melody_score(2), None)
    activate(qtbot, window)
    spin = window.panel.count_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    QTest.keyClick(spin, Qt.Key.Key_Space)
    assert players.player is not None and players.player.calls[-1][0] == "play"
    assert spin.value() == 4


def test_export_confirms_in_the_status_bar(window, tmp_path):
    window.document.load(melody_score(2), None)
    assert window.files.export(tmp_path / "tune.musicxml")
    assert window.statusBar().currentMessage() == f"Exported tune.musicxml to {tmp_path}"


def test_in_replace_mode_the_ghost_marks_the_notes_accept_would_remove(qtbot, window):
    window.document.load(melody_score(4), None)
    _generate(qtbot, window)  # bars 1-2 continued: Accept replaces bars 3-4
    ghost = window.editor.canvas.ghost
    melody = window.document.score.tracks[0].notes
    assert set(ghost.replaced) == {n for n in melody if 8 <= n.start < 16}
    window.panel.insert_radio.setChecked(True)
    assert window.editor.canvas.ghost.replaced == ()
    window.panel.replace_radio.setChecked(True)
    assert set(window.editor.canvas.ghost.replaced) == {n for n in melody if 8 <= n.start < 16}
    window.panel.accept_button.click()
    window.edits.undo.trigger()
    window.panel.candidates.setCurrentRow(0)
    window.panel.candidates.setCurrentRow(1)
    assert set(window.editor.canvas.ghost.replaced) == {n for n in melody if 8 <= n.start < 16}


def test_two_accepts_in_a_row_undo_to_the_first_one_marked(qtbot, window):
    window.document.load(melody_score(4), None)
    _generate(qtbot, window)
    window.panel.candidates.setCurrentRow(0)
    window.panel.accept_button.click()
    window.panel.candidates.setCurrentRow(2)
    window.panel.accept_button.click()
    assert _accepted_titles(window) == [2]
    window.edits.undo.trigger()
    assert _accepted_titles(window) == [0] and "Candidate 1 written" in window.panel.message.text()
    window.edits.undo.trigger()
    assert _accepted_titles(window) == []


def test_a_candidate_row_shows_one_line_and_the_tooltip_the_numbers():
    from musicassist.core.generation import Candidate
    from musicassist.core.score import Score, Track
    from musicassist.gui.candidate_list import candidate_summary

    candidate = Candidate(1, 0, Score((Track("", (Note(F(0), 60, F(1)),)),), length_bars=1), label="falling",
                          label_detail="5.00 notes a bar (middle 5.00)\nlowest C4")
    assert "\n" not in candidate_summary(candidate) and "1 notes" in candidate_summary(candidate)
