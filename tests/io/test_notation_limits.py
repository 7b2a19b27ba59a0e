"""The notation pre-checks admit real music and refuse only sizes beyond ``core.limits``.

The refusals themselves are in ``bad_files`` (each one read in-process and by the command).
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest

from musicassist.core import FileFormatError, Note, Score, Track
from musicassist.io import FileWriteError, read_score, write_score
from musicassist.io.music21_files import MAX_EXPORT_MEASURES, MAX_EXPORT_NOTES
from musicassist.io.notation_limits import check_abc_tune, check_musicxml_text

from .bad_files import _abc, _musicxml, _xml_note


@pytest.mark.parametrize("body", ["A64|", "z8|Z4|A8|", "A//B/c3/2|", "[CEG]2 [C2E2G2]|",
                                  '"Am7"A2 !trill!B2 +fermata+c4|', "[M:3/4]ABc|[L:1/16]ABcd|",
                                  "w: la la la 12 99999\nAB|"])
def test_real_abc_is_admitted(body: str) -> None:
    check_abc_tune(_abc(body).decode())


@pytest.mark.parametrize("meter", ["C", "C|", "(2+3)/8", "2+3+2/8", "64/64", "none"])
def test_real_abc_meters_are_admitted(meter: str) -> None:
    check_abc_tune(f"X:1\nM:{meter}\nL:1/8\nK:C\nABc|\n")


def test_a_compound_musicxml_meter_and_chords_and_voices_are_admitted() -> None:
    chord = _xml_note(2) + _xml_note(2).replace("<note>", "<note><chord/>")
    voices = _xml_note(4) + "<backup><duration>4</duration></backup>" + _xml_note(4)
    check_musicxml_text(_musicxml(chord + voices, time="<beats>3+3+2</beats><beat-type>8</beat-type>").decode())


def test_a_long_but_allowed_musicxml_note_is_read(tmp_path: Path) -> None:
    (tmp_path / "long.musicxml").write_bytes(_musicxml(_xml_note(400)))
    assert read_score(tmp_path / "long.musicxml").bar_count == 100


def test_a_note_allowed_in_beats_but_too_many_bars_long_is_refused(tmp_path: Path) -> None:
    """Fuzz case 107107 of issue 12: 99,000 beats is under the beat limit, but in 3/8 it is 66,000 bars."""
    three_eight = "<beats>3</beats><beat-type>8</beat-type>"
    (tmp_path / "long.musicxml").write_bytes(_musicxml(_xml_note(99_000), time=three_eight))
    with pytest.raises(FileFormatError, match="66,000 bars; MusicAssist handles at most 50,000"):
        read_score(tmp_path / "long.musicxml")


def test_a_lone_huge_value_is_refused_without_music21() -> None:
    with pytest.raises(FileFormatError, match="1,000,000,000 beats"):
        check_musicxml_text(_musicxml(_xml_note(1_000_000_000)).decode())


def test_musicxml_export_past_its_caps_is_refused_naming_the_limit(tmp_path: Path) -> None:
    notes = tuple(Note(F(i, 4), 60 + i % 12, F(1, 4)) for i in range(MAX_EXPORT_NOTES + 1))
    with pytest.raises(FileWriteError, match="up to 8,000 notes and 4,000 measures"):
        write_score(Score(tracks=(Track("many", notes),)), tmp_path / "many.musicxml")
    bars = Score(tracks=(Track("one", (Note(F(0), 60, F(1)),)),), length_bars=MAX_EXPORT_MEASURES + 1)
    with pytest.raises(FileWriteError, match="4,001 bars in 1 parts"):
        write_score(bars, tmp_path / "bars.musicxml")
    assert list(tmp_path.iterdir()) == []
