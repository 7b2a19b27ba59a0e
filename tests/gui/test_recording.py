"""Recording from a MIDI keyboard into the window: live takes, step input, the played idea, lost ports.

The fast tests feed the controller's message slot with mido messages and
clock readings, against a fake player that knows which beat sounds when (as
the real one does); one test sends notes through a real JACK MIDI port into
the app's real input port while the real player clicks into FluidSynth.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction

import mido
import pytest
from PySide6.QtWidgets import QMessageBox

from musicassist.core.errors import PortError
from musicassist.core.score import BarRange, Note, Score, Track
from musicassist.gui import preferences as prefs_module
from musicassist.gui.main_window import MainWindow
from musicassist.gui.preferences import FIRST_INPUT, Preferences, PreferencesDialog
from musicassist.gui.record_controller import IDEA_GAP_SECONDS, bars_covering

from .fakes import FakePlayer, FakeSampler

pytestmark = pytest.mark.gui
F = Fraction
SECONDS_PER_BEAT = 0.5  # the default tempo, 120 BPM


def on(pitch: int, velocity: int = 80) -> mido.Message:
    return mido.Message("note_on", note=pitch, velocity=velocity)


def off(pitch: int) -> mido.Message:
    return mido.Message("note_off", note=pitch)


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ClickingPlayer(FakePlayer):
    """A fake player with the real one's recording interface: metronome, count-in, beat at a clock reading."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.metronome = False
        self.count_in_bars = 0
        self.origin = 0.0
        self.start = F(0)

    def play(self, score: Score, start_beat: Fraction | int = 0,
             loop: tuple[Fraction, Fraction] | None = None) -> None:
        super().play(score, start_beat, loop)
        self.calls[-1] = (*self.calls[-1], self.metronome, self.count_in_bars)
        self.start = F(start_beat)
        self.origin = self.clock() + self.count_in_bars * 4 * SECONDS_PER_BEAT  # the start sounds after the count-in

    def beat_at_time(self, clock_time: float) -> float | None:
        if not self.is_playing:
            return None
        return float(self.start) + (clock_time - self.origin) / SECONDS_PER_BEAT


class Players:
    def __init__(self, clock: FakeClock) -> None:
        self.player = ClickingPlayer(clock)

    def __call__(self, _port_name: str | None) -> ClickingPlayer:
        return self.player


class FakeKeyboard:
    """An input-port factory handing out itself; ``callback`` is what rtmidi would call on its thread."""

    name = "USB Keys"

    def __init__(self, available: bool = True) -> None:
        self.available = available
        self.alive = True
        self.closed = False
        self.asked: list[str | None] = []
        self.callback: Callable[[mido.Message], None] | None = None

    def __call__(self, name: str | None, callback: Callable[[mido.Message], None]) -> FakeKeyboard:
        self.asked.append(name)
        if not self.available:
            raise PortError("No MIDI input port is available: connect a MIDI keyboard.")
        self.callback, self.closed, self.alive = callback, False, True
        return self

    def is_alive(self) -> bool:
        return self.alive

    def close(self) -> None:
        self.closed = True


class Rig:
    def __init__(self, window: MainWindow, keyboard: FakeKeyboard, players: Players, clock: FakeClock,
                 sampler: FakeSampler) -> None:
        self.window, self.keyboard, self.clock = window, keyboard, clock
        self.players, self.sampler = players, sampler
        self.recording = window.recording
        self.document = window.document

    @property
    def player(self) -> ClickingPlayer:
        return self.players.player

    def send(self, message: mido.Message, at: float) -> None:
        self.clock.now = at
        self.recording.on_input(message, at)

    def status(self) -> str:
        return self.window.statusBar().currentMessage()

    def notes(self) -> set[Note]:
        return set(self.document.track.notes)


@pytest.fixture
def make_rig(qtbot, settings, monkeypatch):
    made: list[MainWindow] = []

    def build(keyboard: FakeKeyboard | None = None, score: Score | None = None, snap: str = "1/8") -> Rig:
        clock = FakeClock()
        players = Players(clock)
        keyboard = keyboard or FakeKeyboard()
        sampler = FakeSampler()
        window = MainWindow(settings=settings, sampler_factory=lambda _name: sampler, player_factory=players,
                            input_factory=keyboard)
        window.recording.clock = clock
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        if score is not None:
            window.document.load(score, None)
        window.snap_combo.setCurrentText(snap)
        return Rig(window, keyboard, players, clock, sampler)

    yield build
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    for window in made:
        window.close()
        window.deleteLater()


def one_note_score() -> Score:
    return Score(tracks=(Track("Piano", (Note(F(0), 48, F(4), 70),), channel=2),), length_bars=4)


# ---------------------------------------------------------------------- live recording
def test_record_plays_from_the_cursor_with_clicks_and_adds_the_quantized_take_as_one_undo_step(make_rig):
    rig = make_rig(score=one_note_score(), snap="1/8")
    rig.document.set_cursor(F(4))
    before = rig.notes()
    undo_steps = rig.document.undo_stack.count()
    rig.window.recording.record_action.trigger()
    assert rig.window.recording.record_action.isChecked() and rig.recording.is_recording
    play = rig.player.calls[-1]
    assert play[0] == "play" and play[2] == F(4) and play[4:] == (True, 1)  # metronome on, one bar of count-in
    assert play[1].end > rig.document.score.end  # room to record past the end of the piece
    start = 100.0 + 2.0  # the cursor sounds after one bar of count-in
    rig.send(on(60), start - 0.05)  # a hair early, in the count-in: lands on the cursor
    rig.send(off(60), start + 0.24)
    rig.send(on(64, 50), start + 0.51)
    rig.send(off(64), start + 1.02)
    rig.send(on(67), start + 1.47)  # still held when recording stops
    rig.clock.now = start + 2.0
    rig.window.recording.record_action.trigger()
    take = {Note(F(4), 60, F(1, 2), 80, 2), Note(F(5), 64, F(1), 50, 2), Note(F(7), 67, F(1), 80, 2)}
    assert rig.notes() == before | take  # the existing note stays: the take is added, on the track's channel
    assert rig.document.selection == take
    assert rig.document.undo_stack.count() == undo_steps + 1
    assert not rig.window.recording.record_action.isChecked() and not rig.window.playback.is_playing
    assert "Recorded 3 notes" in rig.status()
    rig.document.undo_stack.undo()
    assert rig.notes() == before
    rig.document.undo_stack.redo()
    assert rig.notes() == before | take
    rig.window.play_action.trigger()  # ordinary playback: no click, no count-in
    assert rig.player.calls[-1][4:] == (False, 0)


def test_without_quantize_the_take_keeps_its_timing_and_space_stops_it(make_rig):
    rig = make_rig(snap="1/4")
    rig.window.recording.quantize_action.trigger()
    rig.window.recording.count_in_action.trigger()
    assert not rig.window.preferences.quantize_recording and not rig.window.preferences.count_in
    rig.window.recording.record_action.trigger()
    assert rig.player.calls[-1][4:] == (True, 0)
    rig.send(on(72), 100.3)
    rig.send(off(72), 100.55)
    rig.window.play_action.trigger()  # Space: stops, and the take is kept
    assert rig.notes() == {Note(F(3, 5), 72, F(1, 2))}  # snapped, it would be at 1
    assert not rig.recording.is_recording and not rig.window.playback.is_playing


def test_playback_that_ends_by_itself_ends_the_take(make_rig):
    rig = make_rig()
    rig.window.recording.record_action.trigger()
    rig.send(on(60), 102.0)
    rig.send(off(60), 102.5)
    rig.player.stop()
    rig.player.signals.finished.emit(rig.player.pass_id)
    assert not rig.recording.is_recording
    assert rig.notes() == {Note(F(0), 60, F(1))}


def test_a_late_finished_of_an_older_pass_does_not_end_the_take(make_rig):
    rig = make_rig()
    rig.window.play_action.trigger()
    old_pass = rig.player.pass_id
    rig.window.play_action.trigger()
    rig.window.recording.record_action.trigger()  # a new pass, recording along
    rig.player.signals.finished.emit(old_pass)  # queued from the earlier pass
    assert rig.recording.is_recording and rig.window.playback.is_playing


# ---------------------------------------------------------------------- step input
def test_step_input_enters_each_key_or_chord_at_the_cursor_and_moves_on(make_rig):
    rig = make_rig(snap="1/8")
    rig.document.set_cursor(F(2))
    rig.window.recording.step_action.trigger()
    assert rig.recording.step_input_active and rig.window.recording.step_action.isChecked()
    undo_steps = rig.document.undo_stack.count()
    rig.send(on(60, 80), 1.0)
    rig.send(off(60), 1.1)
    assert rig.notes() == {Note(F(2), 60, F(1, 2), 80)}
    assert rig.document.cursor_beat == F(5, 2)
    for message in (on(64), on(67), off(64), off(67)):
        rig.send(message, 2.0)
    assert rig.notes() == {Note(F(2), 60, F(1, 2), 80), Note(F(5, 2), 64, F(1, 2)), Note(F(5, 2), 67, F(1, 2))}
    assert rig.document.cursor_beat == 3
    assert rig.document.undo_stack.count() == undo_steps + 2  # one step per entry
    rig.document.undo_stack.undo()
    assert rig.notes() == {Note(F(2), 60, F(1, 2), 80)}
    rig.document.set_cursor(F(8))  # the composer clicks elsewhere and picks another length
    rig.window.snap_combo.setCurrentText("1/4")
    rig.send(on(62), 3.0)
    rig.send(off(62), 3.1)
    assert Note(F(8), 62, F(1)) in rig.notes() and rig.document.cursor_beat == 9
    rig.window.recording.step_action.trigger()
    assert not rig.recording.step_input_active
    rig.send(on(50), 4.0)
    rig.send(off(50), 4.1)
    assert Note(F(9), 50, F(1)) not in rig.notes() and len(rig.notes()) == 2  # now it is only a played idea


# ---------------------------------------------------------------------- the played idea
def play_line(rig: Rig, pitches: list[int], at: float) -> float:
    """One key per beat at 120 BPM, each held a beat; returns the time after the last."""
    for pitch in pitches:
        rig.send(on(pitch), at)
        rig.send(off(pitch), at + SECONDS_PER_BEAT - 0.01)
        at += SECONDS_PER_BEAT
    return at


def test_a_played_idea_goes_in_at_the_cursor_with_its_bars_selected_and_generate_continues_it(make_rig, qtbot):
    rig = make_rig(snap="1/16")
    rig.recording.ensure_input()
    assert rig.keyboard.asked == [None]  # the first keyboard there
    later = play_line(rig, [40, 41], at=10.0)  # noodling, then a pause: forgotten
    play_line(rig, [60, 62, 64, 65, 67], at=later + IDEA_GAP_SECONDS + 1)
    assert "Played idea: 5 notes" in rig.status()
    rig.document.set_cursor(F(8))
    undo_steps = rig.document.undo_stack.count()
    rig.window.recording.idea_action.trigger()
    idea = {Note(F(8 + i), p, F(1)) for i, p in enumerate([60, 62, 64, 65, 67])}
    assert rig.notes() == idea
    assert rig.document.undo_stack.count() == undo_steps + 1
    assert rig.document.bar_selection == BarRange(2, 4)  # bars 3-4 as the composer counts
    assert "bars 3-4" in rig.status()
    rig.window.recording.idea_action.trigger()  # used up: nothing to put in twice
    assert rig.notes() == idea and "Nothing has been played yet" in rig.status()
    rig.window.generate_action.trigger()
    qtbot.waitUntil(lambda: bool(rig.sampler.requests), timeout=5000)
    assert sorted(n.pitch for n in rig.sampler.requests[0].seed.notes) == [60, 62, 64, 65, 67]


def test_keys_played_during_playback_are_no_idea(make_rig):
    rig = make_rig()
    rig.window.play_action.trigger()
    play_line(rig, [60, 62], at=1.0)
    rig.window.play_action.trigger()
    rig.window.recording.idea_action.trigger()
    assert rig.notes() == set()


def test_bars_covering_leaves_out_a_bar_a_tail_only_reaches():
    score = Score(tracks=(Track("t", (Note(F(4), 60, F(4)),)),), length_bars=4)
    assert bars_covering(score, (Note(F(4), 60, F(4)),)) == BarRange(1, 2)
    assert bars_covering(score, (Note(F(3), 60, F(2)),)) == BarRange(0, 2)


# ---------------------------------------------------------------------- ports
def test_no_keyboard_is_a_message_and_the_window_keeps_working(make_rig):
    rig = make_rig(keyboard=FakeKeyboard(available=False), score=one_note_score())
    rig.window.recording.record_action.trigger()
    assert "No MIDI keyboard: No MIDI input port is available" in rig.status()
    assert not rig.window.recording.record_action.isChecked() and not rig.window.playback.is_playing
    rig.window.recording.step_action.trigger()
    assert not rig.window.recording.step_action.isChecked()
    rig.window.recording.idea_action.trigger()
    rig.window.edits.select_all.trigger()
    assert len(rig.document.selection) == 1
    rig.window.play_action.trigger()
    assert rig.window.playback.is_playing


def test_a_keyboard_that_vanishes_stops_the_recording_and_keeps_the_take(make_rig, qtbot):
    rig = make_rig()
    rig.window.recording.record_action.trigger()
    rig.send(on(60), 102.0)
    rig.send(off(60), 102.5)
    rig.send(on(62), 102.5)
    rig.clock.now = 103.0
    rig.keyboard.alive = False  # unplugged: the periodic check notices
    qtbot.waitUntil(lambda: not rig.recording.is_recording, timeout=3000)
    assert "'USB Keys' has disappeared" in rig.status() and "kept" in rig.status()
    assert rig.notes() == {Note(F(0), 60, F(1)), Note(F(1), 62, F(1))}
    assert rig.keyboard.closed and rig.recording.port is None and not rig.window.playback.is_playing
    rig.window.recording.record_action.trigger()  # plugged in again: the next Record opens it anew
    assert rig.recording.is_recording and len(rig.keyboard.asked) == 2


def test_keys_from_the_midi_thread_are_handled_in_the_gui_thread_and_heard(make_rig, qtbot):
    rig = make_rig(score=one_note_score(), snap="1/4")
    rig.window.recording.step_action.trigger()
    edited_in: list[str] = []
    rig.document.score_changed.connect(lambda: edited_in.append(threading.current_thread().name))

    def keyboard_thread() -> None:
        assert rig.keyboard.callback is not None
        for message in (on(60), off(60), on(64), off(64)):
            rig.keyboard.callback(message)

    midi = threading.Thread(target=keyboard_thread, name="rtmidi")
    midi.start()
    midi.join()
    qtbot.waitUntil(lambda: len(rig.notes()) == 3, timeout=3000)
    assert edited_in == [threading.main_thread().name] * 2
    assert [(m.type, m.note, m.channel) for m in rig.player.sent] == [
        ("note_on", 60, 2), ("note_off", 60, 2), ("note_on", 64, 2), ("note_off", 64, 2)]  # the track's sound
    rig.window.recording.thru_action.trigger()
    rig.send(on(65), 1.0)
    assert len(rig.player.sent) == 4


def test_the_keyboard_is_chosen_in_preferences(make_rig, qtbot, monkeypatch):
    monkeypatch.setattr(prefs_module, "_list_ports", lambda: (["FLUID Synth"], ""))
    monkeypatch.setattr(prefs_module, "_list_input_ports", lambda: ["USB Keys", "Pads"])
    rig = make_rig()
    dialog = PreferencesDialog(rig.window.preferences, rig.window)
    qtbot.addWidget(dialog)
    assert [dialog.input_combo.itemText(i) for i in range(dialog.input_combo.count())] == [
        FIRST_INPUT, "USB Keys", "Pads"]
    dialog.input_combo.setCurrentText("Pads")
    dialog.accept()
    assert Preferences(rig.window.preferences.settings).midi_input_port == "Pads"
    rig.recording.reopen()
    assert rig.keyboard.asked == ["Pads"]
    rig.recording.reopen()  # the same choice: the open port stays
    assert rig.keyboard.asked == ["Pads"] and not rig.keyboard.closed


# ---------------------------------------------------------------------- a real keyboard port
_KEPT_JACK_CLIENTS: list[object] = []


@pytest.mark.realsynth
def test_a_real_keyboard_port_records_along_with_the_real_player(qtbot, settings, jack_server, jack_api, fluidsynth,
                                                                  monkeypatch):
    import rtmidi

    from tests.playback.conftest import retry_if_overloaded

    keys = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="TestKeys")
    keys.open_virtual_port("keys")
    window = MainWindow(settings=settings, sampler_factory=lambda _name: FakeSampler())
    window.preferences.midi_port = fluidsynth.midi_port
    window.preferences.midi_input_port = "TestKeys:keys"
    window.show()
    qtbot.waitExposed(window)
    window.snap_combo.setCurrentText("1/8")
    window.recording.ensure_input()
    assert window.recording.port is not None, window.statusBar().currentMessage()

    def send_at(beat: float, message: mido.Message) -> None:
        while (now := window.playback.beat_at_time(time.perf_counter())) is None or now < beat:
            qtbot.wait(1)
        keys.send_message(message.bytes())

    def scenario() -> None:
        window.recording.stop_recording()  # a failed attempt may have left it recording
        window.document.load(Score(tracks=(Track("Piano"),), length_bars=2), None)
        window.document.set_cursor(F(4))
        window.recording.record_action.trigger()
        assert window.recording.is_recording, window.statusBar().currentMessage()
        assert window.playback.player is not None and window.playback.player.metronome
        for beat, pitch in ((4.0, 60), (5.0, 64), (6.5, 67)):
            send_at(beat, on(pitch))
            send_at(beat + 0.5, off(pitch))
        qtbot.wait(200)  # the last messages cross from the MIDI thread
        window.recording.record_action.trigger()
        assert set(window.document.track.notes) == {Note(F(4), 60, F(1, 2)), Note(F(5), 64, F(1, 2)),
                                                    Note(F(13, 2), 67, F(1, 2))}

    try:
        retry_if_overloaded(jack_server, scenario)
        assert not window.playback.is_playing
        keys.close_port()  # the keyboard is unplugged: the window notices and says so
        qtbot.waitUntil(lambda: window.recording.port is None, timeout=5000)
        assert "'TestKeys:keys' has disappeared" in window.statusBar().currentMessage()
    finally:
        _KEPT_JACK_CLIENTS.append(keys)  # never closed while the server runs: see musicassist.playback.jack_clients
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
        window.close()
        window.deleteLater()
