"""One identity on every thread boundary: request ids for the sampler, pass ids for the player.

A superseded generation is not "cancelled" in the panel, and a late report of
an older playback pass neither stops a new pass nor ends a recording take.
"""

from fractions import Fraction

import pytest

from musicassist.core.score import BarRange, Note, Score, Track
from musicassist.gui.qt_player import QtPlayer
from tests.playback.fakes import RecordingPort

from .fakes import FakeSampler, PlayerBox
from .helpers import melody_score

pytestmark = pytest.mark.gui
F = Fraction
WAIT_MS = 5000


def test_generate_again_while_running_shows_the_new_run_as_running(qtbot, make_window):
    sampler = FakeSampler(delay=0.05)
    window = make_window(sampler=sampler)
    window.document.load(melody_score(4), None)
    window.document.set_bar_selection(BarRange(0, 2))
    host = window.assistant.host
    with qtbot.waitSignal(host.progress, timeout=WAIT_MS):
        window.assistant.generate()
    cancelled: list[int] = []
    host.cancelled.connect(cancelled.append)
    window.panel.generate_button.click()  # "Generate again" while the first run goes on
    assert cancelled == []  # the superseded run is not a cancel
    assert host.busy
    assert window.panel.cancel_button.isEnabled()
    assert window.panel.generate_button.text() == "Generate again"
    assert window.panel.message.text() != "Cancelled."
    assert "Generating" in window.panel.message.text()
    sampler.delay = 0.0
    with qtbot.waitSignal(host.finished, timeout=WAIT_MS):
        pass
    assert not window.panel.cancel_button.isEnabled()
    assert window.panel.candidates.count() == 4


def test_a_late_finished_of_an_old_pass_does_not_stop_the_new_one(make_window):
    players = PlayerBox()
    window = make_window(players=players)
    window.document.load(melody_score(4), None)
    window.play_action.trigger()
    player = players.player
    old_pass = player.pass_id
    window.play_action.trigger()  # stop
    window.play_action.trigger()  # and play again: a new pass
    assert player.pass_id != old_pass
    playing: list[bool] = []
    window.playback.playing_changed.connect(playing.append)
    player.signals.finished.emit(old_pass)  # the old pass's end, queued behind the new play()
    player.signals.position_changed.emit(old_pass, 12.0)
    assert playing == [] and window.editor.canvas.playhead_beat != 12.0
    player.signals.position_changed.emit(player.pass_id, 3.0)
    assert window.editor.canvas.playhead_beat == 3.0
    player.signals.finished.emit(player.pass_id)
    assert playing == [False] and window.editor.canvas.playhead_beat is None


def test_the_qt_player_reports_the_pass_id_of_its_own_thread(qtbot):
    port = RecordingPort()
    player = QtPlayer(port)
    finished: list[int] = []
    player.signals.finished.connect(finished.append)
    score = Score(tracks=(Track("t", (Note(F(0), 60, F(1, 8)),)),), length_bars=1)
    try:
        player.play(score, 0, end_beat=F(1, 8))
        first = player.pass_id
        qtbot.waitUntil(lambda: finished == [first], timeout=WAIT_MS)
        player.play(score, 0, end_beat=F(1, 8))
        qtbot.waitUntil(lambda: len(finished) == 2, timeout=WAIT_MS)
        assert finished == [first, first + 1]
    finally:
        player.close()
