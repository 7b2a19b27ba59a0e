"""Controllers, pitch bend and pressure in playback: sent at their times, chased where a pass starts,
released by stop and panic. Through the in-memory port, at fast tempi."""

import itertools
import threading
import time
from fractions import Fraction as F

import mido

from musicassist.core import Note, Score, TempoMap, Track
from musicassist.core.events import EXPRESSION, SUSTAIN_PEDAL, ChannelEvent, RawEvent
from musicassist.playback.engine import Player
from musicassist.playback.schedule import chase_messages, schedule_messages
from musicassist.playback.timeline import EventKind, PassPlan

from .fakes import RecordingPort, hanging_notes

BPM = 1200  # 50 ms a beat
BEAT = 60 / BPM
WAIT = 5.0


class FinishingPlayer(Player):
    def __init__(self, port):
        super().__init__(port)
        self.finished = threading.Event()

    def on_finished(self):
        self.finished.set()


def _wait_for(condition) -> None:
    end = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def cc(time: F, number: int, value: int, channel: int = 0) -> ChannelEvent:
    return ChannelEvent(F(time), "control_change", channel, number, value)


def bend(time: F, value: int) -> ChannelEvent:
    return ChannelEvent(F(time), "pitchwheel", 0, 0, value)


def _score(events, *, channel: int = 3, notes=None, bars: int = 4, mute: bool = False, bpm: float = BPM) -> Score:
    notes = tuple(Note(F(i), 60 + i, F(1, 2)) for i in range(16)) if notes is None else notes
    # The events say channel 0: playback puts them on the track's channel, as it does with notes.
    track = Track("piano", notes, channel=channel, events=tuple(events), mute=mute)
    return Score(tracks=(track,), tempo_map=TempoMap.constant(bpm), length_bars=bars)


def _controls(messages):
    out = []
    for m in messages:
        if m.type == "control_change":
            out.append(("cc", m.channel, m.control, m.value))
        elif m.type == "pitchwheel":
            out.append(("bend", m.channel, m.pitch))
        elif m.type == "aftertouch":
            out.append(("pressure", m.channel, m.value))
        elif m.type == "program_change":
            out.append(("program", m.channel, m.program))
    return out


def test_events_are_scheduled_at_their_beats_on_the_tracks_channel():
    events = [cc(1, SUSTAIN_PEDAL, 127), bend(F(3, 2), 4000), ChannelEvent(F(2), "aftertouch", 0, 0, 77),
              cc(3, SUSTAIN_PEDAL, 0), ChannelEvent(F(5, 2), "polytouch", 0, 62, 40),
              RawEvent(F(2), 0x06, b"marker")]  # meta is not played
    timed = [m for m in schedule_messages(_score(events)) if m.message.type not in ("note_on", "note_off")]
    sent = [(m.beat, m.message.type, m.message.channel) for m in timed]
    # At the start: the program, then the chased state (pedal up, bend centred, no pressure).
    assert sent[:4] == [(0, "program_change", 3), (0, "control_change", 3), (0, "aftertouch", 3),
                        (0, "pitchwheel", 3)]
    assert sent[4:] == [(1, "control_change", 3), (F(3, 2), "pitchwheel", 3), (2, "aftertouch", 3),
                        (F(5, 2), "polytouch", 3), (3, "control_change", 3)]
    assert [m.seconds for m in timed[4:]] == [1 * BEAT, 1.5 * BEAT, 2 * BEAT, 2.5 * BEAT, 3 * BEAT]


def test_chase_sends_the_last_value_of_each_controller_before_the_start():
    events = [ChannelEvent(F(0), "program_change", 0, 40, 0), cc(0, EXPRESSION, 30), cc(1, EXPRESSION, 90),
              cc(2, SUSTAIN_PEDAL, 127), cc(F(5, 2), 91, 20), bend(F(1, 2), -3000), bend(6, 1000),
              cc(6, SUSTAIN_PEDAL, 0), cc(7, 74, 5)]
    chased = _controls(chase_messages(_score(events), F(4)))
    assert chased == [("program", 3, 40), ("cc", 3, EXPRESSION, 90), ("cc", 3, SUSTAIN_PEDAL, 127),
                      ("cc", 3, 91, 20), ("bend", 3, -3000)]  # CC74 has no value yet and no reset value
    # Before anything was set: the reset values of the controllers the track uses.
    assert _controls(chase_messages(_score(events), F(0))) == [
        ("cc", 3, EXPRESSION, 127), ("cc", 3, SUSTAIN_PEDAL, 0), ("bend", 3, 0)]


def test_muted_tracks_send_no_controllers_and_are_not_chased():
    score = _score([cc(0, SUSTAIN_PEDAL, 127), cc(2, SUSTAIN_PEDAL, 0)], mute=True)
    other = Track("other", (Note(F(0), 40, F(1)),), channel=5)
    score = score.with_tracks((*score.tracks, other))
    assert _controls(chase_messages(score, F(1))) == []
    assert not [m for m in schedule_messages(score) if m.message.type == "control_change"]


def test_bar_by_bar_planning_gives_the_events_and_the_chase():
    events = [cc(F(i, 3), EXPRESSION, (i * 7) % 128) for i in range(40)] + [bend(F(9, 2), 100)]
    score = _score(events)
    for start in (F(0), F(5, 2), F(7)):
        plan = PassPlan.build(score, start, score.end, horizon=0.0)
        while not plan.complete:
            plan.extend()
        got = [(e.beat, *_controls([e.message])) for e in plan.events
               if e.kind is EventKind.SEND and _controls([e.message])]
        expected = [(m.beat, *_controls([m.message])) for m in schedule_messages(score, start)
                    if _controls([m.message])]
        assert got == expected  # same controllers, same order (each track's events keep theirs)
        assert got[0][0] == start and len(got) > 2


def test_player_sends_controllers_at_their_times():
    port = RecordingPort()
    player = FinishingPlayer(port)
    player.play(_score([cc(1, SUSTAIN_PEDAL, 127), bend(2, -8192), cc(3, SUSTAIN_PEDAL, 0)], bpm=600))
    assert player.finished.wait(WAIT)
    received = port.received
    note_at = {m.note - 60: t for t, m in received if m.type == "note_on" and m.velocity}  # note 60 + i on beat i
    pedal = [(t, m.value) for t, m in received if m.type == "control_change" and m.control == SUSTAIN_PEDAL]
    # chased "up" at the start, down at beat 1, up at beat 3, up again when the pass ends
    assert [v for _, v in pedal] == [0, 127, 0, 0]
    # An event goes out with the note of its beat (one deadline, one batch), however busy the machine;
    # the notes' own timing is the engine tests' business.
    assert abs(pedal[1][0] - note_at[1]) < 0.005 and abs(pedal[2][0] - note_at[3]) < 0.005
    bends = [(t, m.pitch) for t, m in received if m.type == "pitchwheel"]
    assert [p for _, p in bends] == [0, -8192, 0]  # chased centre, the bend, centred by the stop
    assert abs(bends[1][0] - note_at[2]) < 0.005
    assert note_at[1] - note_at[0] > 0.05  # and the beats are really apart (0.1 s at 600 BPM)


def test_seek_chases_the_state_at_the_new_position():
    port = RecordingPort()
    player = FinishingPlayer(port)
    events = [cc(0, EXPRESSION, 20), cc(4, SUSTAIN_PEDAL, 127), cc(5, EXPRESSION, 100), bend(6, 2000),
              cc(12, SUSTAIN_PEDAL, 0)]
    player.play(_score(events, bars=8, notes=tuple(Note(F(i), 60, F(1, 2)) for i in range(32))))
    _wait_for(lambda: len(port.notes_on()) >= 1)
    mark = len(port.messages)
    player.seek(F(10))
    _wait_for(lambda: any(m.type == "note_on" and m.velocity for m in port.messages[mark + 1:]))
    player.stop()
    after = port.messages[mark:]
    first_note = next(i for i, m in enumerate(after) if m.type == "note_on" and m.velocity)
    chased = _controls(after[:first_note])
    # the pedal held since beat 4, expression 100 since beat 5, the bend since beat 6: sent before beat 10 sounds
    assert ("cc", 3, SUSTAIN_PEDAL, 127) in chased
    assert ("cc", 3, EXPRESSION, 100) in chased
    assert ("bend", 3, 2000) in chased
    assert ("cc", 3, EXPRESSION, 20) not in chased
    assert not hanging_notes(port.messages)


def test_each_loop_pass_starts_with_the_state_at_the_loop_start():
    port = RecordingPort()
    player = Player(port)
    events = [cc(2, SUSTAIN_PEDAL, 127), cc(5, SUSTAIN_PEDAL, 0), cc(6, EXPRESSION, 50), cc(7, EXPRESSION, 110)]
    player.play(_score(events, bars=4), loop=(F(4), F(8)))
    _wait_for(lambda: len(port.notes_on()) >= 9)  # into the third pass
    player.stop()
    messages = port.messages
    starts = [i for i, m in enumerate(messages) if m.type == "note_on" and m.velocity and m.note == 64]
    assert len(starts) >= 2
    for first, second in itertools.pairwise(starts):
        # the pass's opening state: pedal down (held since beat 2), expression reset (first set at 6)
        before = _controls(messages[first - 3:first])
        assert ("cc", 3, SUSTAIN_PEDAL, 127) in before and ("cc", 3, EXPRESSION, 127) in before
        inside = _controls(messages[first:second])
        assert next(c for c in inside if c[2:3] == (SUSTAIN_PEDAL,)) == ("cc", 3, SUSTAIN_PEDAL, 0)  # beat 5
        assert ("cc", 3, EXPRESSION, 50) in inside and ("cc", 3, EXPRESSION, 110) in inside


def test_stop_lifts_the_pedal_and_centres_the_bend_on_every_used_channel():
    port = RecordingPort()
    player = Player(port)
    player.play(_score([cc(0, SUSTAIN_PEDAL, 127), bend(0, 5000)], bars=40,
                       notes=tuple(Note(F(i), 60, F(1, 2)) for i in range(160))))
    _wait_for(lambda: len(port.notes_on()) >= 2)
    player.stop()
    tail = _controls(port.messages[-6:])
    assert ("cc", 3, SUSTAIN_PEDAL, 0) in tail and ("bend", 3, 0) in tail
    assert not hanging_notes(port.messages)


def test_pause_lifts_a_held_pedal_so_released_notes_do_not_ring():
    port = RecordingPort()
    player = Player(port)
    player.play(_score([cc(0, SUSTAIN_PEDAL, 127)], bars=40, notes=tuple(Note(F(i), 60, F(4)) for i in range(160))))
    _wait_for(lambda: len(port.notes_on()) >= 2)
    player.pause()
    _wait_for(lambda: _controls(port.messages[-1:]) == [("cc", 3, SUSTAIN_PEDAL, 0)])
    player.stop()


def test_panic_sends_sustain_off_and_bend_centre_on_all_channels():
    port = RecordingPort()
    player = Player(port)
    player.play(_score([cc(0, SUSTAIN_PEDAL, 127), bend(0, -100)], bars=40,
                       notes=tuple(Note(F(i), 60, F(1, 2)) for i in range(160))))
    _wait_for(lambda: len(port.notes_on()) >= 2)
    player.panic()
    controls = set(_controls(port.messages))
    assert {("cc", c, SUSTAIN_PEDAL, 0) for c in range(16)} <= controls
    assert {("bend", c, 0) for c in range(16)} <= controls
    assert isinstance(port.messages[-1], mido.Message)


def test_the_event_index_gives_the_state_a_walk_through_the_events_gives():
    import random

    from musicassist.playback.event_index import CHECKPOINT, EventIndex

    rng = random.Random(4)
    kinds = ("control_change", "pitchwheel", "aftertouch", "program_change", "polytouch")
    events = []
    for i in range(3 * CHECKPOINT + 17):
        kind = rng.choice(kinds)
        value = rng.randrange(-8192, 8192) if kind == "pitchwheel" else 0 if kind == "program_change" \
            else rng.randrange(128)
        events.append(ChannelEvent(F(i // 3, 4), kind, 0, rng.randrange(128) if kind != "pitchwheel" else 0, value))
    index = EventIndex((*events, RawEvent(F(1), 0x01, b"text")))
    for at in [F(0), F(1, 4), *(F(rng.randrange(len(events) // 3 + 2), 4) for _ in range(60))]:
        program, controls, bend, pressure = None, {}, None, None
        for e in events:
            if e.time >= at:
                break
            if e.kind == "control_change":
                controls[e.number] = e.value
            elif e.kind == "pitchwheel":
                bend = e.value
            elif e.kind == "aftertouch":
                pressure = e.value
            elif e.kind == "program_change":
                program = e.number
        state = index.state_before(at)
        assert (state.program, state.controls, state.bend, state.pressure) == (program, controls, bend, pressure)


def test_switching_the_auditioned_score_chases_its_controllers_at_the_switch_barline():
    port = RecordingPort()
    player = Player(port)
    notes = tuple(Note(F(i), 60, F(1, 2)) for i in range(8))
    old = _score([], notes=notes, bars=2, bpm=600)
    new = _score([cc(0, SUSTAIN_PEDAL, 127), cc(F(13, 2), EXPRESSION, 40)], notes=notes, bars=2, bpm=600)
    player.play(old, loop=(F(0), F(8)))
    _wait_for(lambda: len(port.notes_on()) >= 1)  # in bar 1: the switch lands on beat 4
    mark = len(port.messages)
    player.switch_score(new)
    _wait_for(lambda: any(c[1:] == (3, EXPRESSION, 40) for c in _controls(port.messages[mark:])))
    player.stop()
    after = port.messages[mark:]
    ons = [i for i, m in enumerate(after) if m.type == "note_on" and m.velocity]
    pedal_down = after.index(next(m for m in after if m.type == "control_change" and m.control == SUSTAIN_PEDAL
                                  and m.value == 127))
    # the new score's pedal goes down at beat 0, before the switch: only the chase can send it, and it
    # does so at the switch barline, after at most the old notes of beats 1-3
    assert len([i for i in ons if i < pedal_down]) <= 3
    assert any(i > pedal_down for i in ons)
    assert not hanging_notes(port.messages)


def test_an_index_being_built_is_waited_for_not_built_twice(monkeypatch):
    from musicassist.playback import event_index

    built = []
    started = threading.Event()
    real_init = event_index.EventIndex.__init__

    def slow_init(self, events):
        built.append(1)
        started.set()
        time.sleep(0.2)  # the warm-up thread is still at it when Space asks
        real_init(self, events)

    monkeypatch.setattr(event_index.EventIndex, "__init__", slow_init)
    events = tuple(cc(F(i, 4), EXPRESSION, i % 128) for i in range(300))
    results = []
    warm = threading.Thread(target=lambda: results.append(event_index.index_for(events)))
    warm.start()
    assert started.wait(WAIT)
    results.append(event_index.index_for(events))
    warm.join(WAIT)
    assert len(built) == 1 and results[0] is results[1]
