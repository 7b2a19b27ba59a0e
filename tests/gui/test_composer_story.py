"""The issue's "done when", end to end in one window, with the fake sampler and real files:
open a MIDI file, select bars 1-4, generate 4 candidates, audition, accept one, undo, accept another,
export a MIDI file that contains it."""

from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from musicassist.core.score import BarRange
from musicassist.io import read_score

from .fakes import PlayerBox
from .helpers import activate, drag, melody_score, write_midi

pytestmark = pytest.mark.gui
F = Fraction


def test_open_select_generate_audition_accept_undo_accept_export(qtbot, make_window, tmp_path):
    players = PlayerBox()
    window = make_window(players=players)
    activate(qtbot, window)
    source = write_midi(melody_score(6), tmp_path / "sketch.mid")
    assert window.open_path(source)

    ruler = window.editor.ruler
    drag(ruler, QPoint(round(ruler.x_of_bar(0)) + 4, 10), QPoint(round(ruler.x_of_bar(3)) + 4, 10))
    assert window.document.bar_selection == BarRange(0, 4)

    with qtbot.waitSignal(window.assistant.host.finished, timeout=5000):
        QTest.keyClick(window.editor.canvas, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    candidates = window.panel.candidates.candidates()
    assert len(candidates) == 4

    window.panel.audition_button.click()
    assert players.player.is_playing
    window.panel.candidates.setCurrentRow(1)
    assert players.player.calls[-1][0] == "switch"

    window.panel.accept_button.click()
    assert not players.player.is_playing  # accepting ends the audition
    QTest.keyClick(window.editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.score == read_score(source)

    window.panel.candidates.setCurrentRow(3)
    QTest.keyClick(window.editor.canvas, Qt.Key.Key_Return)
    exported = tmp_path / "with candidate 4.mid"
    assert window.files.export(exported)
    melody = read_score(exported).tracks[0].notes
    written = [(n.start - 16, n.pitch) for n in melody if 16 <= n.start < 32]
    assert written == [(n.start, n.pitch) for n in candidates[3].score.tracks[0].notes]
