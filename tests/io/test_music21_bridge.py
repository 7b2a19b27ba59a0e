"""music21 streams <-> Score: hand-built streams and real ABC, the training options, the MusicXML round trip."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from music21 import chord, instrument, key, meter, note, stream, tempo, tie
from music21.abcFormat import ABCHandler, translate

from musicassist.codec import METERS as CODEC_METER_NAMES
from musicassist.codec import encode
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
from musicassist.core.errors import FileFormatError
from musicassist.core.timemaps import KeyChange
from musicassist.io.music21_bridge import score_to_stream, stream_to_score
from musicassist.io.music21_files import musicxml_bytes, read_musicxml

F = Fraction


def measure(number: int, *elements: note.GeneralNote, signature: str | None = None) -> stream.Measure:
    bar = stream.Measure(number=number)
    if signature:
        bar.insert(0, meter.TimeSignature(signature))
    for element in elements:
        bar.append(element)
    return bar


def tied(pitch: str, length: float, kind: str) -> note.Note:
    tone = note.Note(pitch, quarterLength=length)
    tone.tie = tie.Tie(kind)
    return tone


def part_of(*measures: stream.Measure, name: str = "Voice") -> stream.Part:
    part = stream.Part()
    part.partName = name
    for bar in measures:
        part.append(bar)
    return part


def as_score(*parts: stream.Part) -> stream.Score:
    whole = stream.Score()
    for part in parts:
        whole.insert(0, part)
    return whole


def test_chords_expand_ties_merge_and_grace_notes_drop() -> None:
    grace = note.Note("D4").getGrace()
    bar1 = measure(1, chord.Chord(["C4", "E4"], quarterLength=2), grace, tied("G4", 2, "start"), signature="4/4")
    bar2 = measure(2, tied("G4", 4, "continue"))
    bar3 = measure(3, tied("G4", 1, "stop"), tied("A4", 1, "start"), tied("B4", 2, "stop"))
    score = stream_to_score(as_score(part_of(bar1, bar2, bar3)))
    assert [(n.start, n.pitch, n.duration) for n in score.notes] == [
        (F(0), 60, F(2)), (F(0), 64, F(2)), (F(2), 67, F(7)),
        (F(9), 69, F(1)), (F(10), 71, F(2)),  # a tie between different pitches joins nothing
    ]


def test_a_pickup_stays_a_short_first_bar_so_bar_2_starts_on_a_barline() -> None:
    pickup = measure(0, note.Note("G4", quarterLength=1), signature="3/4")
    part = part_of(pickup, measure(1, note.Note("C5", quarterLength=3)), measure(2, note.Note("E5", quarterLength=2)))
    part.insert(0, tempo.MetronomeMark(number=90))
    score = stream_to_score(as_score(part))
    assert [(n.start, n.pitch) for n in score.notes] == [(F(0), 67), (F(1), 72), (F(4), 76)]
    assert score.meter_map.changes == (MeterChange(0, TimeSignature(3, 4)),)
    assert score.meter_map.pickup == 1 and score.bar_start(1) == 1
    assert score.tempo_map == TempoMap.constant(90.0)  # the mark at the pickup governs from the start
    assert score.bar_count == 3


def test_a_short_bar_in_the_middle_gets_a_meter_of_its_own_length() -> None:
    part = part_of(
        measure(1, note.Note("C4", quarterLength=4), signature="4/4"),
        measure(2, note.Note("D4", quarterLength=2)),  # a half bar before a repeat
        measure(3, note.Note("E4", quarterLength=4)),
    )
    score = stream_to_score(as_score(part))
    assert score.meter_map.changes == (
        MeterChange(0, TimeSignature(4, 4)), MeterChange(1, TimeSignature(2, 4)), MeterChange(2, TimeSignature(4, 4)),
    )
    assert score.bar_start(2) == score.notes[2].start == 6


def test_parts_become_tracks_with_channels_and_percussion_on_channel_10() -> None:
    violin = part_of(measure(1, note.Note("A4", quarterLength=4), signature="4/4"), name="Violin")
    violin.insert(0, instrument.Violin())
    drums = part_of(measure(1, note.Note("C2", quarterLength=4), signature="4/4"), name="Kit")
    drums.insert(0, instrument.Percussion())
    cello = part_of(measure(1, note.Note("C3", quarterLength=4), signature="4/4"), name="Cello")
    cello.insert(0, instrument.Violoncello())
    score = stream_to_score(as_score(violin, drums, cello))
    assert [(t.name, t.channel, t.program) for t in score.tracks] == [("Violin", 0, 40), ("Kit", 9, 0),
                                                                     ("Cello", 1, 42)]


def test_keys_keep_their_signature_when_the_mode_is_neither_major_nor_minor() -> None:
    def key_of(signature: key.KeySignature) -> KeySignature | None:
        bar = measure(1, note.Note("D4", quarterLength=4), signature="4/4")
        bar.insert(0, signature)
        return stream_to_score(as_score(part_of(bar))).key

    assert key_of(key.Key("g")) == KeySignature.parse("G minor")
    assert key_of(key.Key("D", "dorian")) == KeySignature.parse("A minor")  # no sharps, like D dorian
    assert key_of(key.Key("G", "mixolydian")) == KeySignature.parse("C major")
    assert key_of(key.KeySignature(-2)) == KeySignature.parse("Bb major")


def test_an_opus_gives_its_first_score_and_a_flat_stream_works() -> None:
    opus = stream.Opus()
    opus.append(as_score(part_of(measure(1, note.Note("C4", quarterLength=4), signature="4/4"))))
    opus.append(as_score(part_of(measure(1, note.Note("D4", quarterLength=4), signature="4/4"))))
    assert [n.pitch for n in stream_to_score(opus).notes] == [60]
    flat: stream.Stream = stream.Stream()
    flat.insert(0, meter.TimeSignature("3/4"))
    flat.insert(6, meter.TimeSignature("2/4"))
    flat.insert(1, note.Note("E4", quarterLength=1))
    score = stream_to_score(flat)
    assert score.meter_map.changes == (MeterChange(0, TimeSignature(3, 4)), MeterChange(2, TimeSignature(2, 4)))
    assert [(n.start, n.pitch) for n in score.notes] == [(F(1), 64)]


def test_score_to_stream_rounds_unnotatable_positions_to_1_48() -> None:
    score = Score(tracks=(Track("x", (Note(F(1, 960), 60, F(959, 960)), Note(F(1), 62, F(1, 3)))),))
    back = read_musicxml(musicxml_bytes(score))
    assert [(n.start, n.pitch, n.duration) for n in back.notes] == [(F(0), 60, F(1)), (F(1), 62, F(1, 3))]


def test_drum_tracks_come_back_on_channel_10() -> None:
    beat = (Note(F(0), 36, F(1), channel=9), Note(F(1), 38, F(1), channel=9))
    score = Score(tracks=(Track("Beat", beat, channel=9),))
    assert read_musicxml(musicxml_bytes(score)).tracks[0].channel == 9
    assert isinstance(score_to_stream(score).parts[0].getInstrument(), instrument.Percussion)


GRID = 12
METERS = [TimeSignature(n, d) for n, d in ((4, 4), (3, 4), (6, 8), (2, 2), (5, 4), (7, 8), (2, 4))]


@st.composite
def notated_scores(draw: st.DrawFn) -> Score:
    """Scores MusicXML holds exactly: 1/12-beat grid, no same-pitch overlaps, default velocity."""
    tracks = []
    for number in range(draw(st.integers(1, 3))):
        notes = draw(st.lists(st.builds(
            Note,
            start=st.integers(0, 24 * GRID).map(lambda k: F(k, GRID)),
            pitch=st.integers(24, 100),
            duration=st.integers(1, 6 * GRID).map(lambda k: F(k, GRID)),
            channel=st.just(number),
        ), max_size=12))
        tracks.append(Track(f"Part {number + 1}", resolve_overlaps(notes), draw(st.integers(0, 80)), number))
    meter_bars = draw(st.lists(st.integers(1, 8), max_size=2, unique=True))
    meter_map = MeterMap.from_changes(
        [MeterChange(bar, draw(st.sampled_from(METERS))) for bar in [0, *meter_bars]]
    )
    tempo_beats = draw(st.lists(st.integers(1, 20).map(F), max_size=2, unique=True))
    bpm = st.integers(40, 200).map(float)
    tempo_map = TempoMap.from_changes([TempoChange(F(0), draw(bpm))] + [TempoChange(b, draw(bpm)) for b in tempo_beats])
    key_signature = draw(st.none() | st.builds(KeySignature, st.integers(0, 11), st.sampled_from(["major", "minor"])))
    # Notation needs a bar for every change (a tempo mark on the final barline has none) and for
    # the tail of every note.
    notes_end = max((n.end for t in tracks for n in t.notes), default=F(0))
    length = max(draw(st.integers(1, 12)), meter_map.changes[-1].bar + 1,
                 meter_map.bar_at(tempo_map.changes[-1].beat) + 1, meter_map.bars_to_cover(notes_end))
    # Key changes stand on barlines (as notation writes them), each a different key from the one in force.
    key_changes: list[KeyChange] = []
    if key_signature is not None and length > 1:
        in_force = key_signature
        for bar in sorted(draw(st.lists(st.integers(1, length - 1), max_size=2, unique=True))):
            changed = KeySignature(draw(st.integers(0, 11)), draw(st.sampled_from(["major", "minor"])))
            if changed != in_force:
                key_changes.append(KeyChange(meter_map.bar_start(bar), changed))
                in_force = changed
    return Score(tuple(tracks), meter_map, tempo_map, key_signature, draw(st.sampled_from(["", "Étude"])), length,
                 key_changes=tuple(key_changes))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notated_scores())
def test_musicxml_export_then_import_gives_back_the_same_score(score: Score) -> None:
    assert read_musicxml(musicxml_bytes(score)) == score


# ------------------------------------------------------------- real ABC through music21 (once the corpus's own tests)


CODEC_METERS = frozenset(TimeSignature.parse(m) for m in CODEC_METER_NAMES)


def abc_stream(body: str, meter_text: str = "6/8", length: str = "1/8") -> stream.Score:
    handler = ABCHandler()
    handler.process(f"X:1\nT:test\nM:{meter_text}\nL:{length}\nK:G\n{body}\n")
    return translate.abcToStreamScore(handler)


def for_training(source: stream.Stream) -> Score:
    return stream_to_score(source, normalize_long_meters=True, require_time_signature=True,
                           irregular_meters=CODEC_METERS)


def test_abc_pickup_is_bar_1_and_the_halves_of_a_repeat_share_a_bar() -> None:
    music = abc_stream("D | G2A B2c | d3 d2 :| B | c2d e2f | g3- g2 |]")
    for score, pickup in ((stream_to_score(music), F(1, 2)), (for_training(music), F(0))):
        shift = pickup or 3  # where bar 2 starts: the training corpus pads the pickup to a full bar
        notes = [(n.start, n.pitch, n.duration) for n in score.notes]
        assert notes[0] == (shift - F(1, 2), 62, F(1, 2))  # the pickup D ends bar 1
        assert notes[1][0] == shift == score.bar_start(1)  # G on the downbeat of bar 2
        c_start = next(start for start, pitch, _ in notes if pitch == 72 and start > 6 - pickup)
        assert c_start == 6 + shift == score.bar_start(3)  # "d3 d2 :| B |" fill bar 3, so c starts bar 4
        assert notes[-1] == (9 + shift, 79, F(5, 2))  # g3- g2 tied into one note, on the downbeat of bar 5
        assert score.bar_count == 5
        assert score.meter_map == MeterMap.from_changes([MeterChange(0, TimeSignature(6, 8))], pickup)


def test_abc_grace_notes_vanish_and_a_lone_short_bar_keeps_its_length() -> None:
    assert [(n.pitch, n.duration) for n in stream_to_score(abc_stream("G2 {a}B2 c2- | c6 |]")).notes] == [
        (67, 1), (71, 1), (72, 4)]
    score = stream_to_score(abc_stream("G6 | A3 | B6 |]"))
    assert [n.start for n in score.notes] == [0, 3, F(9, 2)]  # no silence after A: its bar is 3/8
    assert [str(score.meter_map.time_signature_at_bar(b)) for b in range(3)] == ["6/8", "3/8", "6/8"]


def test_music21s_fragment_of_an_over_full_bar_is_a_bar_for_a_composer_and_joins_its_neighbour_for_training(
) -> None:
    # "A3 B3 c" is one eighth too long for 6/8: music21 cuts it into 6/8 + a 1/8 "measure" stating 1/8.
    music = abc_stream("G3 G3 | A3 B3 c | d6 | e6 |]")
    composer, training = stream_to_score(music), for_training(music)
    assert [str(composer.meter_map.time_signature_at_bar(b)) for b in range(5)] == ["6/8", "6/8", "1/8", "6/8", "6/8"]
    assert [str(training.meter_map.time_signature_at_bar(b)) for b in range(4)] == ["6/8", "7/8", "6/8", "6/8"]
    for score in (composer, training):  # both keep the file's timing
        assert [n.start for n in score.notes] == [0, F(3, 2), 3, F(9, 2), 6, F(13, 2), F(19, 2)]
    encode(training)  # every bar is a meter the codec holds


def test_stated_meters_change_the_bars_and_a_one_measure_fragment_meter_does_not() -> None:
    def bar(signature: str | None, pitch: str, length: float) -> stream.Measure:
        return measure(1, note.Note(pitch, quarterLength=length), signature=signature)

    part = part_of(bar("2/4", "G4", 2), bar(None, "A4", 1), bar("3/4", "B4", 3), bar("1/4", "C5", 1),
                   bar("3/4", "D5", 3))
    composer = stream_to_score(as_score(part))
    assert [str(composer.meter_map.time_signature_at_bar(b)) for b in range(5)] == ["2/4", "1/4", "3/4", "1/4",
                                                                                   "3/4"]
    training = for_training(as_score(part))  # the 1-beat bars join the bar before: 3/4, then 4/4
    assert [str(training.meter_map.time_signature_at_bar(b)) for b in range(3)] == ["3/4", "4/4", "3/4"]
    for score in (composer, training):
        assert [n.start for n in score.notes] == [0, 2, 3, 6, 7]


def test_old_long_meters_get_shorter_note_values_only_for_training() -> None:
    def long_part() -> stream.Score:
        bar1 = measure(1, note.Note("G4", quarterLength=4), note.Note("A4", quarterLength=8), signature="3/1")
        bar1.insert(0, tempo.MetronomeMark(number=120))
        return as_score(part_of(bar1, measure(2, note.Note("B4", quarterLength=12))))

    training = for_training(long_part())
    assert training.time_signature == TimeSignature(3, 2)
    assert [(n.start, n.duration) for n in training.notes] == [(0, 2), (2, 4), (6, 6)]
    assert training.tempo_map == TempoMap.constant(60.0)  # half the note values at half the BPM: same seconds
    assert stream_to_score(long_part()).time_signature == TimeSignature(3, 1)


def test_music_without_a_time_signature_is_4_4_for_a_composer_and_refused_for_training() -> None:
    music = as_score(part_of(measure(1, note.Note("C4", quarterLength=4))))
    assert stream_to_score(music).time_signature == TimeSignature(4, 4)
    with pytest.raises(FileFormatError, match="no time signature"):
        for_training(music)


def test_offsets_are_read_from_the_measures_even_after_notes_were_flattened_elsewhere() -> None:
    def chorale_like() -> stream.Score:
        return as_score(part_of(measure(0, note.Note("G4", quarterLength=1), signature="4/4"),
                                measure(1, note.Note("C5", quarterLength=3), tied("E5", 1, "start")),
                                measure(2, tied("E5", 4, "stop"))))

    fresh = stream_to_score(chorale_like())
    music = chorale_like()
    for _ in music.flatten().notes:  # iterating a stream makes it each note's active site (music21's
        pass  # Humdrum reader leaves the notes of bwv277.krn so): a note's .offset is then in the flat copy
    assert stream_to_score(music) == fresh
    assert [(n.start, n.pitch, n.duration) for n in fresh.notes] == [(0, 67, 1), (1, 72, 3), (4, 76, 5)]


def test_a_whole_rest_inside_a_5_4_bar_does_not_add_a_bar() -> None:
    # Found by hypothesis: music21 reads a whole rest that does not start a 5/4 bar as a five-beat
    # full-bar rest, which made the last measure over-full and added an empty bar.
    notes = (Note(F(0), 24, F(65, 12)), Note(F(1, 12), 25, F(1, 12)), Note(F(119, 12), 24, F(1, 12)))
    score = Score((Track("Part 1", notes),), MeterMap.constant(TimeSignature(5, 4)), TempoMap.constant(40.0),
                  None, "", 2)
    assert read_musicxml(musicxml_bytes(score)) == score


def test_a_whole_rest_after_a_note_in_a_5_4_bar_with_two_voices_keeps_the_later_bars_in_place() -> None:
    # Found by hypothesis: music21's MusicXML reader stretched the whole rest (4 beats after a tied quarter)
    # to a full 5/4 bar because the other voice's rest fills the bar; every later bar moved a beat.
    meters = MeterMap.from_changes([MeterChange(0, TimeSignature(7, 8)), MeterChange(2, TimeSignature(2, 4)),
                                    MeterChange(5, TimeSignature(5, 4))])
    notes = (Note(F(0), 24, F(1, 12), 80, 1), Note(F(0), 94, F(65, 12), 80, 1), Note(F(67, 6), 24, F(17, 6), 80, 1),
             Note(F(217, 12), 24, F(1, 12), 80, 1))
    score = Score((Track("Part 1", (), 0, 0), Track("Part 2", notes, 0, 1)), meters, TempoMap.constant(40.0),
                  None, "", 7)
    assert read_musicxml(musicxml_bytes(score)) == score
