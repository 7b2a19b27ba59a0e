"""Two voices of one part on the same pitch at the same time stay two notes: read from MusicXML, written to
MIDI on one channel as two note-ons (the MIDI writer pairs note-offs first in, first out) and read back."""

from __future__ import annotations

from fractions import Fraction

from musicassist.io.midi_file import read_midi_bytes, score_to_midi_bytes
from musicassist.io.music21_files import read_musicxml

F = Fraction

_TWO_VOICES = b"""<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Keys</part-name></score-part></part-list>
<part id="P1"><measure number="1">
<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>
<note><pitch><step>E</step><octave>4</octave></pitch><duration>4</duration><voice>1</voice><type>whole</type></note>
<backup><duration>4</duration></backup>
<note><pitch><step>E</step><octave>4</octave></pitch><duration>2</duration><voice>2</voice><type>half</type></note>
<note><pitch><step>C</step><octave>4</octave></pitch><duration>2</duration><voice>2</voice><type>half</type></note>
</measure></part></score-partwise>
"""


def test_a_unison_of_two_voices_survives_midi_export() -> None:
    score = read_musicxml(_TWO_VOICES)
    expected = [(F(0), 64, F(2)), (F(0), 64, F(4)), (F(2), 60, F(2))]
    assert sorted((n.start, n.pitch, n.duration) for n in score.notes) == expected
    back = read_midi_bytes(score_to_midi_bytes(score))
    assert back.note_count == 3
    assert sorted((n.start, n.pitch, n.duration) for n in back.notes) == expected
    assert {n.channel for n in back.notes} == {0}
