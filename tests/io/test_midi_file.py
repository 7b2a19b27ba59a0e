"""MIDI <-> Score: every import rule on hand-built files, export layout, and the exact round trip."""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from fractions import Fraction

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicassist.core import (
    KeySignature,
    MeterChange,
    MeterMap,
    Note,
    Score,
    TempoChange,
    TempoMap,
    TimeSignature,
    Track,
    resolve_overlaps,
)
from musicassist.core.events import ChannelEvent, RawEvent
from musicassist.core.score import ZERO_LENGTH
from musicassist.io.midi_file import midi_to_score, read_midi_bytes, score_to_midi, score_to_midi_bytes
from musicassist.io.midi_writer import channels_needing_programs

from . import midi_bytes as mb

F = Fraction


def notes_of(score: Score, track: int = 0) -> list[tuple[Fraction, int, Fraction]]:
    return [(n.start, n.pitch, n.duration) for n in score.tracks[track].notes]


# ------------------------------------------------------------------------------------------------ import


def test_format_0_is_split_by_channel_with_drums_kept_on_channel_10() -> None:
    track = (
        mb.meta(0, 0x03, b"Song title")
        + mb.program(0, 0, 40)
        + mb.program(0, 1, 33)
        + mb.note_on(0, 0, 76, 90)
        + mb.note_on(0, 1, 40, 80)
        + mb.note_on(0, 9, 36, 100)
        + mb.note_off(480, 0, 76)
        + mb.note_off(0, 1, 40)
        + mb.note_off(0, 9, 36)
        + mb.END_OF_TRACK
    )
    score = read_midi_bytes(mb.midi_file(track, file_type=0))
    assert score.title == "Song title"
    assert [(t.name, t.channel, t.program, t.is_drums) for t in score.tracks] == [
        ("Violin", 0, 40, False),
        ("Electric Bass (finger)", 1, 33, False),
        ("Drums", 9, 0, True),
    ]
    assert [t.notes[0].channel for t in score.tracks] == [0, 1, 9]


def test_running_status_and_note_on_with_velocity_zero() -> None:
    # One status byte, then pairs of data bytes; velocity 0 ends the note.
    track = b"\x00\x90\x3c\x50" + b"\x83\x60\x3c\x00" + b"\x00\x3e\x51" + b"\x83\x60\x3e\x00" + mb.END_OF_TRACK
    score = read_midi_bytes(mb.midi_file(track))
    assert notes_of(score) == [(F(0), 60, F(1)), (F(1), 62, F(1))]
    assert [n.velocity for n in score.notes] == [0x50, 0x51]


def test_overlapping_same_pitch_notes_pair_first_in_first_out_and_stay_as_they_were() -> None:
    track = (mb.note_on(0, 0, 60, 90) + mb.note_on(240, 0, 60, 70) + mb.note_off(240, 0, 60)
             + mb.note_off(480, 0, 60) + mb.END_OF_TRACK)
    # FIFO, as sequencers pair them: 0-1 and 1/2-2, overlapping as the file has them.
    score = read_midi_bytes(mb.midi_file(track))
    assert notes_of(score) == [(F(0), 60, F(1)), (F(1, 2), 60, F(3, 2))]
    assert notes_of(read_midi_bytes(score_to_midi_bytes(score))) == notes_of(score)


def test_doubled_note_on_the_same_tick_keeps_both_notes() -> None:
    track = (mb.note_on(0, 0, 60, 90) + mb.note_on(0, 0, 60, 50) + mb.note_off(480, 0, 60)
             + mb.note_off(480, 0, 60) + mb.END_OF_TRACK)
    score = read_midi_bytes(mb.midi_file(track))
    assert notes_of(score) == [(F(0), 60, F(1)), (F(0), 60, F(2))]
    assert [n.velocity for n in score.notes] == [90, 50]  # the first note-off ends the first note-on
    assert read_midi_bytes(score_to_midi_bytes(score)).notes == score.notes


def test_note_off_on_the_note_on_tick_gives_a_zero_length_note_written_back_on_one_tick() -> None:
    track = (mb.note_on(0, 9, 38, 100) + mb.note_off(0, 9, 38) + mb.note_on(0, 9, 38, 80) + mb.note_off(120, 9, 38)
             + mb.END_OF_TRACK)
    score = read_midi_bytes(mb.midi_file(track))
    assert notes_of(score) == [(F(0), 38, ZERO_LENGTH), (F(0), 38, F(1, 4))]
    data = score_to_midi_bytes(score)
    assert read_midi_bytes(data).notes == score.notes
    messages = [(m.type, m.time) for m in mido.MidiFile(file=io.BytesIO(data)).tracks[1] if m.type.startswith("note")]
    assert messages == [("note_on", 0), ("note_off", 0), ("note_on", 0), ("note_off", 120)]


def test_a_note_never_released_lasts_until_the_file_ends() -> None:
    melody = mb.note_on(0, 0, 60, 90) + mb.END_OF_TRACK
    other = mb.note_on(0, 1, 48, 90) + mb.note_off(1920, 1, 48) + mb.END_OF_TRACK
    score = read_midi_bytes(mb.midi_file(melody, other))
    assert notes_of(score, 0) == [(F(0), 60, F(4))]


def test_a_note_never_released_at_the_very_end_lasts_a_beat() -> None:
    track = mb.note_on(0, 0, 60, 90) + mb.END_OF_TRACK
    assert notes_of(read_midi_bytes(mb.midi_file(track))) == [(F(0), 60, F(1))]


def test_tempo_and_meter_changes_land_on_beats_and_bars() -> None:
    conductor = (mb.time_signature(0, 3, 4) + mb.tempo(0, 600_000) + mb.time_signature(2880, 6, 8)
                 + mb.tempo(480, 750_000) + mb.END_OF_TRACK)
    score = read_midi_bytes(mb.midi_file(conductor, mb.note_on(0, 0, 60, 9) + mb.note_off(480, 0, 60)))
    assert score.meter_map.changes == (MeterChange(0, TimeSignature(3, 4)), MeterChange(2, TimeSignature(6, 8)))
    assert score.tempo_map.changes == (TempoChange(F(0), 100.0, 600_000), TempoChange(F(7), 80.0, 750_000))


def test_a_meter_change_inside_a_bar_moves_to_the_next_barline() -> None:
    conductor = mb.time_signature(0, 4, 4) + mb.time_signature(5 * 480, 3, 4) + mb.END_OF_TRACK
    score = read_midi_bytes(mb.midi_file(conductor))
    assert score.meter_map.changes == (MeterChange(0, TimeSignature(4, 4)), MeterChange(2, TimeSignature(3, 4)))


def test_a_time_signature_the_core_cannot_hold_is_ignored() -> None:
    conductor = mb.meta(0, 0x58, bytes([0, 2, 24, 8])) + mb.time_signature(0, 5, 8) + mb.END_OF_TRACK
    assert read_midi_bytes(mb.midi_file(conductor)).time_signature == TimeSignature(5, 8)


def test_smpte_timing_is_read_at_120_bpm() -> None:
    division = -(25 << 8) | 40  # 25 frames of 40 ticks: 1000 ticks a second, so 500 a beat at 120 BPM
    track = mb.tempo(0, 1_000_000) + mb.note_on(1000, 0, 60, 90) + mb.note_off(500, 0, 60) + mb.END_OF_TRACK
    score = read_midi_bytes(mb.midi_file(track, division=division))
    assert notes_of(score) == [(F(2), 60, F(1))]
    assert score.tempo_map == TempoMap.constant(120.0)


def test_drop_frame_smpte_keeps_exact_fractions() -> None:
    division = -(29 << 8) | 100  # 29.97 frames a second
    track = mb.note_on(2997, 0, 60, 90) + mb.note_off(2997, 0, 60) + mb.END_OF_TRACK
    assert notes_of(read_midi_bytes(mb.midi_file(track, division=division))) == [(F(2), 60, F(2))]


@pytest.mark.parametrize("division", [1, 7, 96, 1000, 32767])
def test_unusual_ticks_per_beat_give_exact_beats(division: int) -> None:
    track = mb.note_on(division, 0, 60, 90) + mb.note_off(division * 2, 0, 60) + mb.END_OF_TRACK
    assert notes_of(read_midi_bytes(mb.midi_file(track, division=division))) == [(F(1), 60, F(2))]


def test_one_track_with_two_channels_becomes_two_named_tracks() -> None:
    track = (mb.meta(0, 0x03, b"Keys") + mb.note_on(0, 0, 60, 90) + mb.note_on(0, 2, 64, 90)
             + mb.note_off(480, 0, 60) + mb.note_off(0, 2, 64) + mb.END_OF_TRACK)
    score = read_midi_bytes(mb.midi_file(mb.END_OF_TRACK, track))
    assert [(t.name, t.channel) for t in score.tracks] == [("Keys (channel 1)", 0), ("Keys (channel 3)", 2)]


def test_program_in_force_at_the_first_note_wins_and_conductor_programs_apply() -> None:
    conductor = mb.program(0, 1, 19) + mb.END_OF_TRACK
    first = mb.program(0, 0, 5) + mb.program(100, 0, 6) + mb.note_on(380, 0, 60, 9) + mb.note_off(480, 0, 60)
    first += mb.program(0, 0, 7) + mb.END_OF_TRACK
    second = mb.note_on(0, 1, 48, 9) + mb.note_off(480, 1, 48) + mb.END_OF_TRACK
    score = read_midi_bytes(mb.midi_file(conductor, first, second))
    # The conductor's program change is an event of its own (empty) track on channel 2; every change is kept.
    assert [(t.channel, t.program, len(t.notes)) for t in score.tracks] == [(1, 19, 0), (0, 6, 1), (1, 19, 1)]
    assert [e.number for e in score.tracks[1].events if isinstance(e, ChannelEvent)] == [5, 6, 7]


def test_first_key_signature_and_utf8_track_names() -> None:
    conductor = mb.meta(0, 0x59, bytes([0xFB, 1])) + mb.meta(960, 0x59, bytes([2, 0])) + mb.END_OF_TRACK
    track = mb.meta(0, 0x03, "Flûte à bec".encode()) + mb.note_on(0, 0, 72, 9) + mb.note_off(9, 0, 72)
    score = read_midi_bytes(mb.midi_file(conductor, track + mb.END_OF_TRACK))
    assert score.key == KeySignature.parse("Bb minor")
    assert score.tracks[0].name == "Flûte à bec"


def test_latin1_track_names_still_read() -> None:
    track = mb.meta(0, 0x03, "Flûte".encode("latin-1")) + mb.note_on(0, 0, 72, 9) + mb.note_off(9, 0, 72)
    assert read_midi_bytes(mb.midi_file(mb.END_OF_TRACK, track + mb.END_OF_TRACK)).tracks[0].name == "Flûte"


def test_title_comes_from_a_conductor_track_and_empty_instrument_tracks_are_kept() -> None:
    conductor = mb.meta(0, 0x03, b"My Song") + mb.END_OF_TRACK
    empty_instrument = mb.meta(0, 0x03, b"Strings") + mb.program(0, 3, 48) + mb.END_OF_TRACK
    score = read_midi_bytes(mb.midi_file(conductor, empty_instrument))
    assert score.title == "My Song"
    assert [(t.name, t.channel, t.program, t.notes) for t in score.tracks] == [("Strings", 3, 48, ())]


def test_length_follows_the_last_event_of_the_file() -> None:
    conductor = mb.time_signature(0, 4, 4) + mb.vlq(4 * 480 * 6) + b"\xff\x2f\x00"
    track = mb.note_on(0, 0, 60, 9) + mb.note_off(480, 0, 60) + mb.END_OF_TRACK
    assert read_midi_bytes(mb.midi_file(conductor, track)).bar_count == 6


def test_midi_to_score_accepts_a_mido_file_built_in_memory() -> None:
    midi = mido.MidiFile(type=1, ticks_per_beat=100)
    midi.tracks.append(mido.MidiTrack([
        mido.Message("note_on", note=64, velocity=99, time=50),
        mido.Message("note_off", note=64, time=100),
    ]))
    assert notes_of(midi_to_score(midi)) == [(F(1, 2), 64, F(1))]


# ------------------------------------------------------------------------------------------------ export


def _sample_score() -> Score:
    return Score(
        tracks=(
            Track("Flute", (Note(F(0), 72, F(1), 100, 5), Note(F(1), 72, F(1, 2), 90, 5)), program=73, channel=5),
            Track("Kit", (Note(F(1, 3), 36, F(1, 3), 110, 9),), channel=9),
        ),
        meter_map=MeterMap((MeterChange(0, TimeSignature(3, 4)), MeterChange(2, TimeSignature(7, 8)))),
        tempo_map=TempoMap((TempoChange(F(0), 90.0), TempoChange(F(3), 72.5))),
        key=KeySignature.parse("E minor"),
        title="Sample",
        length_bars=4,
    )


def test_export_is_format_1_with_a_conductor_track_first() -> None:
    midi = score_to_midi(_sample_score())
    assert (midi.type, midi.ticks_per_beat, len(midi.tracks)) == (1, 960, 3)
    conductor = [(m.type, m.dict()) for m in midi.tracks[0]]
    kinds = [kind for kind, _ in conductor]
    assert kinds == ["track_name", "time_signature", "key_signature", "set_tempo", "set_tempo", "time_signature",
                     "end_of_track"]
    assert conductor[0][1]["name"] == "Sample"
    assert conductor[2][1]["key"] == "Em"
    assert (conductor[4][1]["time"], conductor[4][1]["tempo"]) == (3 * 960, round(60e6 / 72.5))
    assert conductor[5][1]["time"] == 3 * 960  # bar 3 starts after two bars of 3/4
    assert sum(m.time for m in midi.tracks[0]) == 2 * 3 * 960 + 2 * 7 * 480  # and two bars of 7/8 in all


def test_each_track_has_its_name_program_and_channel() -> None:
    midi = score_to_midi(_sample_score())
    flute = midi.tracks[1]
    assert flute[0].type == "track_name" and flute[0].name == "Flute"
    assert flute[1].type == "program_change" and (flute[1].channel, flute[1].program) == (5, 73)
    assert {m.channel for m in flute if m.type in ("note_on", "note_off")} == {5}
    assert {m.channel for m in midi.tracks[2] if not m.is_meta} == {9}


def test_note_off_comes_before_a_repeated_note_on_at_the_same_tick() -> None:
    flute = [m for m in score_to_midi(_sample_score()).tracks[1] if m.type in ("note_on", "note_off")]
    assert [(m.type, m.time) for m in flute] == [("note_on", 0), ("note_off", 960), ("note_on", 0),
                                                 ("note_off", 480)]


def test_positions_round_to_the_nearest_tick_and_no_note_vanishes() -> None:
    score = Score(tracks=(Track("x", (Note(F(1, 7), 60, F(1, 10_000)),)),))
    ons = [m for m in score_to_midi(score, ticks_per_beat=960).tracks[1] if m.type in ("note_on", "note_off")]
    assert [m.time for m in ons] == [137, 1]  # 960/7 = 137.14; the tiny note keeps one tick


def test_notes_are_written_on_their_tracks_channel() -> None:
    score = Score(tracks=(Track("x", (Note(F(0), 60, F(1), 80, channel=0),), channel=4),))
    messages = score_to_midi(score).tracks[1]
    assert {m.channel for m in messages if m.type.startswith("note")} == {4}


def test_utf8_names_survive_the_round_trip() -> None:
    score = Score(tracks=(Track("チェロ", (Note(F(0), 48, F(1)),)),), title="Café")
    back = read_midi_bytes(score_to_midi_bytes(score))
    assert (back.title, back.tracks[0].name) == ("Café", "チェロ")


# ------------------------------------------------------------------------------------------- round trip

GRID = 960
METERS = [TimeSignature(n, d) for n, d in ((4, 4), (3, 4), (6, 8), (2, 2), (5, 4), (7, 8), (12, 16), (1, 4))]
names = st.text(alphabet="abcXYZ é日-", min_size=1, max_size=8).map(str.strip).filter(bool)


@st.composite
def grid_scores(draw: st.DrawFn) -> Score:
    """Scores whose notes, tempo changes and tempi MIDI can hold exactly (1/960 beat, 1/100 BPM)."""
    channels = draw(st.lists(st.integers(0, 15), min_size=1, max_size=4, unique=True))
    tracks = []
    for channel in channels:
        notes = draw(st.lists(st.builds(
            Note,
            start=st.integers(0, 40 * GRID).map(lambda k: F(k, GRID)),
            pitch=st.integers(0, 127),
            duration=st.integers(1, 6 * GRID).map(lambda k: F(k, GRID)),
            velocity=st.integers(1, 127),
            channel=st.just(channel),
        ), max_size=30))
        tracks.append(Track(draw(names), resolve_overlaps(notes), draw(st.integers(0, 127)), channel))
    meter_bars = draw(st.lists(st.integers(1, 30), max_size=4, unique=True))
    meter_map = MeterMap.from_changes(
        [MeterChange(bar, draw(st.sampled_from(METERS))) for bar in [0, *meter_bars]]
    )
    bpm = st.integers(2000, 30000).map(lambda k: k / 100)
    tempo_beats = draw(st.lists(st.integers(1, 60 * GRID).map(lambda k: F(k, GRID)), max_size=4, unique=True))
    tempo_map = TempoMap.from_changes([TempoChange(F(0), draw(bpm))] + [TempoChange(b, draw(bpm)) for b in tempo_beats])
    key = draw(st.none() | st.builds(KeySignature, st.integers(0, 11), st.sampled_from(["major", "minor"])))
    # A file ends after its last event, so the piece must reach its last meter and tempo change.
    length = max(draw(st.integers(0, 40)), meter_map.changes[-1].bar + 1,
                 meter_map.bars_to_cover(tempo_map.changes[-1].beat))
    return Score(tuple(tracks), meter_map, tempo_map, key, draw(st.just("") | names), length)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_scores())
def test_export_then_import_gives_back_the_same_score(score: Score) -> None:
    data = score_to_midi_bytes(score)
    expected = as_read_back(score, 960)
    assert read_midi_bytes(data) == expected
    assert midi_to_score(mido.MidiFile(file=io.BytesIO(data))) == expected  # plain mido parse agrees
    assert read_midi_bytes(score_to_midi_bytes(expected)) == expected  # and from then on, nothing changes


def as_read_back(score: Score, ticks_per_beat: int) -> Score:
    """What reading a written score gives: its resolution, tempi in exact microseconds, and a program
    change event where the writer had to write one (an instrument other than the channel's default, an
    empty track)."""
    tempo = TempoMap(tuple(TempoChange.exact(c.beat, c.microseconds) for c in score.tempo_map.changes))
    tracks = []
    needing = channels_needing_programs(score)
    for track in score.tracks:
        has_program = any(isinstance(e, ChannelEvent) and e.kind == "program_change" for e in track.events)
        if not has_program and track.channel in needing:
            track = track.with_events([ChannelEvent(F(0), "program_change", track.channel, track.program),
                                       *track.events])
        tracks.append(track)
    # The time and key signatures the conductor track holds are read back as events of the piece too.
    written = [RawEvent(score.bar_start(c.bar), 0x58, bytes((c.time_signature.numerator,
                                                            c.time_signature.denominator.bit_length() - 1, 24, 8)))
               for c in score.meter_map.changes]
    keys = [(F(0), score.key)] + [(c.beat, c.key) for c in score.key_changes]
    written += [RawEvent(beat, 0x59, struct.pack(">bB", key.sharps, key.mode == "minor"))
                for beat, key in keys if key is not None]
    return replace(score, tracks=tuple(tracks), tempo_map=tempo, ticks_per_beat=ticks_per_beat,
                   events=(*score.events, *written))


def test_read_tracks_hold_their_notes_in_reading_order_without_sorting_them() -> None:
    """The reader builds tracks with Track.presorted: its notes must already be exactly sorted()."""
    import random

    from musicassist.core.score import Note, Score, Track
    from musicassist.io.midi_file import read_midi_bytes
    from musicassist.io.midi_writer import score_to_midi_bytes

    rng = random.Random(3)
    notes = tuple(Note(Fraction(rng.randrange(0, 400), rng.choice((1, 2, 3, 4, 6))), rng.randrange(40, 80),
                       Fraction(rng.randrange(1, 9), rng.choice((1, 2, 3, 4))), rng.randrange(1, 128))
                  for _ in range(600))  # chords, same-pitch overlaps, triplets
    score = Score(tracks=(Track("a", notes), Track("b", notes[:50], channel=3)), length_bars=120)
    read = read_midi_bytes(score_to_midi_bytes(score))
    for track in read.tracks:
        assert list(track.notes) == sorted(track.notes) and track.notes
