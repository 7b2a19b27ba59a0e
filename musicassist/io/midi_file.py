"""Standard MIDI files <-> Score: the converter pair and byte-level read/write.

Reading (``read_midi_bytes``): ``midi_guard`` checks the bytes, one pass
over each checked track gathers its events (no mido objects: a 125,000-note
file reads in well under a second), and the score is checked against
``core.limits`` before it is built. Choices, so that a file reads as a
composer would hear it:

- Ticks become exact ``Fraction`` beats. SMPTE-timed files (frames per
  second instead of ticks per beat) are read at a fixed 120 BPM, so one
  second is two beats; their tempo events are ignored since SMPTE time does
  not follow them.
- Notes pair first-in first-out per channel and pitch (the first note-off
  ends the oldest sounding note); then ``core.resolve_overlaps``'s rule (run
  on integer ticks, for speed) cuts a note where the next one of the same
  pitch starts, as a synth retriggers. Note-on with velocity 0 is a
  note-off. A note that never ends stops at the end of the file; a note-off
  on the very tick of its note-on gives a note one tick long (drum files do
  this).
- Each channel of each MIDI track becomes a Track named after the track (a
  format 0 file is split by channel, its parts named after their
  instruments); channel 10 stays the drum channel. Format 2 files are read
  as if their tracks played together.
- A Track's instrument is the program in force at its first note (a
  conductor track's program changes count too); later changes are ignored
  because a Track has one instrument.
- The first key signature becomes the score's key; later ones are ignored.
- The piece ends where its conductor track (a track without notes) ends.

Writing is ``midi_writer``'s job (``score_to_midi_bytes`` is re-exported
here with its pair); ``midi_to_score``/``score_to_midi`` convert mido files
for tests and tools, through the same bytes.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from fractions import Fraction

import mido

from musicassist.core.errors import FileFormatError
from musicassist.core.limits import MAX_TRACKS, beats_problem, size_problem
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import KeySignature, TimeSignature

from .general_midi import instrument_name
from .midi_guard import CHANNEL_DATA_LENGTH, SYSTEM_DATA_LENGTH, check_midi_bytes
from .midi_writer import DEFAULT_TICKS_PER_BEAT, resolve_tick_overlaps, score_to_midi_bytes
from .timeline import meter_map_from_positions, tempo_map_from_positions, time_signature_or_none

__all__ = ["DEFAULT_TICKS_PER_BEAT", "midi_to_score", "read_midi_bytes", "score_to_midi", "score_to_midi_bytes"]

SMPTE_BPM = 120.0


def read_midi_bytes(data: bytes) -> Score:
    """Check, walk and convert the bytes of a MIDI file."""
    checked = check_midi_bytes(data)
    return _events_to_score(checked.division, checked.file_type, [_walk_track(c) for c in checked.track_chunks])


def midi_to_score(midi: mido.MidiFile) -> Score:
    """Convert a mido MIDI file (one built in memory, say): its bytes go through the same checks and walk."""
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return read_midi_bytes(buffer.getvalue())


def score_to_midi(score: Score, ticks_per_beat: int = DEFAULT_TICKS_PER_BEAT) -> mido.MidiFile:
    """The score as a mido file (for inspection): the bytes ``score_to_midi_bytes`` writes, parsed by mido."""
    return mido.MidiFile(file=io.BytesIO(score_to_midi_bytes(score, ticks_per_beat)))


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class _TrackEvents:
    """What one MIDI track says, gathered in one pass over its messages."""

    name: str = ""
    end_tick: int = 0
    notes: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    programs: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    tempos: list[tuple[int, int]] = field(default_factory=list)  # (tick, microseconds per quarter note)
    meters: list[tuple[int, TimeSignature]] = field(default_factory=list)
    keys: list[tuple[int, KeySignature]] = field(default_factory=list)


def beats_per_tick(division: int) -> Fraction:
    """Length of one tick in quarter notes; a negative division is SMPTE (read at 120 BPM)."""
    if division > 0:
        return Fraction(1, division)
    frames_per_second = -(division >> 8)
    ticks_per_frame = division & 0xFF
    if ticks_per_frame == 0 or frames_per_second not in (24, 25, 29, 30):
        raise FileFormatError("This MIDI file is damaged: its header gives no time resolution.")
    exact_fps = Fraction(2997, 100) if frames_per_second == 29 else Fraction(frames_per_second)
    return Fraction(SMPTE_BPM / 60) / (exact_fps * ticks_per_frame)


def _walk_track(chunk: bytes) -> _TrackEvents:
    """One checked track's notes, programs, name and conductor events, in one pass over its bytes.

    ``midi_guard`` has already checked that every event fits and that its bytes
    are valid, so this loop trusts them; it is the reading hot path (about a
    million events a second, where building a mido message per event managed
    150,000).
    """
    events = _TrackEvents()
    notes, programs = events.notes, events.programs
    sounding: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
    tick = position = running = 0
    end = len(chunk)
    while position < end:
        byte = chunk[position]
        position += 1
        delta = byte & 0x7F
        while byte & 0x80:
            byte = chunk[position]
            position += 1
            delta = (delta << 7) | (byte & 0x7F)
        tick += delta
        status = chunk[position]
        if status < 0x80:
            status = running  # running status: the byte is already data
        else:
            position += 1
        kind = status & 0xF0
        if kind in (0x80, 0x90):
            running = status
            pitch, velocity = chunk[position], chunk[position + 1]
            position += 2
            if kind == 0x90 and velocity > 0:
                sounding[(status & 0x0F, pitch)].append((tick, velocity))
            else:
                started = sounding.get((status & 0x0F, pitch))
                if started:
                    start, on_velocity = started.popleft()
                    notes[status & 0x0F].append((start, tick, pitch, on_velocity))
        elif kind == 0xC0:
            running = status
            programs[status & 0x0F].append((tick, chunk[position]))
            position += 1
        elif kind < 0xF0:
            running = status
            position += CHANNEL_DATA_LENGTH[kind >> 4]
        elif status == 0xFF:
            meta_type = chunk[position]
            length, position = _variable_int(chunk, position + 1)
            data = chunk[position : position + length]
            position += length
            if meta_type == 0x2F:
                break
            _meta_event(events, meta_type, data, tick)
        elif status in (0xF0, 0xF7):
            length, position = _variable_int(chunk, position)
            position += length
        else:
            position += SYSTEM_DATA_LENGTH.get(status, 0)
    events.end_tick = tick
    for (channel, pitch), started in sounding.items():
        for start, velocity in started:
            notes[channel].append((start, -1, pitch, velocity))  # ends with the file, see _close
    return events


def _variable_int(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[position]
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, position


def _meta_event(events: _TrackEvents, meta_type: int, data: bytes, tick: int) -> None:
    if meta_type == 0x03 and not events.name:
        events.name = _decode_text(data)
    elif meta_type == 0x51:
        events.tempos.append((tick, (data[0] << 16) | (data[1] << 8) | data[2]))
    elif meta_type == 0x58:
        time_signature = time_signature_or_none(data[0], 2 ** data[1]) if data[1] < 8 else None
        if time_signature is not None:
            events.meters.append((tick, time_signature))
    elif meta_type == 0x59:
        sharps = data[0] - 256 if data[0] > 127 else data[0]
        events.keys.append((tick, KeySignature.from_sharps(sharps, "minor" if data[1] else "major")))


def _events_to_score(division: int, file_type: int, per_track: list[_TrackEvents]) -> Score:
    """Build the Score from the walked tracks, after checking what it would hold against ``core.limits``."""
    tick_length = beats_per_tick(division)
    smpte = division < 0
    end_tick = max((events.end_tick for events in per_track), default=0)
    problem = beats_problem(end_tick * tick_length)
    parts = sum(len(_channels(events, index)) for index, events in enumerate(per_track))
    if problem is None and parts > MAX_TRACKS:
        problem = f"its tracks split into {parts:,} parts by channel; MusicAssist handles at most {MAX_TRACKS:,}"
    if problem is not None:
        raise FileFormatError(f"MusicAssist cannot open this MIDI file: {problem}.")
    tempos = [(tick, 60_000_000 / tempo) for events in per_track for tick, tempo in events.tempos
              if not smpte and tempo > 0]
    meters = [change for events in per_track for change in events.meters]
    keys = [change for events in per_track for change in events.keys]
    tracks = _build_tracks(per_track, tick_length, end_tick, format_zero=file_type == 0)
    meter_map = meter_map_from_positions((tick * tick_length, ts) for tick, ts in meters)
    tempo_map = tempo_map_from_positions((tick * tick_length, bpm) for tick, bpm in tempos)
    end_beat = _structure_end(per_track, end_tick) * tick_length
    score = Score(
        tracks=tuple(tracks),
        meter_map=meter_map,
        tempo_map=tempo_map,
        key=min(keys, key=lambda k: k[0])[1] if keys else None,
        title=_title(per_track, file_type),
        length_bars=meter_map.bars_to_cover(end_beat),
    )
    problem = size_problem(score)  # bars: a tiny meter can make many bars of a short piece
    if problem is not None:
        raise FileFormatError(f"MusicAssist cannot open this MIDI file: {problem}.")
    return score


def _structure_end(per_track: list[_TrackEvents], end_tick: int) -> int:
    """Tick where the piece ends, for its number of bars.

    A conductor track (one without notes) ends where the piece ends: that is
    where ``score_to_midi`` puts its end, so empty bars at the end survive.
    Without one, the file's end counts only when it lies after the last
    note-off (trailing silence); a note ringing past a barline adds no bar
    (the score already counts bars up to its last note start).
    """
    conductors = [events.end_tick for events in per_track if not events.notes]
    if conductors:
        return max(conductors)
    last_note_off = max((n[1] for events in per_track for notes in events.notes.values() for n in notes), default=0)
    return end_tick if end_tick > last_note_off else 0


def _build_tracks(
    per_track: list[_TrackEvents], tick_length: Fraction, end_tick: int, format_zero: bool
) -> list[Track]:
    first_program_anywhere: dict[int, int] = {}
    for events in per_track:
        for channel, changes in events.programs.items():
            first_program_anywhere.setdefault(channel, min(changes)[1])
    cache: dict[int, Fraction] = {}

    def beat(ticks: int) -> Fraction:
        # Lengths repeat a lot; building each Fraction once halves the time of big files.
        found = cache.get(ticks)
        if found is None:
            found = cache[ticks] = Fraction(ticks * tick_length.numerator, tick_length.denominator)
        return found

    tracks = []
    for index, events in enumerate(per_track):
        channels = _channels(events, index)
        for channel in channels:
            raw = events.notes.get(channel, [])
            program = _program_for(events.programs.get(channel, []), raw, first_program_anywhere.get(channel, 0))
            one_beat = math.ceil(1 / tick_length)
            timed = resolve_tick_overlaps([_close(item, end_tick, one_beat) for item in raw])
            unchecked = Note.unchecked  # the walk gives pitches and velocities in range, lengths of 1+ ticks
            # resolve_tick_overlaps returns the notes in Note order (start, pitch, length; one channel).
            tracks.append(Track.presorted(
                _track_name(events.name, channel, program, len(channels), format_zero),
                tuple(unchecked(beat(start), pitch, beat(end - start), velocity, channel)
                      for start, pitch, end, velocity in timed),
                program, channel,
            ))
    return tracks


def _channels(events: _TrackEvents, index: int) -> list[int]:
    """The channels of a MIDI track that become Tracks: those with notes (or its one program)."""
    channels = sorted(events.notes)
    if not channels and index > 0 and len(events.programs) == 1:
        channels = list(events.programs)  # an instrument track without notes yet: keep it
    return channels


def _close(item: tuple[int, int, int, int], end_tick: int, one_beat: int) -> tuple[int, int, int, int]:
    """Give a note an end: a never-released note lasts to the end of the file (or a beat, when
    the file ends right there); a note-off on the note-on's own tick gives a one-tick note."""
    start, end, pitch, velocity = item
    if end < 0:
        end = end_tick if end_tick > start else start + one_beat
    return start, max(end, start + 1), pitch, velocity


def _program_for(changes: list[tuple[int, int]], notes: list[tuple[int, int, int, int]], fallback: int) -> int:
    """The program in force at the track's first note (or its first program change)."""
    if not changes:
        return fallback
    first_note = min((n[0] for n in notes), default=None)
    before = [c for c in changes if first_note is None or c[0] <= first_note]
    return (before[-1] if before else changes[0])[1]


def _track_name(name: str, channel: int, program: int, channel_count: int, format_zero: bool) -> str:
    if format_zero:  # the one track's name is the song's title; name the parts by instrument
        return instrument_name(program, channel)
    if channel_count > 1:
        return f"{name or instrument_name(program, channel)} (channel {channel + 1})"
    return name


def _title(per_track: list[_TrackEvents], file_type: int) -> str:
    """A format 0 track's name, or a format 1 conductor track's name (a first track without notes)."""
    if not per_track:
        return ""
    first = per_track[0]
    return first.name if file_type == 0 or not first.notes else ""


def _decode_text(data: bytes) -> str:
    """Most files today hold UTF-8 text; older ones Latin-1."""
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return data.decode("latin-1").strip()
