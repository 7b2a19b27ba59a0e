"""Check a MIDI file's bytes cheaply before mido parses them.

mido trusts the file: it loops over as many tracks as the header announces,
reads chunk lengths as given, builds a Python object per event (~150,000
events a second) and raises whatever the damage provokes (EOFError, KeyError,
IndexError, OSError, ...). This module walks the chunks and events in one fast
pass (millions of events a second) so that damaged and absurd files are
refused early, in bounded time, with a sentence a composer understands:

- the header is read and its track count and time resolution checked;
- every chunk must fit inside the file ("it ends in the middle of track 3");
- every event must fit inside its chunk and use valid status and data bytes;
- the number of events is capped (400,000: two per note of the largest
  score ``core.limits`` allows, plus room for controllers), so a
  10-million-event file is refused before anything is built per event;
- a header must announce every track the file holds (a file whose extra
  tracks would be dropped without a word is refused).

The walk also repairs what mido would choke on but a composer would not care
about: unknown chunks (e.g. Yamaha XF) are dropped, bytes after a track's
end-of-track event are cut, and meta events whose data mido cannot decode (a
key signature with 9 flats, a 2-byte tempo) are retyped as an unknown meta
event so mido keeps them as ``UnknownMetaMessage`` and reading goes on.
A RIFF MIDI (``.rmi``) wrapper is unwrapped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from musicassist.core.errors import FileFormatError

MAX_TRACKS = 1024
MAX_EVENTS = 400_000  # the event walk in midi_file reads ~1,000,000 events a second

_UNDEFINED_META_TYPE = 0x60  # no meta spec uses it: mido builds an UnknownMetaMessage
_META_END_OF_TRACK = 0x2F
# Bytes of data following the status byte of channel messages 0x80..0xE0.
CHANNEL_DATA_LENGTH = {0x8: 2, 0x9: 2, 0xA: 2, 0xB: 2, 0xC: 1, 0xD: 1, 0xE: 2}
# System common and real-time messages mido can read, and their data lengths.
SYSTEM_DATA_LENGTH = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}


@dataclass(frozen=True)
class CheckedMidi:
    """A MIDI file that passed the checks: header fields and cleaned track chunks."""

    file_type: int
    division: int  # signed, as mido stores it: negative means SMPTE timing
    track_chunks: tuple[bytes, ...]  # event bytes of each MTrk chunk, without chunk header
    event_count: int


class _Damage(Exception):
    """Raised inside the event walk; turned into a FileFormatError naming the track."""


def check_midi_bytes(data: bytes) -> CheckedMidi:
    """Validate and clean a whole MIDI file, or raise FileFormatError saying what is wrong."""
    data = _unwrap_riff(data)
    file_type, announced, division, position = _read_header(data)
    chunks: list[bytes] = []
    events = 0
    size = len(data)
    while len(chunks) < announced:
        track_number = len(chunks) + 1
        if position >= size:
            raise FileFormatError(
                f"This MIDI file is damaged: it announces {announced:,} tracks but holds only {len(chunks)}."
            )
        if position + 8 > size:
            raise FileFormatError(f"This MIDI file is damaged: it ends in the middle of track {track_number}.")
        chunk_id, length = struct.unpack_from(">4sL", data, position)
        start, end = position + 8, position + 8 + length
        if end > size:
            raise FileFormatError(f"This MIDI file is damaged: it ends in the middle of track {track_number}.")
        position = end
        if chunk_id != b"MTrk":
            if _is_chunk_name(chunk_id):
                continue  # an extension chunk (XF, karaoke): skipped, as the standard asks
            raise FileFormatError(
                f"This MIDI file is damaged: track {track_number} does not start where it should."
            )
        try:
            cleaned, count = _walk_events(data, start, end, MAX_EVENTS - events)
        except _Damage as damage:
            if end == size and str(damage) == "overrun":
                raise FileFormatError(
                    f"This MIDI file is damaged: it ends in the middle of track {track_number}."
                ) from None
            raise FileFormatError(_damage_sentence(str(damage), track_number)) from None
        events += count
        chunks.append(cleaned)
    _refuse_unannounced_tracks(data, position, announced)
    return CheckedMidi(file_type, division, tuple(chunks), events)


def _refuse_unannounced_tracks(data: bytes, position: int, announced: int) -> None:
    """Trailing padding is harmless, but whole tracks after the announced ones would be lost silently."""
    extra = 0
    while position + 8 <= len(data) and data[position : position + 4] == b"MTrk":
        extra += 1
        (length,) = struct.unpack_from(">L", data, position + 4)
        position += 8 + length
    if extra:
        tracks = "track" if announced == 1 else "tracks"
        raise FileFormatError(
            f"This MIDI file is damaged: its header announces {announced:,} {tracks} but it holds "
            f"{announced + extra:,}."
        )


def _damage_sentence(kind: str, track_number: int) -> str:
    if kind == "too many events":
        return f"This MIDI file has more than {MAX_EVENTS:,} events, more than MusicAssist can open."
    if kind == "overrun":
        return f"This MIDI file is damaged: an event in track {track_number} runs past the end of the track."
    return f"This MIDI file is damaged: track {track_number} contains bytes that are not MIDI events."


def _is_chunk_name(chunk_id: bytes) -> bool:
    return all(0x20 <= b < 0x7F for b in chunk_id)


def _unwrap_riff(data: bytes) -> bytes:
    """Return the standard MIDI file inside a RIFF RMID wrapper, or ``data`` unchanged."""
    if not (data[:4] == b"RIFF" and data[8:12] == b"RMID"):
        return data
    position = 12
    while position + 8 <= len(data):
        chunk_id, length = struct.unpack_from("<4sL", data, position)
        if chunk_id == b"data":
            if position + 8 + length > len(data):
                raise FileFormatError("This RIFF MIDI file is damaged: it ends in the middle of its MIDI data.")
            return data[position + 8 : position + 8 + length]
        position += 8 + length + (length & 1)  # RIFF chunks are padded to even lengths
    raise FileFormatError("This RIFF MIDI file is damaged: it holds no MIDI data.")


def _read_header(data: bytes) -> tuple[int, int, int, int]:
    """(file type, announced tracks, signed division, position after the header chunk)."""
    if data[:4] != b"MThd":
        raise FileFormatError("This file is not a MIDI file: it does not start with a MIDI header.")
    if len(data) < 14:
        raise FileFormatError("This MIDI file is damaged: it ends in the middle of its header.")
    (length,) = struct.unpack_from(">L", data, 4)
    if length < 6:
        raise FileFormatError("This MIDI file is damaged: its header is too short.")
    if 8 + length > len(data):
        raise FileFormatError("This MIDI file is damaged: it ends in the middle of its header.")
    file_type, announced, division = struct.unpack_from(">HHh", data, 8)
    if file_type > 2:
        raise FileFormatError(f"This MIDI file uses an unknown layout (format {file_type}).")
    if announced == 0:
        raise FileFormatError("This MIDI file contains no tracks.")
    if announced > MAX_TRACKS:
        raise FileFormatError(
            f"This MIDI file announces {announced:,} tracks; MusicAssist opens files with at most "
            f"{MAX_TRACKS:,}."
        )
    if division == 0 or (division < 0 and (division & 0xFF) == 0):
        raise FileFormatError("This MIDI file is damaged: its header gives no time resolution.")
    if division < 0 and -(division >> 8) not in (24, 25, 29, 30):
        raise FileFormatError("This MIDI file is damaged: its header gives an unknown frame rate.")
    return file_type, announced, division, 8 + length


def _walk_events(data: bytes, start: int, end: int, budget: int) -> tuple[bytes, int]:
    """Walk one track's events; return its cleaned bytes and its number of events.

    Raises ``_Damage("overrun" | "bad bytes" | "too many events")``. Kept as
    one flat loop with local names because it runs once per event.
    """
    position = start
    running_status: int | None = None
    count = 0
    patches: list[int] = []  # offsets of meta type bytes to retype
    while position < end:
        count += 1
        if count > budget:
            raise _Damage("too many events")
        position = _skip_variable_int(data, position, end)
        if position >= end:
            raise _Damage("overrun")
        status = data[position]
        if status < 0x80:  # running status: the byte is already data
            if running_status is None:
                raise _Damage("bad bytes")
            length = CHANNEL_DATA_LENGTH[running_status >> 4]
            if position + length > end:
                raise _Damage("overrun")
            if length == 2 and data[position + 1] >= 0x80:
                raise _Damage("bad bytes")
            position += length
            continue
        position += 1
        if status < 0xF0:
            running_status = status
            length = CHANNEL_DATA_LENGTH[status >> 4]
            if position + length > end:
                raise _Damage("overrun")
            if data[position] >= 0x80 or (length == 2 and data[position + 1] >= 0x80):
                raise _Damage("bad bytes")
            position += length
        elif status == 0xFF:
            running_status = None
            if position >= end:
                raise _Damage("overrun")
            meta_type = data[position]
            length, payload = _read_variable_int(data, position + 1, end)
            if payload + length > end:
                raise _Damage("overrun")
            if not _meta_decodes(meta_type, data[payload : payload + min(length, 8)], length):
                patches.append(position - start)
            position = payload + length
            if meta_type == _META_END_OF_TRACK:
                end = position  # anything after end-of-track is not part of the track
        elif status in (0xF0, 0xF7):
            running_status = None
            length, payload = _read_variable_int(data, position, end)
            if payload + length > end:
                raise _Damage("overrun")
            position = payload + length
        elif status in SYSTEM_DATA_LENGTH:
            running_status = None
            position += SYSTEM_DATA_LENGTH[status]
            if position > end:
                raise _Damage("overrun")
        else:
            raise _Damage("bad bytes")
    if not patches:
        return data[start:end], count
    cleaned = bytearray(data[start:end])
    for offset in patches:
        cleaned[offset] = _UNDEFINED_META_TYPE
    return bytes(cleaned), count


def _skip_variable_int(data: bytes, position: int, end: int) -> int:
    """Position after a variable-length quantity (at most 4 bytes by the standard)."""
    for _ in range(4):
        if position >= end:
            raise _Damage("overrun")
        byte = data[position]
        position += 1
        if byte < 0x80:
            return position
    raise _Damage("bad bytes")


def _read_variable_int(data: bytes, position: int, end: int) -> tuple[int, int]:
    """(value, position after it) of a variable-length quantity."""
    value = 0
    for _ in range(4):
        if position >= end:
            raise _Damage("overrun")
        byte = data[position]
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, position
    raise _Damage("bad bytes")


def _meta_decodes(meta_type: int, head: bytes, length: int) -> bool:
    """Whether mido can decode this meta event's data (it raises on the ones that fail here)."""
    if meta_type == 0x00:  # sequence number: 0 or 2+ bytes
        return length != 1
    if meta_type == 0x20:  # channel prefix
        return length >= 1
    if meta_type == 0x51:  # tempo: 3 bytes
        return length >= 3
    if meta_type == 0x54:  # SMPTE offset: 5 bytes, frame-rate code 0..3
        return length >= 5 and (head[0] >> 5) <= 3
    if meta_type == 0x58:  # time signature: 4 bytes
        return length >= 4
    if meta_type == 0x59:  # key signature: -7..7 sharps, major (0) or minor (1)
        if length < 2:
            return False
        sharps = head[0] - 256 if head[0] > 127 else head[0]
        return -7 <= sharps <= 7 and head[1] in (0, 1)
    return True
