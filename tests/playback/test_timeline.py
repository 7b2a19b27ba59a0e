from fractions import Fraction as F

import mido
import pytest

from musicassist.core import Note, Score, TempoChange, TempoMap, Track
from musicassist.playback.timeline import EventKind, PassPlan, PlannedEvent


def _m(event: PlannedEvent) -> mido.Message:
    assert event.message is not None
    return event.message


def _beats_score(pitch: int, bars: int = 2, bpm: float = 120) -> Score:
    notes = tuple(Note(F(b), pitch, F(1, 2)) for b in range(4 * bars))
    return Score(tracks=(Track("t", notes),), tempo_map=TempoMap.constant(bpm), length_bars=bars)


def _sends(plan: PassPlan) -> list[tuple[F, str, int]]:
    return [(e.beat, _m(e).type, _m(e).note) for e in plan.pending
            if e.kind is EventKind.SEND and _m(e).type.startswith("note")]


def test_a_pass_ends_with_its_end_event_at_the_region_length():
    plan = PassPlan.build(_beats_score(60), F(2), F(8))
    assert plan.events[-1].kind is EventKind.END
    assert plan.events[-1].offset == pytest.approx(3.0)
    first_note = next(e for e in plan.events if e.kind is EventKind.SEND and _m(e).type == "note_on")
    assert (first_note.beat, first_note.offset) == (2, 0.0)


def test_switch_keeps_what_comes_before_the_barline_and_plays_the_new_score_from_it():
    plan = PassPlan.build(_beats_score(60), F(0), F(8))
    plan.index = 3  # beat 0 and its release already sent
    plan.switch(_beats_score(72), F(4))
    sends = _sends(plan)
    assert {p for b, _, p in sends if b < 4} == {60}
    assert {p for b, _, p in sends if b >= 4} == {72}
    flush = next(e for e in plan.pending if e.kind is EventKind.FLUSH)
    assert flush.beat == 4 and flush.offset == pytest.approx(2.0)
    assert plan.pending.index(flush) < next(i for i, e in enumerate(plan.pending) if e.beat == 4
                                              and e.kind is EventKind.SEND)
    assert [e.kind for e in plan.pending].count(EventKind.END) == 1


def test_after_a_switch_the_new_tempo_applies_from_the_barline():
    plan = PassPlan.build(_beats_score(60, bpm=120), F(0), F(8))
    plan.switch(_beats_score(72, bpm=60), F(4))
    ons = [e for e in plan.pending if e.kind is EventKind.SEND and _m(e).type == "note_on"]
    assert [e.offset for e in ons if e.beat >= 4] == pytest.approx([2.0, 3.0, 4.0, 5.0])
    assert plan.end_offset == pytest.approx(6.0)
    assert plan.beat_at(1.0) == pytest.approx(2.0)
    assert plan.beat_at(3.0) == pytest.approx(5.0)
    assert plan.offset_of(F(6)) == pytest.approx(4.0)


def test_next_barline_is_strictly_after_the_position_and_the_start_during_count_in():
    plan = PassPlan.build(_beats_score(60, bars=3), F(0), F(12), count_in_bars=1)
    assert plan.events[0].offset == pytest.approx(-2.0)
    assert plan.next_barline(-1.0) == 0
    assert plan.next_barline(0.75) == 4  # beat 1.5
    assert plan.next_barline(2.0) == 8  # exactly on bar 2's barline: the next one
    with pytest.raises(ValueError):
        plan.switch(_beats_score(72), F(12))


def test_a_second_switch_before_the_barline_replaces_the_first():
    plan = PassPlan.build(_beats_score(60), F(0), F(8))
    plan.switch(_beats_score(72), F(4))
    plan.switch(_beats_score(48), F(4))
    assert {p for b, _, p in _sends(plan) if b >= 4} == {48}
    assert [e.kind for e in plan.pending].count(EventKind.FLUSH) == 1


def test_metronome_can_be_added_and_removed_mid_pass_without_leaving_a_click_sounding():
    plan = PassPlan.build(_beats_score(60), F(0), F(8))
    plan.set_clicks(True, after_offset=1.25)  # beat 2.5
    clicks = [e for e in plan.pending if e.click and _m(e).type == "note_on"]
    assert [e.beat for e in clicks] == [3, 4, 5, 6, 7]
    assert [e.offset for e in clicks] == pytest.approx([1.5, 2.0, 2.5, 3.0, 3.5])
    plan.index = next(i for i, e in enumerate(plan.events) if e.click and e.beat == 3) + 1  # click at 3 sent
    plan.set_clicks(False, after_offset=1.55)
    remaining = [e for e in plan.pending if e.click]
    assert [(e.beat, _m(e).type) for e in remaining] == [(F(25, 8), "note_off")]


def test_tempo_change_inside_a_pass_is_followed():
    score = Score(tracks=(Track("t", (Note(F(0), 60, F(1)), Note(F(4), 62, F(1)))),),
                  tempo_map=TempoMap((TempoChange(F(0), 60.0), TempoChange(F(2), 120.0))), length_bars=2)
    plan = PassPlan.build(score, F(1), F(8))
    on = next(e for e in plan.events if e.kind is EventKind.SEND and _m(e).type == "note_on")
    assert (on.beat, on.offset) == (4, pytest.approx(2.0))
    assert plan.beat_at(1.0) == pytest.approx(2.0)
    assert plan.beat_at(1.5) == pytest.approx(3.0)
