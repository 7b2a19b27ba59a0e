"""A notation file's title, composer and copyright come in and go back out as written, never "Music21"."""

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
