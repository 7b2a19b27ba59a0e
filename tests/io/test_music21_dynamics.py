"""Dynamics marks become velocities and sustain-pedal markings become CC64 events; both are written back."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from musicassist.core.events import SUSTAIN_PEDAL, ChannelEvent
from musicassist.core.score import Note, Score, Track
from musicassist.io import read_score
from musicassist.io.music21_files import musicxml_bytes, read_musicxml

F = Fraction

_PEDALLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
<part id="P1"><measure number="1">
<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>
<direction><direction-type><dynamics><p/></dynamics></direction-type></direction>
<direction><direction-type><pedal type="start" line="yes"/></direction-type></direction>
<note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
<note><pitch><step>D</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
<direction><direction-type><dynamics><f/></dynamics></direction-type></direction>
<note><pitch><step>E</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
<direction><direction-type><pedal type="stop" line="yes"/></direction-type></direction>
<note><pitch><step>F</step><octave>4</octave></pitch><duration>1</duration><type>quarter</type></note>
</measure></part></score-partwise>
"""


def test_dynamics_give_velocities_and_the_pedal_gives_cc64() -> None:
    score = read_musicxml(_PEDALLED)
    assert [(n.pitch, n.velocity) for n in score.notes] == [(60, 49), (62, 49), (64, 96), (65, 96)]
    pedal = [(e.time, e.value) for e in score.tracks[0].events
             if isinstance(e, ChannelEvent) and e.number == SUSTAIN_PEDAL]
    assert pedal[0] == (0, 127) and pedal[-1][1] == 0 and 2 < pedal[-1][0] <= 4


def test_velocities_and_pedal_are_written_back_as_dynamics_and_a_pedal_marking() -> None:
    notes = (Note(F(0), 60, F(1), 49), Note(F(1), 62, F(1), 49), Note(F(2), 64, F(1), 96), Note(F(3), 65, F(1), 96))
    pedal = (ChannelEvent(F(0), "control_change", 0, SUSTAIN_PEDAL, 127),
             ChannelEvent(F(3), "control_change", 0, SUSTAIN_PEDAL, 0))
    data = musicxml_bytes(Score((Track("Piano", notes, events=pedal),)))
    assert b"<p />" in data and b"<f />" in data and b"<pedal" in data
    back = read_musicxml(data)
    assert [n.velocity for n in back.notes] == [49, 49, 96, 96]
    first = back.tracks[0].events[0]
    assert isinstance(first, ChannelEvent) and (first.time, first.value) == (0, 127)


def test_a_track_at_the_default_velocity_gets_no_dynamics() -> None:
    data = musicxml_bytes(Score((Track("Flute", (Note(F(0), 72, F(2)),)),)))
    assert b"<dynamics" not in data


def test_pedal_and_dynamics_agree_with_musescores_own_midi_export() -> None:
    """tests/data/musescore/pedal_study: MuseScore 3 wrote the MIDI from the MusicXML next to it."""
    folder = Path(__file__).parents[1] / "data" / "musescore"
    ours = read_musicxml((folder / "pedal_study.musicxml").read_bytes())
    theirs = read_score(folder / "pedal_study.mid")

    def pedal(score: Score) -> list[tuple[Fraction, int]]:
        return [(e.time, e.value) for t in score.tracks for e in t.events
                if isinstance(e, ChannelEvent) and e.number == SUSTAIN_PEDAL]

    assert [value for _, value in pedal(ours)] == [value for _, value in pedal(theirs)]
    # MuseScore moves the pedal a tick (of 480) after the notes it holds
    assert all(0 <= b - a <= F(2, 480) for (a, _), (b, _) in zip(pedal(ours), pedal(theirs), strict=True))
    assert all(abs(a.velocity - b.velocity) <= 1 for a, b in zip(ours.notes, theirs.notes, strict=True))
