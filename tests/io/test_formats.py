"""Choosing a reader or writer: extensions, content sniffing, size caps, pieces and indexes."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from musicassist.core import FileFormatError, Note, OptionError, Score, Track, UnsupportedFormatError
from musicassist.io import READ_EXTENSIONS, WRITE_EXTENSIONS, formats, list_pieces, read_score, write_score
from musicassist.io.midi_file import score_to_midi_bytes

from .bad_files import PNG_HEADER

F = Fraction
SCORE = Score(tracks=(Track("Piano", (Note(F(0), 60, F(1)), Note(F(1), 64, F(1, 2)), Note(F(3, 2), 67, F(2)))),))
TWO_TUNES = b"X:1\nT:One\nK:C\nCDE|\n\nX:2\nT:Two\nK:G\nGAB|\n"


def test_public_extension_lists() -> None:
    assert READ_EXTENSIONS == (".mid", ".midi", ".musicxml", ".xml", ".mxl", ".abc", ".krn")
    assert WRITE_EXTENSIONS == (".mid", ".midi", ".musicxml", ".xml", ".mxl")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"MThd\x00\x00\x00\x06", "midi"),
        (b"RIFF\x00\x00\x00\x00RMIDdata", "midi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"PK\x03\x04rest", "zip"),
        (PNG_HEADER, "png"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"%PDF-1.7", "pdf"),
        (b"ID3\x04", "mp3"),
        (b'<?xml version="1.0"?>\n<!DOCTYPE x>\n<score-partwise version="4.0">', "musicxml"),
        ('<?xml version="1.0" encoding="UTF-16"?><score-timewise>'.encode("utf-16"), "musicxml"),
        (b"<html><body>", "html"),
        (b"<svg/>", "xml"),
        (b"!!!COM: Bach\n**kern\t**kern\n", "kern"),
        (b"X:1\nT:x\nK:C\n", "abc"),
        ("T:caf\xe9\nK:C\n".encode("latin-1"), "abc"),
        (b"plain words", "text"),
        (bytes(range(256)) * 4, None),
    ],
)
def test_sniffing_names_what_a_file_really_is(head: bytes, kind: str | None) -> None:
    found = formats.sniff(head)
    assert (found[0] if found else None) == kind


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_musicxml_and_compressed_musicxml_are_told_apart_by_content(tmp_path: Path) -> None:
    write_score(SCORE, tmp_path / "real.mxl")
    write_score(SCORE, tmp_path / "real.musicxml")
    zipped_named_plain = _write(tmp_path / "zipped.musicxml", (tmp_path / "real.mxl").read_bytes())
    plain_named_zipped = _write(tmp_path / "plain.mxl", (tmp_path / "real.musicxml").read_bytes())
    assert read_score(zipped_named_plain).notes == SCORE.notes
    assert read_score(plain_named_zipped).notes == SCORE.notes


def test_extension_case_does_not_matter(tmp_path: Path) -> None:
    path = _write(tmp_path / "LOUD.MID", score_to_midi_bytes(SCORE))
    assert read_score(path).notes == SCORE.notes


def test_unsupported_extensions_name_what_is_supported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"it opens \.mid, \.midi"):
        read_score(_write(tmp_path / "song.wav", b"RIFF"))
    with pytest.raises(UnsupportedFormatError, match="has no extension"):
        read_score(_write(tmp_path / "song", b"MThd"))
    with pytest.raises(UnsupportedFormatError, match=r"it saves \.mid"):
        write_score(SCORE, tmp_path / "song.abc")
    assert not (tmp_path / "song.abc").exists()


def test_size_cap_refuses_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.mid"
    with open(huge, "wb") as handle:  # sparse: 17 MB announced, nothing written to disk
        handle.truncate(17 * 1024 * 1024)
    with pytest.raises(FileFormatError, match="is 17 MB; MusicAssist opens MIDI files of up to 16 MB"):
        read_score(huge)


def test_failed_write_leaves_the_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from musicassist.io import music21_files

    target = _write(tmp_path / "keep.musicxml", b"<old/>")

    def broken(score: Score) -> bytes:
        raise FileFormatError("This score could not be written as MusicXML.")

    monkeypatch.setattr(music21_files, "musicxml_bytes", broken)
    with pytest.raises(FileFormatError):
        write_score(SCORE, target)
    assert target.read_bytes() == b"<old/>"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.musicxml"]


def test_list_pieces_of_a_tune_book_and_of_single_piece_files(tmp_path: Path) -> None:
    book = _write(tmp_path / "book.abc", TWO_TUNES)
    assert list_pieces(book) == ["One", "Two"]
    assert list_pieces(_write(tmp_path / "song.mid", score_to_midi_bytes(SCORE))) == ["song"]
    with pytest.raises(FileFormatError, match="is a PNG image"):
        list_pieces(_write(tmp_path / "fake.mid", PNG_HEADER))


def test_index_picks_a_tune_and_defaults_to_the_first(tmp_path: Path) -> None:
    book = _write(tmp_path / "book.abc", TWO_TUNES)
    assert read_score(book).title == "One"
    assert [n.pitch for n in read_score(book, 1).notes] == [67, 69, 71]
    with pytest.raises(OptionError, match="holds 2 tunes; there is no tune 3"):
        read_score(book, 2)


def test_an_index_beyond_a_single_piece_is_an_option_error(tmp_path: Path) -> None:
    song = _write(tmp_path / "song.mid", score_to_midi_bytes(SCORE))
    assert read_score(song, 0).notes == SCORE.notes
    with pytest.raises(OptionError, match="holds one piece; there is no piece 2"):
        read_score(song, 1)


def test_reading_midi_never_imports_music21(tmp_path: Path) -> None:
    song = _write(tmp_path / "song.mid", score_to_midi_bytes(SCORE))
    code = (
        "import sys; from musicassist.io import read_score, list_pieces; "
        f"read_score({str(song)!r}); list_pieces({str(song)!r}); print('music21' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"
