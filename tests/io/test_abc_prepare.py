"""ABC tunes read as abc2midi plays them: tempo forms, voices with their MIDI channels and programs,
repeats and endings, accidentals across octaves, and a bad header refused with its field and line.

The expected play orders of the repeat tests are abc2midi 4.84's (run on each line as a tune).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from musicassist.core.errors import FileFormatError
from musicassist.io.abc_accidentals import propagate_accidentals
from musicassist.io.abc_prepare import prepare_abc_tune
from musicassist.io.abc_repeats import expand_repeats
from musicassist.io.music21_files import read_abc_tune


def tune(body: str, header: str = "M:4/4\nL:1/8\n") -> str:
    return f"X:1\nT:Test\n{header}K:G\n{body}\n"


@pytest.mark.parametrize(("field", "bpm"), [
    ("Q:1/4=142", 142.0), ("Q:1/4 = 142", 142.0), ("Q: 1/4=142", 142.0), ("Q:142", 142.0),
    ('Q:"Allegro" 1/4=120', 120.0), ("Q:3/8=60", 90.0), ('Q:1/8=200 "fast"', 100.0),
])
def test_every_form_of_the_tempo_field_gives_quarter_notes_per_minute(field: str, bpm: float) -> None:
    score = read_abc_tune(tune("GABc dedB|", f"M:4/4\nL:1/8\n{field}\n"))
    assert [change.bpm for change in score.tempo_map.changes] == [bpm]


@pytest.mark.parametrize(("header", "field", "line"), [
    ("M:4/4\nL:1/8\nK:Zmajor\n", "K:", 5), ("M:4/4\nL:1/8\nK:\n", "K:", 5), ("M:abc\nL:1/8\nK:G\n", "M:", 3),
    ("M:4/4\nL:xyz\nK:G\n", "L:", 4), ("M:4/4\nL:1/7\nK:G\n", "L:", 4), ("M:4/4\nK:clef=bass\n", "K:", 4),
])
def test_an_invalid_header_field_is_refused_naming_the_field_and_line(header: str, field: str, line: int) -> None:
    with pytest.raises(FileFormatError, match=rf"{field} field on line {line}\b") as refused:
        read_abc_tune(f"X:1\nT:Bad\n{header}GABc|\n")
    assert "\n" not in str(refused.value)


def test_valid_keys_of_real_tunes_are_accepted() -> None:
    for key in ("G", "Bb", "F#m", "A Mixolydian", "E phr bass", "Hp", "none", "C exp ^f", "G % comment"):
        prepare_abc_tune(f"X:1\nT:t\nM:4/4\nK:{key}\nGABc|\n")


def test_each_voice_is_a_track_on_its_midi_channel_with_its_program() -> None:
    text = tune("V:1\n%%MIDI program 40\n|:GABc dedB:|\nV:2\n%%MIDI channel 10\n|:C,2C,2 C,2C,2:|")
    score = read_abc_tune(text)
    assert [(track.channel, track.program, len(track.notes)) for track in score.tracks] == [(0, 40, 16), (9, 0, 8)]
    assert {note.channel for note in score.tracks[1].notes} == {9}


def test_interleaved_and_inline_voices_are_gathered_per_voice() -> None:
    text = tune("V:1\nGABc|\nV:2\nC,4 C,4|\n[V:1] dedB|\n[V:2] D,8|")
    score = read_abc_tune(text)
    assert [[n.pitch for n in t.notes] for t in score.tracks] == [[67, 69, 71, 72, 74, 76, 74, 71], [48, 48, 50]]
    assert score.tracks[1].notes[-1].start == 4


@pytest.mark.parametrize(("music", "played"), [
    ("CDEF|GABc:|defg|]", "CDEFGABcCDEFGABcdefg"),
    ("CDEF|:GABc:|defg|]", "CDEFGABcGABcdefg"),
    ("|:CDEF|[1GABc:|[2defg|]", "CDEFGABcCDEFdefg"),
    ("|:CDEF|1GABc:|2defg|]", "CDEFGABcCDEFdefg"),
    ("|:CDEF::GABc:|defg|]", "CDEFCDEFGABcGABcdefg"),
    ("CDEF|:GABc|[1 defg:|[2 abag|]", "CDEFGABcdefgGABcabag"),
    ("CDEF:|GABc:|defg|]", "CDEFCDEFGABcGABcdefg"),
    ("|:CDEF:||:GABc:|]", "CDEFCDEFGABcGABc"),
    ('"G"CDEF|"Am"GABc:|', '"G"CDEF"Am"GABc"G"CDEF"Am"GABc'),
    ("|:A|1 B:|2 C:|", "ABACA"),  # an ending closed by :| goes round once more
    ("|:A|[1,3 B:|[2 C:|]", "ABACABA"),
    ("|:A|[1 B:|[2 C:|[3 D|]", "ABACAD"),
    ("|:A|[1 B:|[2 C||D:|", "ABACDAD"),  # also after a double bar; the double bar ends a skipped ending
    ("|:A|[1 B:|[2 C|D:|", "ABACDA"),
])
def test_repeats_and_endings_are_played_out_as_abc2midi_plays_them(music: str, played: str) -> None:
    assert "".join(expand_repeats([music])).replace("|", "").replace(" ", "") == played


def test_accidentals_reach_every_octave_until_the_barline() -> None:
    assert propagate_accidentals("^c C c' C|C \"^c\" c") == "^c ^C ^c' ^C|C \"^c\" c"
    notes = read_abc_tune(tune("^c C c' C|C c", "M:4/4\nL:1/4\n")).notes
    assert [n.pitch for n in sorted(notes, key=lambda n: n.start)] == [73, 61, 85, 61, 60, 72]


def test_a_broken_rhythm_with_a_staccato_note_keeps_its_rhythm() -> None:
    notes = read_abc_tune(tune("B>.c B>c d4|")).notes
    assert [n.duration for n in notes][:4] == [Fraction(3, 4), Fraction(1, 4), Fraction(3, 4), Fraction(1, 4)]


def test_length_and_meter_change_mid_tune_on_their_own_lines_and_inline() -> None:
    text = tune("DEFG ABcd|\nM:3/4\nL:1/4\nDEF|[M:6/8][L:1/8]ABc def|")
    score = read_abc_tune(text)
    starts = [n.start for n in sorted(score.notes, key=lambda n: n.start)]
    assert starts[8:11] == [4, 5, 6]  # quarter notes after L:1/4
    assert starts[11:13] == [7, Fraction(15, 2)]  # eighths again after [L:1/8]
    assert [str(c.time_signature) for c in score.meter_map.changes] == ["4/4", "3/4", "6/8"]


def test_tempo_changes_inside_the_music_are_tempo_map_entries() -> None:
    text = tune("|:DEFG ABcd|[1 d8:|[2 A8||\nQ:3/8=60\nd3 A3 d2|[Q:1/4=132]f8|]", "M:4/4\nL:1/8\nQ:1/4=100\n")
    changes = read_abc_tune(text).tempo_map.changes
    assert [(change.beat, change.bpm) for change in changes] == [(0, 100.0), (16, 90.0), (20, 132.0)]  # repeat played


def test_absurd_tempo_and_ending_numbers_are_survived() -> None:
    assert read_abc_tune(tune("GABc|", "M:4/4\nL:1/8\nQ:1/0=100\n")).tempo_map.changes[0].bpm == 120.0
    assert read_abc_tune(tune("GABc|", "M:4/4\nL:1/8\nQ:1/4=0\n")).tempo_map.changes[0].bpm == 120.0
    assert read_abc_tune(tune("|:GA|[1-99999999 B:|[2 c|]")).note_count == 6


def test_named_voices_defined_in_the_header_are_separate_tracks_with_their_midi_settings() -> None:
    """The issue's tune: a melody voice and a percussion voice, defined in the header, came in as one track."""
    text = ('X:1\nT:Groove\nM:4/4\nL:1/8\nQ:1/4=142\nV:melody clef=treble name="Lead"\nV:drums clef=perc\n'
            "%%MIDI channel 10\nK:C\nV:melody\n%%MIDI program 81\n|:c2e2 g2e2|d2f2 a2f2:|\n"
            "V:drums\n|:C,2^F,2 D,2^F,2|C,2^F,2 D,2^F,2:|\n")
    score = read_abc_tune(text)
    assert [(t.name, t.channel, t.program, len(t.notes)) for t in score.tracks] == [
        ("Lead", 0, 81, 16), ("drums", 9, 0, 16)]
    assert [change.bpm for change in score.tempo_map.changes] == [142.0]
