"""The pre-scan: what it refuses, what it repairs, and that mido then reads what it lets through."""

from __future__ import annotations

import struct

import pytest

from musicassist.core import FileFormatError
from musicassist.io import midi_guard
from musicassist.io.midi_file import read_midi_bytes
from musicassist.io.midi_guard import check_midi_bytes

from . import midi_bytes as mb

ONE_NOTE = mb.note_on(0, 0, 60, 100) + mb.note_off(480, 0, 60) + mb.END_OF_TRACK


def refused(data: bytes) -> str:
    with pytest.raises(FileFormatError) as caught:
        check_midi_bytes(data)
    return str(caught.value)


def test_a_sound_file_passes_with_its_header_fields_and_event_count() -> None:
    checked = check_midi_bytes(mb.midi_file(ONE_NOTE, ONE_NOTE, file_type=1, division=96))
    assert (checked.file_type, checked.division, len(checked.track_chunks)) == (1, 96, 2)
    assert checked.event_count == 6


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"MThd\x00\x00\x00\x06\x00\x01", "middle of its header"),
        (b"MThd\x00\x00\x00\x02\x00\x01\x00\x01\x01\xe0", "header is too short"),
        (mb.header(3, 1) + mb.chunk(ONE_NOTE), "unknown layout (format 3)"),
        (mb.header(1, 0), "contains no tracks"),
        (mb.header(1, 2000) + mb.chunk(ONE_NOTE), "announces 2,000 tracks"),
        (mb.header(1, 1, division=0) + mb.chunk(ONE_NOTE), "no time resolution"),
        (mb.header(1, 1, division=-(23 << 8) | 40) + mb.chunk(ONE_NOTE), "unknown frame rate"),
        (mb.header(1, 1) + b"MTr", "ends in the middle of track 1"),
        (mb.header(1, 2) + mb.chunk(ONE_NOTE) + mb.chunk(ONE_NOTE)[:-2], "ends in the middle of track 2"),
        (mb.header(1, 1) + b"\x00\x01\x02\x03" + struct.pack(">L", 4) + b"abcd", "does not start where it should"),
        (mb.midi_file(b"\x00\x90\x3c\xc0" + mb.END_OF_TRACK), "not MIDI events"),  # velocity byte >= 0x80
        (mb.midi_file(b"\x00\xf4" + mb.END_OF_TRACK), "not MIDI events"),  # undefined status byte
        (mb.midi_file(b"\x00\xf0\x05\x01\x02" + mb.END_OF_TRACK[:1]), "ends in the middle of track 1"),
        (mb.midi_file(b"\x00\x90\x3c", ONE_NOTE), "an event in track 1 runs past the end"),
    ],
)
def test_damage_is_described_in_one_sentence(data: bytes, says: str) -> None:
    assert says in refused(data)


def test_sysex_cancels_running_status() -> None:
    data = mb.midi_file(mb.note_on(0, 0, 60, 90) + b"\x00\xf0\x02\x01\xf7" + b"\x00\x3c\x00" + mb.END_OF_TRACK)
    assert "not MIDI events" in refused(data)


def test_event_cap_counts_across_tracks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(midi_guard, "MAX_EVENTS", 5)
    check_midi_bytes(mb.midi_file(ONE_NOTE))  # 3 events
    assert "more than 5 events" in refused(mb.midi_file(ONE_NOTE, ONE_NOTE))


def test_extension_chunks_are_skipped_and_do_not_count_as_tracks() -> None:
    data = mb.header(1, 1) + mb.chunk(b"XF data", name=b"XFIH") + mb.chunk(ONE_NOTE)
    checked = check_midi_bytes(data)
    assert len(checked.track_chunks) == 1
    assert read_midi_bytes(data).note_count == 1


def test_bytes_after_the_last_track_are_ignored() -> None:
    assert read_midi_bytes(mb.midi_file(ONE_NOTE) + b"\x00" * 100 + b"garbage").note_count == 1


def test_bytes_after_end_of_track_inside_a_chunk_are_cut() -> None:
    checked = check_midi_bytes(mb.midi_file(ONE_NOTE + b"\x99\x98 trailing junk"))
    assert checked.track_chunks[0] == ONE_NOTE


def test_riff_midi_is_unwrapped() -> None:
    inner = mb.midi_file(ONE_NOTE)
    riff = b"RIFF" + struct.pack("<L", len(inner) + 12) + b"RMID" + b"data" + struct.pack("<L", len(inner)) + inner
    assert read_midi_bytes(riff).note_count == 1


@pytest.mark.parametrize(
    "bad_meta",
    [
        mb.meta(0, 0x59, b"\x09\x00"),  # key signature with 9 sharps
        mb.meta(0, 0x59, b"\x00\x05"),  # key signature in mode 5
        mb.meta(0, 0x59, b"\x00"),  # key signature cut short
        mb.meta(0, 0x51, b"\x07\xa1"),  # tempo of two bytes
        mb.meta(0, 0x58, b"\x04\x02"),  # time signature of two bytes
        mb.meta(0, 0x54, b"\xff\x00\x00\x00\x00"),  # SMPTE offset with frame-rate code 7
        mb.meta(0, 0x00, b"\x01"),  # sequence number of one byte
        mb.meta(0, 0x20, b""),  # empty channel prefix
    ],
)
def test_meta_events_mido_cannot_decode_are_set_aside_and_the_music_is_kept(bad_meta: bytes) -> None:
    score = read_midi_bytes(mb.midi_file(bad_meta + ONE_NOTE))
    assert [(n.pitch, n.duration) for n in score.notes] == [(60, 1)]


def test_realtime_bytes_inside_a_track_are_tolerated() -> None:
    assert read_midi_bytes(mb.midi_file(b"\x00\xf8" + ONE_NOTE)).note_count == 1


def test_track_without_end_of_track_reads() -> None:
    assert read_midi_bytes(mb.midi_file(ONE_NOTE[: -len(mb.END_OF_TRACK)])).note_count == 1
