"""A catalogue of damaged, mislabelled and absurd files, built in a temporary folder.

Shared by the io tests (in-process) and the CLI tests (in a subprocess). Large
files are generated, never committed: the 10-million-event MIDI file is 30 MB.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from musicassist.core import FileFormatError, Note, Score, Track, UnsupportedFormatError
from musicassist.io.midi_file import score_to_midi_bytes

from . import midi_bytes as mb

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"


@dataclass(frozen=True)
class BadFile:
    name: str
    make: Callable[[Path], None]  # writes the file (or folder) at the given path
    error: type[Exception]
    says: str  # a fragment the one-sentence message must contain


def good_midi() -> bytes:
    """Three tracks (conductor, two instruments): something to damage."""
    melody = Track("Melody", tuple(Note(Fraction(i, 2), 60 + i % 12, Fraction(1, 2)) for i in range(40)))
    bass_notes = tuple(Note(Fraction(i), 36 + i % 5, Fraction(1), 70, 1) for i in range(20))
    bass = Track("Bass", bass_notes, program=32, channel=1)
    return score_to_midi_bytes(Score(tracks=(melody, bass), title="Good"))


def _random_bytes(count: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(count)


def _write(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data() if callable(data) else data)

    return make


def _with_track_count(count: int) -> bytes:
    data = good_midi()
    return data[:10] + struct.pack(">H", count) + data[12:]


def _with_first_chunk_length(length: int) -> bytes:
    data = good_midi()
    at = data.index(b"MTrk")
    return data[: at + 4] + struct.pack(">L", length) + data[at + 8 :]


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("score.musicxml", b"<" + b" " * (40 * 1024 * 1024))
    return buffer.getvalue()


def _musicxml_with_notes(count: int) -> bytes:
    note = b"<note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration></note>"
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.1"><part-list><score-part id="P1">'
        b'<part-name>x</part-name></score-part></part-list><part id="P1"><measure number="1">'
        + note * count
        + b"</measure></part></score-partwise>"
    )


def _musicxml(measures: str, encoding: str = "UTF-8", time: str = "<beats>4</beats><beat-type>4</beat-type>",
              parts: bool = True) -> bytes:
    """A one-part MusicXML score; ``measures`` after a first measure's attributes (divisions 1)."""
    part_list = ('<part-list><score-part id="P1"><part-name>x</part-name></score-part></part-list>'
                 if parts else "<part-list/>")
    part = (f'<part id="P1"><measure number="1"><attributes><divisions>1</divisions><time>{time}</time>'
            f"</attributes>{measures}</measure></part>" if parts else "")
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<score-partwise version="3.1">{part_list}{part}'
            "</score-partwise>").encode("ascii")


def _xml_note(duration: int) -> str:
    return f"<note><pitch><step>C</step><octave>4</octave></pitch><duration>{duration}</duration></note>"


def _abc(body: str, header: str = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n") -> bytes:
    return (header + body).encode("ascii")


def _truncated_musicxml() -> bytes:
    data = _musicxml_with_notes(40)
    return data[: len(data) // 2]


def _riff_overrun() -> bytes:
    """A RIFF MIDI (.rmi) whose data chunk claims more bytes than the file holds."""
    midi = good_midi()
    data_chunk = b"data" + struct.pack("<L", len(midi) + 5000) + midi
    return b"RIFF" + struct.pack("<L", 4 + len(data_chunk)) + b"RMID" + data_chunk


def _one_huge_delta() -> bytes:
    """Four notes, one after a delta of 0x0FFFFFFF ticks at 1 tick per beat: 268 million beats."""
    notes = mb.note_on(0, 0, 60, 90) + mb.note_off(1, 0, 60) + mb.note_on(0x0FFFFFFF, 0, 62, 90)
    notes += mb.note_off(1, 0, 62) + mb.note_on(0, 0, 64, 90) + mb.note_off(1, 0, 64)
    return mb.midi_file(notes + mb.END_OF_TRACK, division=1)


def _tracks_of_two_channels(count: int) -> bytes:
    """``count`` tracks of two channels each: every channel of every track becomes a part."""
    track = mb.note_on(0, 0, 60, 90) + mb.note_on(0, 1, 64, 90) + mb.note_off(4, 0, 60) + mb.note_off(0, 1, 64)
    return mb.midi_file(*([track + mb.END_OF_TRACK] * count))


def _folder(path: Path) -> None:
    path.mkdir()


def _missing(path: Path) -> None:
    pass


BAD_FILES: tuple[BadFile, ...] = (
    BadFile("empty.mid", _write(b""), FileFormatError, "is empty"),
    BadFile("truncated.mid", _write(lambda: good_midi()[:-30]), FileFormatError, "ends in the middle of track 3"),
    BadFile("header_only.mid", _write(lambda: good_midi()[:10]), FileFormatError, "middle of its header"),
    BadFile("random.mid", _write(_random_bytes(5000, 1)), FileFormatError, "is not a MIDI file"),
    BadFile("image.mid", _write(PNG_HEADER + bytes(200)), FileFormatError, "is a PNG image, not a MIDI file"),
    BadFile("words.mid", _write(b"hello, this is not music\n"), FileFormatError, "is a text file, not a MIDI file"),
    BadFile("midi.musicxml", _write(good_midi), FileFormatError, "is a MIDI file, not a MusicXML score"),
    BadFile("midi.abc", _write(good_midi), FileFormatError, "is a MIDI file, not an ABC tune book"),
    BadFile("image.mxl", _write(PNG_HEADER), FileFormatError, "is a PNG image"),
    BadFile("random.musicxml", _write(_random_bytes(5000, 2)), FileFormatError, "is not a MusicXML score"),
    BadFile("random.abc", _write(_random_bytes(5000, 3)), FileFormatError, "is not an ABC tune book"),
    BadFile("random.krn", _write(_random_bytes(5000, 4)), FileFormatError, "is not a Humdrum score"),
    BadFile("random.mxl", _write(_random_bytes(5000, 5)), FileFormatError, "is not a compressed MusicXML"),
    BadFile("tracks_65535.mid", _write(lambda: _with_track_count(65535)), FileFormatError, "announces 65,535 tracks"),
    BadFile("tracks_missing.mid", _write(lambda: _with_track_count(9)), FileFormatError, "holds only 3"),
    BadFile("tracks_unannounced.mid", _write(lambda: _with_track_count(1)), FileFormatError,
            "announces 1 track but it holds 3"),
    BadFile("riff_overrun.mid", _write(_riff_overrun), FileFormatError, "ends in the middle of its MIDI data"),
    BadFile("huge_delta.mid", _write(_one_huge_delta), FileFormatError, "lasts more than 200,000 beats"),
    BadFile("channel_parts_1200.mid", _write(lambda: _tracks_of_two_channels(600)), FileFormatError,
            "split into 1,200 parts"),
    BadFile("chunk_2gb.mid", _write(lambda: _with_first_chunk_length(0x8000_0000)), FileFormatError,
            "ends in the middle of track 1"),
    BadFile("ten_million_events.mid", _write(lambda: mb.repeated_notes_file(10_000_000)), FileFormatError,
            "MusicAssist opens MIDI files of up to 16 MB"),
    BadFile("three_million_events.mid", _write(lambda: mb.repeated_notes_file(3_000_000)), FileFormatError,
            "more than 400,000 events"),
    BadFile("running_status_first.mid", _write(mb.midi_file(b"\x00\x3c\x40" + mb.END_OF_TRACK)), FileFormatError,
            "track 1 contains bytes that are not MIDI events"),
    BadFile("endless_delta.mid", _write(mb.midi_file(b"\xff\xff\xff\xff\x00\x90\x3c\x40" + mb.END_OF_TRACK)),
            FileFormatError, "not MIDI events"),
    BadFile("meta_overrun.mid", _write(mb.midi_file(b"\x00\xff\x01\x7f" + b"abc", mb.END_OF_TRACK)),
            FileFormatError, "an event in track 1 runs past the end of the track"),
    BadFile("truncated.musicxml", _write(_truncated_musicxml), FileFormatError, "MusicXML file is damaged"),
    BadFile("drawing.xml", _write(b'<?xml version="1.0"?><svg width="10"></svg>'), FileFormatError,
            "not a MusicXML score"),
    BadFile("too_many_notes.musicxml", _write(lambda: _musicxml_with_notes(30_001)), FileFormatError,
            "more than 30,000 notes"),
    BadFile("punycode.musicxml", _write(lambda: _musicxml(_xml_note(4), encoding="punycode")), FileFormatError,
            "not written in the 'punycode' encoding it declares"),
    BadFile("billion_divisions.musicxml", _write(lambda: _musicxml(_xml_note(1_000_000_000) + _xml_note(4))),
            FileFormatError, "one of its durations lasts 1,000,000,000 beats"),
    BadFile("billion_forward.musicxml",
            _write(lambda: _musicxml("<forward><duration>1000000000</duration></forward>" + _xml_note(4))),
            FileFormatError, "one of its durations lasts 1,000,000,000 beats"),
    BadFile("long_parts.musicxml", _write(lambda: _musicxml((_xml_note(150_000) + "</measure><measure>") * 2)),
            FileFormatError, "a part lasts more than 200,000 beats"),
    BadFile("meter_3_4_99999.musicxml",
            _write(lambda: _musicxml(_xml_note(4), time="<beats>3+4+99999</beats><beat-type>4</beat-type>")),
            FileFormatError, "a time signature of '3+4+99999' beats"),
    BadFile("meter_million.musicxml",
            _write(lambda: _musicxml(_xml_note(4), time="<beats>1000000</beats><beat-type>4</beat-type>")),
            FileFormatError, "a time signature of '1000000' beats"),
    BadFile("no_parts.musicxml", _write(lambda: _musicxml("", parts=False)), FileFormatError, "holds no part"),
    BadFile("meter_million.abc", _write(lambda: _abc("ABcd|efga|", "X:1\nT:t\nM:1000000/1\nL:1/8\nK:C\n")),
            FileFormatError, "a meter 'M:1000000/1'"),
    BadFile("inline_meter.abc", _write(lambda: _abc("ABcd|[M:3+4+99999/4]efga|")), FileFormatError,
            "a meter 'M:3+4+99999/4'"),
    BadFile("unit_1000.abc", _write(lambda: _abc("ABcd|efga|", "X:1\nT:t\nM:4/4\nL:1000/1\nK:C\n")),
            FileFormatError, "unit note length 'L:1000/1'"),
    BadFile("note_million.abc", _write(lambda: _abc("A1000000|B2|")), FileFormatError, "note length 'A1000000'"),
    BadFile("chord_million.abc", _write(lambda: _abc("[CEG]1000000|[C1000000E]2|")), FileFormatError,
            "note length ']1000000'"),
    BadFile("only_x.abc", _write(b"X:1\n"), FileFormatError, "has no K: line"),
    BadFile("header_only.abc", _write(b"X:1\nT:t\nM:4/4\nK:C\n"), FileFormatError, "has no music"),
    BadFile("cut_in_header.abc", _write(b"X:1\nT:A tune cut short\nM:4/4\nL:1/8\n"), FileFormatError,
            "has no K: line"),
    BadFile("zip_bomb.mxl", _write(_zip_bomb), FileFormatError, "unpacks to more than 16 MB"),
    BadFile("cut.mxl", _write(lambda: _zip_bomb()[:3000]), FileFormatError, "compressed MusicXML file is damaged"),
    BadFile("letter.abc", _write(b"Dear friend,\nno tunes here.\n"), FileFormatError, "a text file, not an ABC"),
    BadFile("endless_tune.abc", _write(b"X:1\nT:Long\nK:C\n" + b"abcd efga|" * 2000), FileFormatError,
            "opens ABC tunes of up to 10 KB"),
    BadFile("huge.krn", _write(b"**kern\n" + b"4c\n" * 60_000), FileFormatError,
            "opens Humdrum scores of up to 100 KB"),
    BadFile("folder.mid", _folder, FileFormatError, "is a folder"),
    BadFile("missing.mid", _missing, FileFormatError, "There is no file"),
    BadFile("picture.png", _write(PNG_HEADER), UnsupportedFormatError, "cannot open 'picture.png'"),
)


def make_bad_files(folder: Path) -> dict[str, Path]:
    """Create every file of the catalogue in ``folder``; returns their paths by name."""
    paths = {}
    for bad in BAD_FILES:
        path = folder / bad.name
        bad.make(path)
        paths[bad.name] = path
    return paths
