"""The MIDI writer writes only what the reader opens, and writes what mido would."""

from __future__ import annotations

import io
from fractions import Fraction as F
from pathlib import Path

import mido
import pytest

from musicassist.core import Note, Score, Track
from musicassist.core.limits import MAX_BEATS, MAX_TRACKS
from musicassist.io import FileWriteError, read_score, write_score
from musicassist.io.midi_file import read_midi_bytes
from musicassist.io.midi_writer import score_to_midi_bytes

from .bad_files import good_midi


def _four_notes(last_start: F) -> Score:
    notes = tuple(Note(start, 60 + i, F(1)) for i, start in enumerate((F(0), F(1), F(2), last_start)))
    return Score(tracks=(Track("long", notes),))


def test_a_score_too_long_for_four_byte_delta_times_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """W1: 300,000 beats at 960 ticks per beat needs five-byte delta times, which no reader opens."""
    target = tmp_path / "long.mid"
    with pytest.raises(FileWriteError, match="lasts more than 200,000 beats"):
        write_score(_four_notes(F(300_000)), target)
    assert list(tmp_path.iterdir()) == []


def test_a_note_whose_tail_passes_the_limit_is_refused() -> None:
    score = Score(tracks=(Track("tail", (Note(F(MAX_BEATS - 1), 60, F(10)),)),))
    with pytest.raises(FileWriteError, match="200,000 beats"):
        score_to_midi_bytes(score)


def test_the_longest_score_allowed_is_written_and_read_back(tmp_path: Path) -> None:
    score = _four_notes(F(MAX_BEATS - 1))
    write_score(score, tmp_path / "long.mid")
    assert read_score(tmp_path / "long.mid").tracks[0].notes == score.tracks[0].notes


def test_more_tracks_than_the_reader_opens_are_refused(tmp_path: Path) -> None:
    """W2: with the conductor track, 1,024 Tracks would make 1,025 MIDI tracks."""
    tracks = tuple(Track(f"t{i}", (Note(F(0), 60, F(1), channel=i % 9),), channel=i % 9) for i in range(1024))
    with pytest.raises(FileWriteError, match="1,024 tracks; MusicAssist handles at most 1,023"):
        write_score(Score(tracks=tracks), tmp_path / "many.mid")
    write_score(Score(tracks=tracks[:MAX_TRACKS]), tmp_path / "enough.mid")
    assert len(read_score(tmp_path / "enough.mid").tracks) == MAX_TRACKS


def test_the_bytes_are_what_mido_writes_for_the_same_messages() -> None:
    """mido parses the file and, saving it again, produces the very same bytes."""
    data = score_to_midi_bytes(read_midi_bytes(good_midi()))
    buffer = io.BytesIO()
    mido.MidiFile(file=io.BytesIO(data)).save(file=buffer)
    assert buffer.getvalue() == data


def test_notes_rounding_onto_one_tick_leave_no_note_without_its_end() -> None:
    """Two notes of one pitch 1/10,000 of a beat apart round onto the same tick: both are written, each
    note-on with its note-off (the resolution cannot be raised to 10,000 within a MIDI header's limit... it
    can: so ask for 960 explicitly)."""
    notes = (Note(F(0), 60, F(1)), Note(F(1, 10_000), 60, F(2)))
    back = read_midi_bytes(score_to_midi_bytes(Score(tracks=(Track("x", notes),)), ticks_per_beat=960))
    assert [(n.start, n.duration) for n in back.tracks[0].notes] == [(F(0), F(1)), (F(0), F(2))]


def test_the_source_resolution_is_kept_unless_new_times_need_a_finer_one() -> None:
    from musicassist.io.midi_writer import midi_resolution

    read = Score(tracks=(Track("x", (Note(F(1, 96), 60, F(1, 48)),)),), ticks_per_beat=96)
    assert midi_resolution(read) == 96
    assert midi_resolution(read.with_tracks([read.tracks[0].with_notes([Note(F(1, 3), 62, F(1, 3))])])) == 96
    quintuplet = read.with_tracks([read.tracks[0].with_notes([*read.tracks[0].notes, Note(F(1, 5), 64, F(1, 5))])])
    assert midi_resolution(quintuplet) == 480  # the least common multiple: every source tick still lands exactly
    back = read_midi_bytes(score_to_midi_bytes(quintuplet))
    assert back.notes == quintuplet.notes and back.ticks_per_beat == 480


def test_a_transposed_file_says_its_new_key_not_the_one_it_was_read_with() -> None:
    from musicassist.core import transpose
    from musicassist.core.events import RawEvent
    from musicassist.core.timemaps import KeySignature

    # Read with G flat spelled as six flats (kept as an event): a semitone up is G, written anew.
    score = Score(tracks=(Track("x", (Note(F(0), 66, F(1)),)),), key=KeySignature(6),
                  events=(RawEvent(F(0), 0x59, b"\xfa\x00"),))
    keys = [e.data for e in read_midi_bytes(score_to_midi_bytes(score)).events if e.meta_type == 0x59]  # type: ignore[union-attr]
    assert keys == [b"\xfa\x00"]  # six flats stay six flats
    up = read_midi_bytes(score_to_midi_bytes(transpose(score, 1)))
    assert up.key == KeySignature(7) and [e.data for e in up.events if isinstance(e, RawEvent)
                                          and e.meta_type == 0x59] == [b"\x01\x00"]
