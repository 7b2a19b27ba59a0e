"""A notation file's title, composer, copyright and pickup bar come in and go back out as written, never "Music21"."""

from __future__ import annotations

from fractions import Fraction

from musicassist.core.score import Note, Score, Track
from musicassist.io.music21_files import musicxml_bytes, read_abc_tune, read_musicxml

F = Fraction


def test_metadata_survives_a_musicxml_round_trip() -> None:
    score = Score((Track("Flute", (Note(F(0), 72, F(2)),)),), title="Air", composer="Anna Magdalena",
                  copyright="(c) 2026 Example Music")
    back = read_musicxml(musicxml_bytes(score))
    assert (back.title, back.composer, back.copyright) == ("Air", "Anna Magdalena", "(c) 2026 Example Music")


def test_a_score_without_metadata_is_not_credited_to_music21() -> None:
    data = musicxml_bytes(Score((Track("Flute", (Note(F(0), 72, F(2)),)),)))
    assert b"Music21" not in data
    back = read_musicxml(data)
    assert (back.title, back.composer, back.copyright) == ("", "", "")


def test_abc_composer_field_is_the_composer() -> None:
    score = read_abc_tune("X:1\nT:Rakes of Marlow\nC:Beck (1784)\nM:2/4\nL:1/8\nK:G\nGB GB|GB c2|\n")
    assert (score.title, score.composer) == ("Rakes of Marlow", "Beck (1784)")


def test_a_pickup_is_written_as_a_short_first_measure_and_read_back_as_one() -> None:
    from musicassist.core.timemaps import MeterChange, MeterMap, TempoChange, TempoMap, TimeSignature

    melody = (Note(F(0), 67, F(1)), Note(F(1), 72, F(3)), Note(F(4), 76, F(2)), Note(F(6), 74, F(1)))
    bass = (Note(F(1), 48, F(3), 80, 1), Note(F(4), 43, F(3), 80, 1))
    score = Score((Track("Melody", melody), Track("Bass", bass, channel=1)),
                  MeterMap.from_changes([MeterChange(0, TimeSignature(3, 4))], F(1)),
                  TempoMap.from_changes([TempoChange(F(0), 90.0), TempoChange(F(4), 120.0)]))
    data = musicxml_bytes(score)
    assert b'<measure implicit="no" number="0">' in data
    back = read_musicxml(data)
    assert back.meter_map.pickup == 1 and back.notes == score.notes
    assert back.tempo_map == score.tempo_map and back.bar_count == score.bar_count


def test_control_characters_in_names_do_not_make_the_musicxml_unreadable() -> None:
    """Fuzz cases 104853 and 107142 of issue 12: a damaged ABC header put \\x14 in the composer; XML 1.0
    forbids it even escaped, so the saved file could not be opened again."""
    score = Score((Track("Fl\x01ute", (Note(F(0), 72, F(2)),)),), title="Air\x0b", composer="Anna t\x14\x92est")
    data = musicxml_bytes(score)
    assert not any(byte < 0x20 and byte not in b"\t\n\r" for byte in data)
    back = read_musicxml(data)
    assert (back.title, back.composer, back.tracks[0].name) == ("Air", "Anna t\x92est", "Flute")


def test_the_same_score_gives_the_same_musicxml_file() -> None:
    """music21 draws random part and instrument ids; a saved file should only change when the music does."""
    score = Score((Track("Flute", (Note(F(0), 72, F(2)),)), Track("Cello", (Note(F(0), 48, F(2), 80, 1),), channel=1)))
    first, second = musicxml_bytes(score), musicxml_bytes(score)
    assert first == second
    assert b'<score-part id="P1">' in first and b'<score-part id="P2">' in first
