"""Build MIDI files byte by byte, to test what mido's writer would never produce."""

from __future__ import annotations

import struct


def vlq(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def header(file_type: int = 1, tracks: int = 1, division: int = 480) -> bytes:
    return b"MThd" + struct.pack(">LHHh", 6, file_type, tracks, division)


def chunk(events: bytes, name: bytes = b"MTrk", length: int | None = None) -> bytes:
    return name + struct.pack(">L", len(events) if length is None else length) + events


def midi_file(*tracks: bytes, file_type: int = 1, division: int = 480) -> bytes:
    """A whole file from the event bytes of each track (end-of-track is not added)."""
    return header(file_type, len(tracks), division) + b"".join(chunk(t) for t in tracks)


END_OF_TRACK = b"\x00\xff\x2f\x00"


def note_on(delta: int, channel: int, pitch: int, velocity: int) -> bytes:
    return vlq(delta) + bytes([0x90 | channel, pitch, velocity])


def note_off(delta: int, channel: int, pitch: int) -> bytes:
    return vlq(delta) + bytes([0x80 | channel, pitch, 0])


def meta(delta: int, meta_type: int, data: bytes) -> bytes:
    return vlq(delta) + bytes([0xFF, meta_type]) + vlq(len(data)) + data


def tempo(delta: int, microseconds_per_beat: int) -> bytes:
    return meta(delta, 0x51, microseconds_per_beat.to_bytes(3, "big"))


def time_signature(delta: int, numerator: int, denominator: int) -> bytes:
    return meta(delta, 0x58, bytes([numerator, denominator.bit_length() - 1, 24, 8]))


def program(delta: int, channel: int, number: int) -> bytes:
    return vlq(delta) + bytes([0xC0 | channel, number])


def repeated_notes_file(events: int) -> bytes:
    """One track of ``events`` note events, 3 bytes each thanks to running status."""
    body = b"\x00\x90\x3c\x40" + b"\x00\x3c\x40" * (events - 1)
    return header(0, 1) + chunk(body)
