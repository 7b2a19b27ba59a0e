"""Playback wiring: Space plays from the cursor, the playhead follows, no port is not fatal."""

from fractions import Fraction

import pytest

from .fakes import PlayerBox
from .helpers import melody_score

pytestmark = pytest.mark.gui
F = Fraction


def test_space_plays_from_the_cursor_and_stops(make_window):
    players = PlayerBox()
    window = make_window(players=players)
    window.document.load(melody_score(4), None)
    window.document.set_cursor(F(4))
    window.play_action.trigger()
    player = players.player
    assert player.calls[-1][0:3] == ("play", window.document.score, F(4))
    window.play_action.trigger()
    assert player.calls[-1] == ("stop",)
    assert not window.playback.is_playing


def test_the_playhead_is_drawn_and_followed(qtbot, make_window):
    players = PlayerBox()
    window = make_window(players=players)
    window.document.load(melody_score(64), None)
    window.play_action.trigger()
    player = players.player
    with qtbot.waitSignal(window.playback.position_changed, timeout=2000):
        player.signals.position_changed.emit(player.pass_id, 100.0)
    assert window.editor.canvas.playhead_beat == 100.0
    x = window.editor.roll_geometry.beat_to_x(100)
    assert 0 <= x <= window.editor.canvas.width()  # scrolled to keep it in view
    player.signals.finished.emit(player.pass_id)
    assert window.editor.canvas.playhead_beat is None


def test_a_vanished_port_stops_with_a_message_and_reopens_later(make_window):
    players = PlayerBox()
    window = make_window(players=players)
    window.document.load(melody_score(2), None)
    window.play_action.trigger()
    player = players.player
    player.signals.error.emit(player.pass_id, "The MIDI port 'synth' has disappeared; playback stopped.")
    assert "disappeared" in window.statusBar().currentMessage()
    assert window.playback.player is None and players.player.closed


def test_no_port_at_all_keeps_the_window_working(make_window):
    window = make_window(players=PlayerBox(available=False))
    window.document.load(melody_score(2), None)
    window.play_action.trigger()
    assert "No MIDI output port" in window.statusBar().currentMessage()
    assert not window.playback.is_playing
    window.edits.select_all.trigger()
    assert len(window.document.selection) == 8


def test_panic_silences_every_channel_of_the_synth_and_lifts_pedal_and_bend(qtbot, make_window):
    from musicassist.gui.qt_player import QtPlayer

    from ..playback.fakes import RecordingPort

    port = RecordingPort()
    window = make_window(players=lambda _name: QtPlayer(port))
    window.document.load(melody_score(64), None)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: bool(port.notes_on()), timeout=5000)
    window.panic_action.trigger()
    assert not window.playback.is_playing
    controls = {(m.channel, m.control, m.value) for m in port.messages if m.type == "control_change"}
    assert {(c, cc, 0) for c in range(16) for cc in (64, 120, 123)} <= controls
    assert {(m.channel, m.pitch) for m in port.messages if m.type == "pitchwheel"} == {(c, 0) for c in range(16)}
    assert "Panic" in window.panic_action.text().replace("&", "")
