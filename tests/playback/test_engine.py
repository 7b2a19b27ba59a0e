"""The player against an in-memory port, at fast tempi so each test takes a fraction of a second.

Timing tolerances here are wide (tens of ms): they check that the schedule is
followed (order, tempo ratios, barlines), not how precise the clock is; the
real-port tests and the benchmark measure precision.
"""

import threading
import time
from fractions import Fraction as F

import pytest

from musicassist.core import MusicAssistError, Note, OptionError, PortError, Score, TempoChange, TempoMap, Track
from musicassist.core.events import SUSTAIN_PEDAL
from musicassist.playback.engine import ALL_NOTES_OFF, ALL_SOUND_OFF, Player

from .fakes import RecordingPort, hanging_notes, late_or_early

BEAT = 0.05  # seconds per beat at 1200 BPM
WAIT = 5.0  # upper bound for anything to happen; a hang fails instead of blocking


class HookedPlayer(Player):
    def __init__(self, port, **kwargs):
        super().__init__(port, **kwargs)
        self.finished = threading.Event()
        self.failed = threading.Event()
        self.errors: list[MusicAssistError] = []
        self.positions: list[float] = []

    def on_position(self, beat):
        self.positions.append(beat)

    def on_finished(self):
        self.finished.set()

    def on_error(self, error):
        self.errors.append(error)
        self.failed.set()


def _score(pitches_by_beat: list[int], bars: int | None = None, bpm: float = 1200, channel: int = 0,
           program: int = 0, length: F = F(1, 2)) -> Score:
    notes = tuple(Note(F(i), p, length) for i, p in enumerate(pitches_by_beat))
    return Score(tracks=(Track("t", notes, program=program, channel=channel),),
                 tempo_map=TempoMap.constant(bpm), length_bars=bars or 0)


def _note_ons(port: RecordingPort) -> list[tuple[float, int]]:
    return [(t, m.note) for t, m in port.notes_on()]


def _wait_for(condition, timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def test_plays_every_note_in_order_then_finishes_with_nothing_hanging():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60, 62, 64, 65, 67, 69, 71, 72], program=5))
    assert player.is_playing
    assert player.finished.wait(WAIT)
    assert not player.is_playing
    assert [n for _, n in _note_ons(port)] == [60, 62, 64, 65, 67, 69, 71, 72]
    assert port.messages[0].type == "program_change" and port.messages[0].program == 5
    assert not hanging_notes(port.messages)
    controls = [(m.channel, m.control) for m in port.messages if m.type == "control_change"]
    assert controls == [(0, SUSTAIN_PEDAL), (0, ALL_NOTES_OFF), (0, ALL_SOUND_OFF)]
    assert port.messages[-1].type == "pitchwheel" and port.messages[-1].pitch == 0
    assert player.position_beat == pytest.approx(8.0)


def test_follows_the_tempo_map():
    tempo = TempoMap((TempoChange(F(0), 1200.0), TempoChange(F(6), 400.0)))
    score = Score(tracks=(Track("t", tuple(Note(F(i), 60 + i, F(1, 4)) for i in range(14))),), tempo_map=tempo)
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(score)
    assert player.finished.wait(WAIT)
    times = [t for t, _ in _note_ons(port)]
    expected = [score.tempo_map.seconds_at(F(i)) for i in range(14)]  # 50 ms beats, then 150 ms
    assert late_or_early(times, expected) <= 1  # one note may be delayed by a busy machine
    ignoring_the_change = [i * 0.05 for i in range(14)]
    assert late_or_early(times, ignoring_the_change) >= 6


def test_stop_in_the_middle_of_a_long_chord_releases_every_note():
    chord = tuple(Note(F(0), p, F(400)) for p in (48, 55, 60, 64, 67))
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(Score(tracks=(Track("pad", chord, channel=2),), tempo_map=TempoMap.constant(1200)))
    _wait_for(lambda: len(port.notes_on()) == 5)
    player.stop()
    assert not player.is_playing
    assert not hanging_notes(port.messages)
    assert (2, ALL_NOTES_OFF) in [(m.channel, m.control) for m in port.messages if m.type == "control_change"]
    assert not player.finished.is_set()


def test_pause_releases_and_resume_continues_from_the_paused_beat():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score(list(range(60, 76)), bpm=600))  # 0.1 s per beat
    _wait_for(lambda: len(port.notes_on()) >= 3)
    player.pause()
    assert player.is_paused
    paused_at = player.position_beat
    time.sleep(0.05)
    assert not hanging_notes(port.messages)
    count = len(port.notes_on())
    time.sleep(0.2)
    assert len(port.notes_on()) == count  # nothing plays while paused
    player.resume()
    assert player.finished.wait(WAIT)
    pitches = [n for _, n in _note_ons(port)]
    assert pitches[count] == 60 + int(paused_at) + 1  # the next note after the paused position
    assert pitches == sorted(pitches) and len(set(pitches)) == len(pitches)


def test_seek_jumps_and_releases_what_was_sounding():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score(list(range(60, 76)), bpm=300, length=F(1)))  # notes overlap the seek
    _wait_for(lambda: len(port.notes_on()) >= 2)
    player.seek(F(12))
    assert player.finished.wait(WAIT)
    pitches = [n for _, n in _note_ons(port)]
    assert pitches[-4:] == [72, 73, 74, 75]
    assert 70 not in pitches
    assert not hanging_notes(port.messages)


def test_loop_repeats_the_region_seamlessly_until_stopped():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score(list(range(60, 76)), bars=4), loop=(F(4), F(8)))
    _wait_for(lambda: len(port.notes_on()) >= 14)
    player.stop()
    pitches = [n for _, n in _note_ons(port)]
    assert pitches[:12] == [64, 65, 66, 67] * 3
    times = [t for t, _ in _note_ons(port)][:12]
    assert late_or_early(times, [i * BEAT for i in range(12)]) <= 1  # no gap or overlap at the seams
    assert not hanging_notes(port.messages)
    assert not player.finished.is_set()


def test_switch_mid_loop_lands_exactly_on_the_next_barline():
    port = RecordingPort()
    player = HookedPlayer(port)
    bars = 2
    old, new = _score([60] * 8, bars=bars, bpm=600), _score([72] * 8, bars=bars, bpm=600)
    player.play(old, loop=(F(0), F(8)))
    _wait_for(lambda: len(port.notes_on()) >= 2)  # somewhere in beat 1 of bar 1
    player.switch_score(new)
    _wait_for(lambda: len(port.notes_on()) >= 12)
    player.stop()
    ons = _note_ons(port)
    pitches = [n for _, n in ons]
    assert pitches[:12] == [60] * 4 + [72] * 8  # the new notes start on beat 4, the barline
    assert late_or_early([t for t, _ in ons[:12]], [i * 0.1 for i in range(12)]) <= 1
    assert player.score is new
    assert not hanging_notes(port.messages)


def test_switch_when_the_next_barline_is_the_loop_end_starts_the_next_pass_with_the_new_score():
    port = RecordingPort()
    player = HookedPlayer(port)
    old, new = _score([60, 61, 62, 63], bars=1, bpm=600), _score([72, 73, 74, 75], bars=1, bpm=600)
    player.play(old, loop=(F(0), F(4)))
    _wait_for(lambda: len(port.notes_on()) >= 2)
    player.switch_score(new)
    _wait_for(lambda: len(port.notes_on()) >= 8)
    player.stop()
    assert [n for _, n in _note_ons(port)][:8] == [60, 61, 62, 63, 72, 73, 74, 75]


def test_metronome_and_count_in_click_on_channel_ten_before_the_first_note():
    port = RecordingPort()
    player = HookedPlayer(port, metronome=True, count_in_bars=1)
    player.play(_score([60, 62, 64, 65], bars=1, bpm=600))
    assert player.finished.wait(WAIT)
    ons = port.notes_on()
    clicks = [(t, m) for t, m in ons if m.channel == 9]
    melody = [(t, m) for t, m in ons if m.channel == 0]
    assert len(clicks) == 8  # 4 count-in + 4 metronome
    assert all(t < melody[0][0] - 0.05 for t, _ in clicks[:4])
    click_times = [t for t, _ in clicks]
    assert late_or_early(click_times, [i * 0.1 for i in range(8)]) <= 1  # the count-in leads straight in
    assert late_or_early(click_times[4:] + [t for t, _ in melody], [0.0, 0.1, 0.2, 0.3] * 2) <= 1
    assert not hanging_notes(port.messages)


def test_port_that_vanishes_stops_playback_with_a_port_error_and_no_hang():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60] * 400, bpm=600))
    _wait_for(lambda: len(port.notes_on()) >= 1)
    port.alive = False
    assert player.failed.wait(WAIT)
    assert isinstance(player.errors[0], PortError)
    assert "disappeared" in str(player.errors[0])
    _wait_for(lambda: not player.is_playing)
    player.stop()  # harmless afterwards


def test_port_that_raises_on_send_stops_playback_with_a_port_error():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60] * 400, bpm=600))
    _wait_for(lambda: len(port.notes_on()) >= 1)
    port.fail_sends = True
    assert player.failed.wait(WAIT)
    assert isinstance(player.errors[0], PortError)
    _wait_for(lambda: not player.is_playing)


def test_panic_when_idle_silences_all_sixteen_channels():
    port = RecordingPort()
    Player(port).panic()
    controls = {(m.channel, m.control, m.value) for m in port.messages if m.type == "control_change"}
    assert controls == {(c, cc, 0) for c in range(16) for cc in (SUSTAIN_PEDAL, ALL_NOTES_OFF, ALL_SOUND_OFF)}
    bends = {(m.channel, m.pitch) for m in port.messages if m.type == "pitchwheel"}
    assert bends == {(c, 0) for c in range(16)}


def test_panic_while_playing_stops_and_silences_all_channels():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60] * 400, bpm=600))
    _wait_for(lambda: len(port.notes_on()) >= 1)
    player.panic()
    assert not player.is_playing
    assert not hanging_notes(port.messages)
    assert len({m.channel for m in port.messages if m.type == "control_change"}) == 16


def test_position_is_reported_and_advances():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60] * 8, bpm=300))  # 1.6 s
    time.sleep(0.5)
    middle = player.position_beat
    assert player.finished.wait(WAIT)
    assert 0.5 < middle < 7.5
    assert len(player.positions) > 10
    assert player.positions == sorted(player.positions)


def test_metronome_can_be_switched_on_while_playing():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60] * 12, bpm=600))
    _wait_for(lambda: len(port.notes_on()) >= 3)
    player.metronome = True
    assert player.finished.wait(WAIT)
    clicks = [m for m in port.messages if m.type == "note_on" and m.channel == 9]
    assert 7 <= len(clicks) <= 10
    assert not hanging_notes(port.messages)


def test_impossible_loop_is_refused_with_a_plain_message():
    with pytest.raises(OptionError):
        Player(RecordingPort()).play(_score([60]), loop=(F(4), F(4)))


def test_a_new_play_replaces_the_current_one_cleanly():
    port = RecordingPort()
    player = HookedPlayer(port)
    player.play(_score([60] * 400, bpm=600, length=F(2)))
    _wait_for(lambda: len(port.notes_on()) >= 2)
    player.play(_score([72, 74], bpm=600))
    assert player.finished.wait(WAIT)
    assert [n for _, n in _note_ons(port)][-2:] == [72, 74]
    assert not hanging_notes(port.messages)
