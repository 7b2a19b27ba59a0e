from fractions import Fraction as F

import pytest

from musicassist.core import Note, OptionError, Score, TempoChange, TempoMap, Track
from musicassist.playback.schedule import TimedMessage, schedule_messages, track_channel_programs


def _score(*tracks: Track, tempo: TempoMap | None = None) -> Score:
    return Score(tracks=tracks, tempo_map=tempo or TempoMap.constant(120))


def _kinds(messages: list[TimedMessage]) -> list[tuple[F, str, int]]:
    return [(m.beat, m.message.type, getattr(m.message, "note", -1)) for m in messages]


def test_each_melodic_track_gets_its_program_before_any_note_and_drums_get_none():
    piano = Track("piano", (Note(F(0), 60, F(1)),), program=0, channel=0)
    strings = Track("strings", (Note(F(0), 55, F(2)),), program=48, channel=1)
    drums = Track("drums", (Note(F(0), 36, F(1, 2)),), program=0, channel=9)
    out = schedule_messages(_score(piano, strings, drums))
    programs = [m.message for m in out if m.message.type == "program_change"]
    assert [(p.channel, p.program) for p in programs] == [(0, 0), (1, 48)]
    first_note = next(i for i, m in enumerate(out) if m.message.type == "note_on")
    assert all(m.message.type == "program_change" for m in out[:first_note])
    assert track_channel_programs(_score(piano, strings, drums)) == {0: 0, 1: 48}


def test_notes_play_on_their_track_channel_with_their_velocity():
    track = Track("t", (Note(F(0), 60, F(1), velocity=99, channel=0),), channel=3)
    on = next(m.message for m in schedule_messages(_score(track)) if m.message.type == "note_on")
    assert (on.channel, on.note, on.velocity) == (3, 60, 99)


def test_seconds_follow_every_tempo_change():
    tempo = TempoMap((TempoChange(F(0), 120.0), TempoChange(F(4), 60.0)))
    track = Track("t", (Note(F(2), 60, F(1)), Note(F(6), 62, F(1))))
    out = [m for m in schedule_messages(_score(track, tempo=tempo)) if m.message.type == "note_on"]
    assert [m.seconds for m in out] == pytest.approx([1.0, 4.0])
    offs = [m for m in schedule_messages(_score(track, tempo=tempo)) if m.message.type == "note_off"]
    assert [m.seconds for m in offs] == pytest.approx([1.5, 5.0])


def test_region_keeps_notes_starting_inside_and_releases_them_at_its_end():
    track = Track("t", (Note(F(0), 60, F(1)), Note(F(1), 62, F(1)), Note(F(3), 64, F(4)), Note(F(4), 65, F(1))))
    out = schedule_messages(_score(track), start_beat=1, end_beat=4)
    assert _kinds(out)[1:] == [
        (F(1), "note_on", 62), (F(2), "note_off", 62), (F(3), "note_on", 64), (F(4), "note_off", 64),
    ]
    assert out[0].beat == 1 and out[0].message.type == "program_change"


def test_repeated_note_is_released_before_it_is_struck_again():
    track = Track("t", (Note(F(0), 60, F(1)), Note(F(1), 60, F(1))))
    assert _kinds(schedule_messages(_score(track)))[1:] == [
        (F(0), "note_on", 60), (F(1), "note_off", 60), (F(1), "note_on", 60), (F(2), "note_off", 60),
    ]


def test_overlapping_same_pitch_is_shortened_so_the_second_note_keeps_sounding():
    track = Track("t", (Note(F(0), 60, F(3)), Note(F(1), 60, F(1))))
    assert _kinds(schedule_messages(_score(track)))[1:] == [
        (F(0), "note_on", 60), (F(1), "note_off", 60), (F(1), "note_on", 60), (F(2), "note_off", 60),
    ]


def test_default_end_is_the_last_barline_and_negative_start_is_refused():
    track = Track("t", (Note(F(0), 60, F(1)),))
    out = schedule_messages(_score(track))
    assert out[-1].beat == 1
    with pytest.raises(OptionError):
        schedule_messages(_score(track), start_beat=-1)
