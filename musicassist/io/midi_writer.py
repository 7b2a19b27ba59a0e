"""Score -> standard MIDI file bytes, written directly (no mido objects), within what the reader opens.

Format 1: a conductor track (title, meters, key signatures, tempi, the
piece's own meta events, ending at the last barline) then one track per
Track with its name, program change, events and notes on the Track's
channel. Building a mido message per event made saving a 125,000-note piece
take 18 s; packing the bytes here takes a fraction of a second and gives the
bytes mido would write (no running status).

What was read is written back (issue 10):

- Resolution: the score's own ``ticks_per_beat`` (the file it was read
  from) when every time in the score falls on its ticks; else the least
  common multiple of it and what the times need (a continuation in
  triplets added to a 96-tick file: still 96; quintuplets: 480), when that
  fits a MIDI header (32,767) and the delta times; else the source
  resolution, rounding. A score never read from MIDI starts from 960.
- Tempi: the exact microseconds per beat a file gave (``TempoChange.us_per_beat``).
- Notes: one note-on and one note-off per note, overlapping notes of one
  pitch included. At one tick, note-offs of earlier notes come first (a
  repeated note is not cut by its own note-off), then the events and the
  note-ons, then the note-offs of zero-length notes (``ZERO_LENGTH``), so a
  reader that pairs first-in first-out (ours, sequencers) gets back every
  note it read. (Notes of one pitch that an edit nested, a short one inside
  a long one, come back with the same note-on and note-off times, paired
  first-in first-out: no MIDI file can say otherwise.) A note never gets
  shorter than one tick unless it is a zero-length note.
- Events: every ``ChannelEvent`` on the Track's channel, every ``RawEvent``
  byte-exact (a sysex with its F0 ... F7 framing), in their order at equal
  times. A Track with program change events has the one that sets its
  instrument (in force at the first note) written with ``Track.program``, so
  changing the instrument works; a Track without gets one at its start
  unless no Track of its channel needs one (``channels_needing_programs``):
  a file that had none gets none.
- Key and time signatures: a signature ``RawEvent`` that still says the key
  or meter the score has at its time is written as it was (spelling, clocks
  and track kept); the others are stale (a transposition, a key or meter
  edit) and are left out. The conductor track says every key and meter
  change that no kept event says.

Everything written can be read back: a score beyond ``core.limits`` (too
long for four-byte delta times, more tracks than the reader opens, more
events than it reads) is refused with one sentence instead of being saved.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from operator import itemgetter

from musicassist.core.events import ChannelEvent, Event, RawEvent, instrument_event_index
from musicassist.core.limits import beats_problem, size_problem
from musicassist.core.score import ZERO_LENGTH, Note, Score, Track
from musicassist.core.timemaps import KeySignature, TimeSignature

from .atomic import FileWriteError
from .midi_guard import MAX_EVENTS
from .timeline import time_signature_or_none

DEFAULT_TICKS_PER_BEAT = 960
MAX_TICKS_PER_BEAT = 0x7FFF  # the header's 15 bits
_KEY_SIGNATURE, _TIME_SIGNATURE = 0x59, 0x58
_TICK_AND_PRIORITY = itemgetter(0, 1)
_ZERO_LENGTH_DENOMINATOR = ZERO_LENGTH.denominator
MAX_DELTA = 0x0FFFFFFF  # four bytes of a variable-length quantity
_META, _END_OF_TRACK = 0xFF, b"\xff\x2f\x00"
_ONE_BYTE = tuple(bytes((value,)) for value in range(0x80))


def _tick(beat: Fraction, ticks_per_beat: int) -> int:
    """Nearest tick (halves round up), in integers: ``floor(beat * ticks_per_beat + 1/2)``."""
    numerator, denominator = beat.numerator * ticks_per_beat, beat.denominator
    return numerator if denominator == 1 else (2 * numerator + denominator) // (2 * denominator)


def _variable_int(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _meta(kind: int, data: bytes) -> bytes:
    return bytes((_META, kind)) + _variable_int(len(data)) + data


def _chunk(events: list[tuple[int, int, bytes]], end_tick: int) -> bytes:
    """An MTrk chunk from (tick, priority, event bytes), sorted stably by tick then priority."""
    events.sort(key=_TICK_AND_PRIORITY)
    parts = []
    previous = 0
    small = _ONE_BYTE
    for tick, _, payload in events:
        delta = tick - previous
        parts.append(small[delta] if delta < 0x80 else _variable_int(delta))
        parts.append(payload)
        previous = tick
    parts.append(_variable_int(max(0, end_tick - previous)))
    parts.append(_END_OF_TRACK)
    body = b"".join(parts)
    return b"MTrk" + struct.pack(">L", len(body)) + body


def _key_bytes(key: KeySignature) -> bytes:
    return struct.pack(">bB", key.sharps, 0 if key.mode == "major" else 1)


def _raw_bytes(event: RawEvent) -> bytes:
    if event.is_sysex:
        data = event.data + b"\xf7"
        return b"\xf0" + _variable_int(len(data)) + data
    return _meta(event.meta_type, event.data)


def _channel_bytes(event: ChannelEvent, channel: int, program: int | None = None) -> bytes:
    kind = event.kind
    if kind == "control_change":
        return bytes((0xB0 | channel, event.number, event.value))
    if kind == "pitchwheel":
        value = event.value + 8192
        return bytes((0xE0 | channel, value & 0x7F, value >> 7))
    if kind == "aftertouch":
        return bytes((0xD0 | channel, event.value))
    if kind == "polytouch":
        return bytes((0xA0 | channel, event.number, event.value))
    return bytes((0xC0 | channel, event.number if program is None else program))


def _written_key(event: RawEvent) -> KeySignature | None:
    """The key a key-signature meta event says (None when it says none the core can hold)."""
    if len(event.data) < 2:
        return None
    sharps = event.data[0] - 256 if event.data[0] > 127 else event.data[0]
    if not -7 <= sharps <= 7 or event.data[1] not in (0, 1):
        return None
    return KeySignature.from_sharps(sharps, "minor" if event.data[1] else "major")


def stale_signature(score: Score, event: Event) -> bool:
    """A key or time signature event that does not say what the score has at its time (an edit
    changed the key or the meter there; or a file's signature that the meter map moved to a barline or
    another one on its beat overrode): the writer leaves it out, the conductor track says the score's."""
    if not isinstance(event, RawEvent):
        return False
    if event.meta_type == _KEY_SIGNATURE:
        written = _written_key(event)
        return written is not None and written != score.key_at(event.time)
    if event.meta_type == _TIME_SIGNATURE:
        return _written_meter(event) != _meter_from(score, event.time)
    return False


def _written_meter(event: RawEvent) -> TimeSignature | None:
    data = event.data
    return time_signature_or_none(data[0], 2 ** data[1]) if len(data) >= 2 and data[1] < 8 else None


def _meter_from(score: Score, beat: Fraction) -> TimeSignature:
    """The meter from ``beat`` on: of its bar on a barline, else of the next bar (the reader moves a
    change inside a bar to the next barline)."""
    return score.meter_map.time_signature_at_bar(score.meter_map.bars_to_cover(beat))


def _conductor(score: Score, ticks_per_beat: int) -> list[tuple[int, int, bytes]]:
    events: list[tuple[int, int, bytes]] = []
    if score.title:
        events.append((0, 0, _meta(0x03, score.title.encode("utf-8"))))
    # Meters and keys the kept signature events (as they were read) do not already say.
    # A kept time signature inside a bar says the meter from the next barline, where the reader puts it.
    carried = {(event.meta_type, event.time if event.meta_type == _KEY_SIGNATURE
                else score.bar_start(score.meter_map.bars_to_cover(event.time)))
               for events in (score.events, *(t.events for t in score.tracks)) for event in events
               if isinstance(event, RawEvent) and event.meta_type in (_KEY_SIGNATURE, _TIME_SIGNATURE)
               and not stale_signature(score, event)}
    for change in score.meter_map.changes:
        signature = change.time_signature
        beat = score.meter_map.bar_start(change.bar)
        if (_TIME_SIGNATURE, beat) in carried:
            continue
        data = bytes((signature.numerator, signature.denominator.bit_length() - 1, 24, 8))
        events.append((_tick(beat, ticks_per_beat), 1, _meta(_TIME_SIGNATURE, data)))
    keys = [(Fraction(0), score.key)] + [(change.beat, change.key) for change in score.key_changes]
    for beat, key in keys:
        if key is not None and (_KEY_SIGNATURE, beat) not in carried:
            events.append((_tick(beat, ticks_per_beat), 2, _meta(_KEY_SIGNATURE, _key_bytes(key))))
    for tempo in score.tempo_map.changes:
        events.append((_tick(tempo.beat, ticks_per_beat), 3, _meta(0x51, tempo.microseconds.to_bytes(3, "big"))))
    for event in score.events:  # the piece's own meta and sysex (a channel message belongs to a Track)
        if isinstance(event, RawEvent) and not stale_signature(score, event):
            events.append((_tick(event.time, ticks_per_beat), 4, _raw_bytes(event)))
    return events


def _is_zero_length(note: Note) -> bool:
    duration = note.duration
    return duration.numerator == 1 and duration.denominator == _ZERO_LENGTH_DENOMINATOR


def note_ticks(notes: tuple[Note, ...], ticks_per_beat: int) -> list[tuple[int, int, int, int]]:
    """(start, pitch, end, velocity) in ticks, in reading order; end == start only for a zero-length note."""
    items = []
    for note in notes:
        start = _tick(note.start, ticks_per_beat)
        if _is_zero_length(note):
            items.append((start, note.pitch, start, note.velocity))
            continue
        # The end's tick in integers: adding Fractions (note.end) would double the time of a large save.
        a, b, c, d = note.start.numerator, note.start.denominator, note.duration.numerator, note.duration.denominator
        items.append((start, note.pitch, max(start + 1, (2 * (a * d + c * b) * ticks_per_beat + b * d) // (2 * b * d)),
                      note.velocity))
    return items


def _instrument_event(track: Track) -> int | None:
    return instrument_event_index(track.events, track.notes[0].start if track.notes else None)


def channels_needing_programs(score: Score) -> set[int]:
    """Channels whose Tracks without program change events get one written at their start.

    A reader gives such a Track the first program change found anywhere on its channel, else
    General MIDI's default 0. So a channel is left without program changes only when none of its
    Tracks has one, plays anything but program 0, or is empty (the program change is what keeps an
    empty track, on its channel, in the file): a file that had none gets none back.
    """
    needing = set()
    for track in score.tracks:
        sounding = track.notes or any(isinstance(e, ChannelEvent) for e in track.events)
        if track.program != 0 or not sounding or _instrument_event(track) is not None:
            needing.add(track.channel)
    return needing


def _track_events(score: Score, track: Track, ticks_per_beat: int, needing_programs: set[int],
                  notes: slice = slice(None), events_slice: slice = slice(None),
                  header: bool = True) -> list[tuple[int, int, bytes]]:
    """(tick, priority, bytes) of a track's name, program, events and notes (of the ``notes`` and
    ``events_slice`` slices and the header only when asked: ``midi_splice`` writes parts of a track)."""
    channel = track.channel
    events: list[tuple[int, int, bytes]] = []
    if header and track.name:
        events.append((0, 0, _meta(0x03, track.name.encode("utf-8"))))
    instrument = _instrument_event(track)
    # A program change only where one is needed to give the Track its instrument: a file that had
    # none (a piano part) gets none, so reading what we write gives back the events that were read.
    if header and instrument is None and channel in needing_programs:
        events.append((0, 1, bytes((0xC0 | channel, track.program))))
    first = events_slice.indices(len(track.events))[0]
    for index, event in enumerate(track.events[events_slice], start=first):
        if isinstance(event, ChannelEvent):
            payload = _channel_bytes(event, channel, track.program if index == instrument else None)
        elif stale_signature(score, event):
            continue
        else:
            payload = _raw_bytes(event)
        events.append((_tick(event.time, ticks_per_beat), 3, payload))
    note_on, note_off = 0x90 | channel, 0x80 | channel
    for start, pitch, end, velocity in note_ticks(track.notes[notes], ticks_per_beat):
        # At one tick: offs of earlier notes before the note-ons (a repeated pitch is not cut short), and
        # a zero-length note's on and off before the other note-ons, so that first-in first-out pairing
        # finds it again and a synth's note-off does not silence a note starting on the same tick.
        zero = end == start
        events.append((start, 4 if zero else 6, bytes((note_on, pitch, velocity))))
        events.append((end, 5 if zero else 2, bytes((note_off, pitch, 0))))
    return events


def midi_resolution(score: Score) -> int:
    """Ticks per beat to save ``score`` at: its source's when every time falls on a tick of it, else
    the least common multiple with what the times need, when a header and the delta times can hold it."""
    base = score.ticks_per_beat or DEFAULT_TICKS_PER_BEAT
    needed = {1}
    for track in score.tracks:
        needed.update(note.start.denominator for note in track.notes)
        needed.update(note.duration.denominator for note in track.notes if not _is_zero_length(note))
        needed.update(event.time.denominator for event in track.events)
    needed.update(event.time.denominator for event in score.events)
    needed.update(change.beat.denominator for change in score.tempo_map.changes)
    needed.update(change.beat.denominator for change in score.key_changes)
    needed.update(score.bar_start(change.bar).denominator for change in score.meter_map.changes)
    needed.add(score.end.denominator)
    fine = math.lcm(base, *needed)
    if fine == base:
        return base
    last = max(score.end, max((t.notes[-1].end for t in score.tracks if t.notes), default=Fraction(0)))
    return fine if fine <= MAX_TICKS_PER_BEAT and last * fine <= MAX_DELTA else base


def score_to_midi_bytes(score: Score, ticks_per_beat: int | None = None) -> bytes:
    """The score as a format 1 MIDI file; FileWriteError when the reader could not open the result.

    ``ticks_per_beat`` None chooses the resolution (``midi_resolution``)."""
    if ticks_per_beat is None:
        ticks_per_beat = midi_resolution(score)
    if not 1 <= ticks_per_beat <= MAX_TICKS_PER_BEAT:
        raise FileWriteError("The MIDI resolution must be between 1 and 32767 ticks per beat.")
    problem = size_problem(score)  # core.limits.MAX_TRACKS leaves room for the conductor track
    if problem is not None:
        raise FileWriteError(f"This score cannot be saved as MIDI: {problem}.")
    end_tick = _tick(score.end, ticks_per_beat)
    needing_programs = channels_needing_programs(score)
    all_events = [_conductor(score, ticks_per_beat),
                  *(_track_events(score, t, ticks_per_beat, needing_programs) for t in score.tracks)]
    count = sum(len(events) + 1 for events in all_events)
    if count > MAX_EVENTS:
        raise FileWriteError(
            f"This score cannot be saved as MIDI: it needs {count:,} events; MusicAssist opens MIDI files "
            f"of up to {MAX_EVENTS:,}."
        )
    last_tick = max(end_tick, max((e[0] for events in all_events for e in events), default=0))
    problem = beats_problem(Fraction(last_tick, ticks_per_beat))  # a note's tail past the limit
    if problem is None and last_tick > MAX_DELTA:  # only at a high resolution: 960 ticks per beat stays below
        problem = "it is too long for a MIDI file's delta times at this resolution"
    if problem is not None:
        raise FileWriteError(f"This score cannot be saved as MIDI: {problem}.")
    header = b"MThd" + struct.pack(">LHHH", 6, 1, len(all_events), ticks_per_beat)
    ends = [end_tick] + [0] * len(score.tracks)
    return header + b"".join(_chunk(events, end) for events, end in zip(all_events, ends, strict=True))
