"""Recording from a MIDI keyboard: exact unit tests with given arrival times, then a real JACK port."""

from __future__ import annotations

import time
from fractions import Fraction as F

import mido
import pytest

from musicassist.core import Note, OptionError, Score, TempoMap
from musicassist.playback.engine import Player
from musicassist.playback.ports import open_input, open_output
from musicassist.playback.recorder import LiveRecorder, StepRecorder, tempo_clock

from .conftest import retry_if_overloaded, run_child
from .fakes import RecordingPort


def on(pitch: int, velocity: int = 90) -> mido.Message:
    return mido.Message("note_on", note=pitch, velocity=velocity)


def off(pitch: int) -> mido.Message:
    return mido.Message("note_off", note=pitch)


def test_live_notes_get_their_beats_from_the_tempo_map():
    recorder = LiveRecorder(tempo_clock(TempoMap.constant(120), start_time=10.0), channel=2)
    recorder.on_message(on(60), at=10.5)
    recorder.on_message(off(60), at=10.75)
    recorder.on_message(on(64, 50), at=11.0)
    recorder.on_message(mido.Message("note_on", note=64, velocity=0), at=12.0)
    assert recorder.notes() == (Note(F(1), 60, F(1, 2), 90, 2), Note(F(2), 64, F(2), 50, 2))


def test_quantize_on_request_snaps_starts_and_lengths_to_the_grid():
    recorder = LiveRecorder(tempo_clock(TempoMap.constant(60), start_time=0.0))
    recorder.on_message(on(60), at=1.04)
    recorder.on_message(off(60), at=1.49)
    assert recorder.notes()[0].start == F(998, 960)  # kept on the 1/960-beat grid
    assert recorder.notes(grid=F(1, 4)) == (Note(F(1), 60, F(1, 2), 90),)
    with pytest.raises(OptionError):
        recorder.notes(grid=F(0))


def test_free_recording_starts_at_the_first_key_and_clear_restarts_it():
    recorder = LiveRecorder(tempo_map=TempoMap.constant(120))
    recorder.on_message(on(62), at=100.0)
    recorder.on_message(off(62), at=100.5)
    assert recorder.notes() == (Note(F(0), 62, F(1), 90),)
    recorder.clear()
    recorder.on_message(on(65), at=200.25)
    recorder.on_message(off(65), at=200.5)
    assert recorder.notes() == (Note(F(0), 65, F(1, 2), 90),)


def test_sustain_pedal_holds_notes_until_it_is_released():
    recorder = LiveRecorder(tempo_clock(TempoMap.constant(60), start_time=0.0))
    recorder.on_message(on(48), at=0.0)
    recorder.on_message(mido.Message("control_change", control=64, value=127), at=0.5)
    recorder.on_message(off(48), at=1.0)
    recorder.on_message(mido.Message("control_change", control=64, value=0), at=3.0)
    assert recorder.notes() == (Note(F(0), 48, F(3), 90),)


def test_a_key_struck_again_ends_its_previous_note_and_count_in_notes_land_on_beat_zero():
    recorder = LiveRecorder(tempo_clock(TempoMap.constant(60), start_time=2.0))
    recorder.on_message(on(60), at=1.9)  # during the count-in
    recorder.on_message(on(60), at=3.0)
    recorder.on_message(off(60), at=3.5)
    assert recorder.notes() == (Note(F(0), 60, F(1), 90), Note(F(1), 60, F(1, 2), 90))


def test_stop_ends_held_keys_and_ignores_later_messages():
    now = [5.0]
    recorder = LiveRecorder(tempo_clock(TempoMap.constant(60), start_time=0.0), clock=lambda: now[0])
    recorder.on_message(on(70))
    now[0] = 7.0
    assert recorder.notes() == (Note(F(5), 70, F(2), 90),)  # still held: ends "now"
    assert recorder.stop() == (Note(F(5), 70, F(2), 90),)
    recorder.on_message(on(72), at=8.0)
    assert len(recorder.notes()) == 1


def test_nothing_is_recorded_while_the_beat_clock_is_not_running():
    recorder = LiveRecorder(lambda t: None)
    recorder.on_message(on(60), at=1.0)
    recorder.on_message(off(60), at=2.0)
    assert recorder.notes() == ()


def test_step_input_enters_each_chord_at_the_cursor_and_advances_by_the_grid():
    chords: list[tuple[Note, ...]] = []
    steps = StepRecorder(F(4), F(1, 2), channel=1, on_chord=chords.append)
    for pitch in (60, 64, 67):
        steps.on_message(on(pitch))
    steps.on_message(off(64))
    steps.on_message(off(60))
    assert steps.cursor == 4  # one key of the chord is still down
    steps.on_message(off(67))
    steps.rest()
    steps.grid = F(1)
    steps.on_message(on(72, 40))
    steps.on_message(off(72))
    assert chords[0] == tuple(Note(F(4), p, F(1, 2), 90, 1) for p in (60, 64, 67))
    assert chords[1] == (Note(F(5), 72, F(1), 40, 1),)
    assert steps.cursor == 6
    assert len(steps.notes) == 4
    with pytest.raises(OptionError):
        StepRecorder(F(0), F(0))


# ---------------------------------------------------------------------- real ports
@pytest.fixture
def keyboard(jack_api: str):
    """A virtual MIDI output standing in for a keyboard, as the recorder's input port sees it."""
    port = open_output(virtual=True)
    yield port
    port.close()


def _play(port, events: list[tuple[float, mido.Message]], start: float) -> None:
    for offset, message in events:
        while time.perf_counter() < start + offset:
            time.sleep(0.0005)
        port.send(message)


@pytest.mark.realsynth
def test_live_recording_through_a_real_port(keyboard, jack_server):
    def run() -> None:
        start = time.perf_counter() + 0.2
        recorder = LiveRecorder(tempo_clock(TempoMap.constant(120), start_time=start))
        inport = open_input(keyboard.name, recorder.on_message)
        try:
            _play(keyboard, [(0.0, on(60)), (0.25, off(60)), (0.5, on(64)), (0.5, on(67)), (1.0, off(64)),
                             (1.0, off(67)), (1.25, on(72)), (1.5, off(72))], start)
            time.sleep(0.1)
            raw = recorder.stop()
            quantized = recorder.notes(grid=F(1, 4))
        finally:
            inport.close()
        assert [n.pitch for n in raw] == [60, 64, 67, 72]
        assert [float(n.start) for n in raw] == pytest.approx([0.0, 1.0, 1.0, 2.5], abs=0.04)  # 20 ms
        assert quantized == (Note(F(0), 60, F(1, 2), 90), Note(F(1), 64, F(1), 90), Note(F(1), 67, F(1), 90),
                             Note(F(5, 2), 72, F(1, 2), 90))

    retry_if_overloaded(jack_server, run)


@pytest.mark.realsynth
def test_recording_along_with_the_metronome_uses_the_players_beats(keyboard, jack_server):
    def run() -> None:
        clicks = RecordingPort()
        player = Player(clicks, metronome=True)
        recorder = LiveRecorder(player.beat_at_time)
        inport = open_input(keyboard.name, recorder.on_message)
        try:
            player.play(Score(tempo_map=TempoMap.constant(120), length_bars=2))
            deadline = time.monotonic() + 5
            while len(clicks.notes_on()) < 3 and time.monotonic() < deadline:  # the click of beat 2
                time.sleep(0.001)
            keyboard.send(on(60))
            time.sleep(0.5)
            keyboard.send(off(60))
            time.sleep(0.05)
            notes = recorder.stop()
        finally:
            player.stop()
            inport.close()
        assert len(notes) == 1
        assert float(notes[0].start) == pytest.approx(2.0, abs=0.04)
        assert float(notes[0].duration) == pytest.approx(1.0, abs=0.04)

    retry_if_overloaded(jack_server, run)


@pytest.mark.realsynth
def test_step_input_through_a_real_port(keyboard, jack_server):
    def run() -> None:
        steps = StepRecorder(F(0), F(1, 4))
        inport = open_input(keyboard.name, steps.on_message)
        try:
            for message in (on(60), on(63), off(60), off(63), on(65), off(65)):
                keyboard.send(message)
                time.sleep(0.01)
            deadline = time.monotonic() + 2
            while steps.cursor < F(1, 2) and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            inport.close()
        assert steps.notes == (Note(F(0), 60, F(1, 4), 90), Note(F(0), 63, F(1, 4), 90),
                               Note(F(1, 4), 65, F(1, 4), 90))

    retry_if_overloaded(jack_server, run)


_CLOSE_WHILE_STREAMING = """
import sys, threading, time
import mido
from musicassist.playback.ports import open_input, open_output

keyboard = open_output(virtual=True)
stop = threading.Event()

def stream():
    while not stop.is_set():
        keyboard.send(mido.Message("note_on", note=60, velocity=90))
        keyboard.send(mido.Message("note_off", note=60))
        time.sleep(0.0005)

threading.Thread(target=stream, daemon=True).start()
received = []
def slow(message):  # a callback that takes a while, as the GUI's do
    received.append(message)
    time.sleep(0.0002)
for _ in range(int(sys.argv[1])):
    port = open_input(keyboard.name, slow)
    time.sleep(0.03)
    port.close()
stop.set()
time.sleep(0.02)
keyboard.close()
print(len(received))
"""


@pytest.mark.realsynth
def test_closing_an_input_while_notes_stream_in_never_hangs(jack_server, jack_api, tmp_path):
    """Closing used to deadlock when a message arrived during the close (rtmidi's callback on JACK's
    thread waited for the GIL that the close held); before the fix this hung on its first close.
    Run in a child process, so that a hang fails the test instead of stopping the suite."""
    env = {**jack_server.env(), "MUSICASSIST_MIDI_API": jack_api}
    done = run_child(tmp_path, _CLOSE_WHILE_STREAMING, ["10"], env, 60, "closing a MIDI input while notes arrived hung",
                     jack_server)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 100  # notes did arrive while ports were opened and closed
