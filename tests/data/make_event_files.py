"""Build the hand-made MIDI files of ``tests/data/events`` (issue 10): every kind of event a MIDI file
can hold, so that the tests can check that ``convert`` keeps each one at its time.

    .venv/bin/python tests/data/make_event_files.py

The output is committed; the tests never run this. mido builds the files, except the track that uses
running status, which mido never writes: its bytes are packed here by hand.
"""

from __future__ import annotations

import struct
from pathlib import Path

import mido

HERE = Path(__file__).resolve().parent / "events"
TICKS = 384  # not the writer's 960: the tests check that the source resolution is kept


def _absolute(track: mido.MidiTrack, events: list[tuple[int, mido.Message | mido.MetaMessage]]) -> None:
    """Append (absolute tick, message) pairs to ``track`` as delta times, in the given order at equal ticks."""
    now = 0
    for tick, message in sorted(events, key=lambda event: event[0]):
        track.append(message.copy(time=tick - now))
        now = tick


def every_event() -> mido.MidiFile:
    """Format 1: a conductor with every meta kind, a piano track with every channel message, drums."""
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    bar = 4 * TICKS
    conductor = mido.MidiTrack()
    _absolute(conductor, [
        (0, mido.MetaMessage("track_name", name="Every Event")),
        (0, mido.MetaMessage("copyright", text="(c) 2026 Test Composer")),
        (0, mido.MetaMessage("text", text="hand-built for MusicAssist")),
        (0, mido.MetaMessage("smpte_offset", frame_rate=25, hours=1, minutes=0, seconds=0, frames=0, sub_frames=0)),
        (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
        (0, mido.MetaMessage("key_signature", key="Gb")),  # six flats: written back as six flats
        (0, mido.MetaMessage("set_tempo", tempo=465172)),  # the odd tempo issue 10 found rewritten
        (0, mido.MetaMessage("sequencer_specific", data=(0x00, 0x00, 0x41, 0x01, 0x02))),
        (0, mido.UnknownMetaMessage(0x60, data=(1, 2, 3))),
        (0, mido.Message("sysex", data=(0x7E, 0x7F, 0x09, 0x01))),  # General MIDI on
        (bar, mido.MetaMessage("marker", text="Verse")),
        (bar, mido.MetaMessage("cue_marker", text="lights")),
        (2 * bar, mido.MetaMessage("key_signature", key="C#m")),  # a key change inside the piece
        (2 * bar, mido.MetaMessage("set_tempo", tempo=600001)),
        (2 * bar + TICKS // 3, mido.MetaMessage("set_tempo", tempo=600001)),  # a repeated tempo stays too
        (3 * bar, mido.MetaMessage("time_signature", numerator=3, denominator=4)),
        (3 * bar, mido.MetaMessage("marker", text="Coda")),
        (4 * bar, mido.MetaMessage("end_of_track")),
    ])
    midi.tracks.append(conductor)

    piano = mido.MidiTrack()
    events: list[tuple[int, mido.Message | mido.MetaMessage]] = [
        (0, mido.MetaMessage("track_name", name="Piano")),
        (0, mido.MetaMessage("instrument_name", name="Grand")),
        (0, mido.Message("control_change", channel=0, control=0, value=1)),  # bank select MSB
        (0, mido.Message("control_change", channel=0, control=32, value=3)),  # bank select LSB
        (0, mido.Message("program_change", channel=0, program=1)),
        # RPN 0 (pitch-bend range) = 12 semitones, then RPN null: meaningful only in this order.
        (0, mido.Message("control_change", channel=0, control=101, value=0)),
        (0, mido.Message("control_change", channel=0, control=100, value=0)),
        (0, mido.Message("control_change", channel=0, control=6, value=12)),
        (0, mido.Message("control_change", channel=0, control=38, value=0)),
        (0, mido.Message("control_change", channel=0, control=101, value=127)),
        (0, mido.Message("control_change", channel=0, control=100, value=127)),
        (0, mido.Message("control_change", channel=0, control=7, value=100)),
        (0, mido.Message("control_change", channel=0, control=10, value=40)),
        (0, mido.Message("control_change", channel=0, control=91, value=60)),
        (0, mido.Message("control_change", channel=0, control=93, value=20)),
        (5, mido.Message("control_change", channel=0, control=64, value=127)),
        (bar - 7, mido.Message("control_change", channel=0, control=64, value=0)),
        (bar, mido.Message("control_change", channel=0, control=64, value=127)),
        (0, mido.MetaMessage("lyrics", text="Hel-")),
        (TICKS, mido.MetaMessage("lyrics", text="lo")),
    ]
    for step in range(0, TICKS, 24):  # a bend up and back, and modulation and breath
        events.append((bar + step, mido.Message("pitchwheel", channel=0, pitch=min(8191, step * 20))))
        events.append((bar + step, mido.Message("control_change", channel=0, control=1, value=step // 4)))
        events.append((bar + step + 3, mido.Message("control_change", channel=0, control=2, value=step // 3)))
    events.append((bar + TICKS, mido.Message("pitchwheel", channel=0, pitch=-8192)))
    events.append((bar + TICKS + 1, mido.Message("pitchwheel", channel=0, pitch=0)))
    for step in range(0, 2 * TICKS, 48):  # channel pressure and polyphonic pressure on a held note
        events.append((2 * bar + step, mido.Message("aftertouch", channel=0, value=step % 128)))
        events.append((2 * bar + step + 1, mido.Message("polytouch", channel=0, note=64, value=(step + 7) % 128)))
    notes = [  # (start, end, pitch, velocity)
        (0, TICKS, 60, 90), (TICKS, 2 * TICKS, 62, 80),
        (2 * TICKS, 2 * TICKS, 64, 70),  # zero-length
        (3 * TICKS, 3 * TICKS + 200, 65, 60), (3 * TICKS + 100, 3 * TICKS + 300, 65, 61),  # overlapping, FIFO
        (bar, bar + TICKS, 67, 100), (bar, bar + TICKS, 67, 50),  # a doubled note
        (2 * bar, 2 * bar + 2 * TICKS, 64, 77),
        (3 * bar, 3 * bar + 3 * TICKS, 48, 70), (3 * bar, 3 * bar + 3 * TICKS, 60, 70),
    ]
    for start, end, pitch, velocity in notes:
        events.append((start, mido.Message("note_on", channel=0, note=pitch, velocity=velocity)))
        events.append((end, mido.Message("note_off", channel=0, note=pitch, velocity=0)))
    events.append((3 * bar + 3 * TICKS, mido.Message("control_change", channel=0, control=64, value=0)))
    events.append((4 * bar, mido.MetaMessage("end_of_track")))
    # Stable sort by tick: a note-on listed before its zero-length note-off stays before it.
    _absolute(piano, events)
    midi.tracks.append(piano)

    drums = mido.MidiTrack()
    drum_events: list[tuple[int, mido.Message | mido.MetaMessage]] = [(0, mido.MetaMessage("track_name", name="Kit"))]
    for beat in range(12):  # zero-length drum hits, as many drum exports write them
        pitch = 36 if beat % 2 == 0 else 38
        drum_events.append((beat * TICKS, mido.Message("note_on", channel=9, note=pitch, velocity=100)))
        drum_events.append((beat * TICKS, mido.Message("note_on", channel=9, note=pitch, velocity=0)))
    drum_events.append((2 * bar, mido.Message("control_change", channel=9, control=7, value=90)))
    _absolute(drums, drum_events)
    midi.tracks.append(drums)
    return midi


def _variable(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def running_status_track() -> bytes:
    """An MTrk chunk on channel 2 written with running status (status bytes left out where they repeat),
    as hardware sequencers and many older files write them: notes, a controller sweep, bends."""
    body = bytearray()
    body += b"\x00\xff\x03" + _variable(len(b"Strings")) + b"Strings"
    body += b"\x00\xc1\x30"  # program 48 on channel 2
    body += b"\x00\xb1\x0b\x40"  # expression 64, then its running status sweep:
    for value in range(66, 100, 2):
        body += _variable(12) + bytes((0x0B, value))
    body += b"\x00\x91\x3c\x50" + _variable(0) + b"\x40\x50"  # two note-ons, the second in running status
    body += _variable(TICKS) + b"\x3c\x00" + _variable(0) + b"\x40\x00"  # their ends: note-on velocity 0
    body += b"\x00\xe1\x00\x50" + _variable(48) + b"\x00\x60" + _variable(48) + b"\x00\x40"  # bends
    body += _variable(TICKS) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">L", len(body)) + bytes(body)


def format_zero() -> mido.MidiFile:
    """Format 0: one track holding two channels, their controllers, a marker and a sysex."""
    midi = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack()
    _absolute(track, [
        (0, mido.MetaMessage("track_name", name="Format Zero Song")),
        (0, mido.MetaMessage("set_tempo", tempo=512345)),
        (0, mido.MetaMessage("key_signature", key="F#")),  # six sharps
        (0, mido.Message("sysex", data=(0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00, 0x41))),  # GS reset
        (0, mido.Message("program_change", channel=0, program=40)),
        (0, mido.Message("program_change", channel=3, program=33)),
        (0, mido.Message("control_change", channel=3, control=64, value=127)),
        (0, mido.Message("note_on", channel=0, note=76, velocity=90)),
        (0, mido.Message("note_on", channel=3, note=40, velocity=90)),
        (96, mido.MetaMessage("marker", text="B")),
        (96, mido.Message("note_off", channel=0, note=76, velocity=64)),
        (120, mido.Message("pitchwheel", channel=0, pitch=1000)),
        (144, mido.Message("pitchwheel", channel=0, pitch=0)),
        (192, mido.Message("note_off", channel=3, note=40, velocity=0)),
        (200, mido.Message("control_change", channel=3, control=64, value=0)),
        (384, mido.MetaMessage("end_of_track")),
    ])
    midi.tracks.append(track)
    return midi


def main() -> None:
    HERE.mkdir(exist_ok=True)
    every = every_event()
    every.save(HERE / "every_event.mid")
    with_running = bytearray((HERE / "every_event.mid").read_bytes())
    struct.pack_into(">H", with_running, 10, 4)  # one more track in the header
    (HERE / "every_event.mid").write_bytes(bytes(with_running) + running_status_track())
    format_zero().save(HERE / "format_zero.mid")
    for path in sorted(HERE.glob("*.mid")):
        print(path.name, sum(len(t) for t in mido.MidiFile(path).tracks), "messages")


if __name__ == "__main__":
    main()
