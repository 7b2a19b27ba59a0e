"""Bar-by-bar planning gives what planning the whole pass at once gives, and starts a long piece at once."""

from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.core import Note, Score, TempoChange, TempoMap, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature
from musicassist.playback.schedule import schedule_messages
from musicassist.playback.timeline import EventKind, PassPlan
from musicassist.playback.transport import START_HORIZON

_notes = st.lists(st.tuples(st.integers(0, 95), st.integers(58, 62), st.integers(1, 24), st.integers(1, 127)),
                  max_size=40)


def _score(raw_tracks, meter_change: bool) -> Score:
    tracks = tuple(Track(f"t{i}", tuple(Note(F(s, 4), p, F(d, 4), v) for s, p, d, v in raw), channel=i % 2)
                   for i, raw in enumerate(raw_tracks))
    meter = MeterMap.from_changes([MeterChange(0, TimeSignature(4, 4))]
                                  + ([MeterChange(2, TimeSignature(3, 8))] if meter_change else []))
    tempo = TempoMap.from_changes([TempoChange(F(0), 100.0), TempoChange(F(7, 2), 150.0)])
    return Score(tracks=tracks, meter_map=meter, tempo_map=tempo, length_bars=8)


def _canonical(items):
    return sorted(items, key=lambda m: (m[0], m[1], m[2], m[3], m[4], m[5]))


def _key(message):
    kind = 0 if message.type == "note_off" else 1 if message.type == "program_change" else 2
    return kind, message.type, message.channel, getattr(message, "note", -1), getattr(message, "velocity", -1)


@settings(max_examples=60, deadline=None)
@given(st.lists(_notes, min_size=1, max_size=3), st.booleans(), st.integers(0, 20), st.integers(0, 12))
def test_incremental_plan_sends_what_the_whole_schedule_sends(raw_tracks, meter_change, start_q, extra_q):
    score = _score(raw_tracks, meter_change)
    start = F(start_q, 4)
    end = min(score.end, start + 4 + F(extra_q, 2))
    plan = PassPlan.build(score, start, end, horizon=0.0)
    while not plan.complete:
        plan.extend()
    sends = [e for e in plan.events if e.kind is EventKind.SEND]
    ordering = [(e.beat, e.rank) for e in sends]
    assert ordering == sorted(ordering)
    assert plan.events[-1].kind is EventKind.END and plan.events[-1].beat == end
    base = score.tempo_map.seconds_at(start)
    expected = [(m.beat, *_key(m.message)) for m in schedule_messages(score, start, end)]
    got = [(e.beat, *_key(e.message)) for e in sends]
    assert _canonical(got) == _canonical(expected)
    for e in sends:
        assert abs(e.offset - (score.tempo_map.seconds_at(e.beat) - base)) < 1e-9


def test_a_long_piece_is_planned_only_a_little_ahead_when_a_pass_starts():
    bars = 600
    notes = tuple(Note(F(i, 2), 40 + i % 40, F(1, 2)) for i in range(8 * bars))
    score = Score(tracks=(Track("long", notes),), length_bars=bars)
    plan = PassPlan.build(score, F(0), score.end, horizon=START_HORIZON)
    assert not plan.complete and plan.planned_until <= 8
    assert plan.events and plan.events[0].beat == 0
    while not plan.complete:
        plan.extend()
    assert sum(1 for e in plan.events if e.message is not None and e.message.type == "note_on") == len(notes)
