"""Standard MIDI files <-> Score: the converter pair and byte-level read/write.

Reading (``read_midi_bytes``): ``midi_guard`` checks the bytes, one pass
over each checked track gathers its events (no mido objects: a 125,000-note
file reads in well under a second), and the score is checked against
``core.limits`` before it is built. A file comes back with everything in it
(issue 10): a composer who opens a DAW or notation export and saves it again
must not lose its pedalling, expression or mix. Choices:

- Ticks become exact ``Fraction`` beats, and the file's resolution is kept
  (``Score.ticks_per_beat``) so saving writes the same ticks. SMPTE-timed
  files (frames per second instead of ticks per beat) are read at a fixed
  120 BPM, so one second is two beats; their tempo events are ignored since
  SMPTE time does not follow them.
- Notes pair first-in first-out per channel and pitch, as sequencers do: the
  first note-off ends the oldest sounding note. Overlapping notes of one
  pitch are kept as paired, and so are duplicates. Note-on with velocity 0
  is a note-off. A note that never ends stops at the end of the file (or a
  beat after its start when the file ends right there). A note-off on the
  note-on's own tick gives a zero-length note: ``core.score.ZERO_LENGTH``
  long, which the writer writes back as a note-on and a note-off on one tick.
- Every other channel message becomes a ``ChannelEvent`` of its Track
  (control change, pitch bend, channel and polyphonic pressure, program
  change); every meta event but end-of-track and tempo, and every sysex,
  becomes a byte-exact ``RawEvent``: of the first Track a MIDI
  track gives, or of the piece (``Score.events``) for a format 1 conductor
  track and for a format 0 file. The first track-name event names the Track.
- Each channel of each MIDI track with notes or channel events becomes a
  Track named after the track (a format 0 file is split by channel, its
  parts named after their instruments); channel 10 stays the drum channel.
  Format 2 files are read as if their tracks played together.
- A Track's instrument is the program in force at its first note (a
  conductor track's program changes count too); every program change also
  stays an event at its time.
- Tempi are kept exact in microseconds per beat (``TempoChange.us_per_beat``),
  every ``set_tempo`` of the file, even one repeating the tempo before it.
- The first key signature becomes the score's key, later ones its
  ``key_changes``; time signatures make the meter map as before. Each also
  stays a ``RawEvent`` so that a key's spelling (six flats or six sharps), a
  meter's metronome clocks, a repeated signature and the track holding it
  are written back as they were (the writer drops the ones an edit made stale).
- The piece ends where its conductor track (a track without notes) ends.

Writing is ``midi_writer``'s job (``score_to_midi_bytes`` is re-exported
here with its pair); ``midi_to_score``/``score_to_midi`` convert mido files
for tests and tools, through the same bytes.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import mido

from musicassist.core.errors import FileFormatError
from musicassist.core.events import ChannelEvent, ChannelKind, Event, RawEvent, sorted_events
from musicassist.core.limits import MAX_TRACKS, beats_problem, size_problem
from musicassist.core.score import ZERO_LENGTH, Note, Score, Track
from musicassist.core.timemaps import KeyChange, KeySignature, TimeSignature

from .general_midi import instrument_name
from .midi_guard import SYSTEM_DATA_LENGTH, check_midi_bytes
from .midi_writer import DEFAULT_TICKS_PER_BEAT, score_to_midi_bytes, stale_signature
from .timeline import exact_tempo_map, meter_map_from_positions, time_signature_or_none

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


def score_to_midi(score: Score, ticks_per_beat: int | None = None) -> mido.MidiFile:
    """The score as a mido file (for inspection): the bytes ``score_to_midi_bytes`` writes, parsed by mido."""
    return mido.MidiFile(file=io.BytesIO(score_to_midi_bytes(score, ticks_per_beat)))


# ---------------------------------------------------------------------------------------------- reading

_KINDS: dict[int, ChannelKind] = {0xA0: "polytouch", 0xB0: "control_change", 0xC0: "program_change",
                                  0xD0: "aftertouch", 0xE0: "pitchwheel"}
_SYSEX = -1  # RawEvent.meta_type of a sysex event
_MODELLED_META = (0x2F, 0x51)  # end of track, and tempo: the tempo map holds every one exactly


@dataclass
class _TrackEvents:
    """What one MIDI track says, gathered in one pass over its messages."""

    name: str = ""
    named: bool = False
    end_tick: int = 0
    notes: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    programs: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    # Channel events by channel: (tick, status kind, number, value), in file order.
    controls: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    raw: list[tuple[int, int, bytes]] = field(default_factory=list)  # (tick, meta type or -1, data)
    # For each raw event, how many channel events each channel had before it in the file: at one tick
    # the two kinds are put back in file order (a sysex reset before the controllers it resets).
    raw_positions: list[dict[int, int]] = field(default_factory=list)

    def add_raw(self, tick: int, meta_type: int, data: bytes) -> None:
        self.raw.append((tick, meta_type, data))
        self.raw_positions.append({channel: len(found) for channel, found in self.controls.items()})
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
    """One checked track's notes, channel events, meta events and sysex, in one pass over its bytes.

    ``midi_guard`` has already checked that every event fits and that its bytes
    are valid, so this loop trusts them; it is the reading hot path (about a
    million events a second, where building a mido message per event managed
    150,000).
    """
    events = _TrackEvents()
    notes, programs, controls = events.notes, events.programs, events.controls
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
                if started:  # first in, first out: the oldest sounding note of this pitch ends
                    start, on_velocity = started.popleft()
                    notes[status & 0x0F].append((start, tick, pitch, on_velocity))
        elif kind < 0xF0:
            running = status
            channel = status & 0x0F
            if kind in (0xC0, 0xD0):
                number, value = (chunk[position], 0) if kind == 0xC0 else (0, chunk[position])
                position += 1
                if kind == 0xC0:
                    programs[channel].append((tick, number))
            elif kind == 0xE0:
                number, value = 0, (chunk[position] | (chunk[position + 1] << 7)) - 8192
                position += 2
            else:
                number, value = chunk[position], chunk[position + 1]
                position += 2
            controls[channel].append((tick, kind, number, value))
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
            data = chunk[position : position + length]
            position += length
            # As mido reads it: the payload without its closing F7 (the writer adds it back).
            events.add_raw(tick, _SYSEX, data[:-1] if data.endswith(b"\xf7") else data)
        else:
            position += SYSTEM_DATA_LENGTH.get(status, 0)
    events.end_tick = tick
    for (channel, pitch), started in sounding.items():
        for start, velocity in started:
            notes[channel].append((start, -1, pitch, velocity))  # ends with the file, see _close
    return events


def _in_file_order(raw: Sequence[Event], raw_positions: list[int], channel_events: list[Event]) -> list[Event]:
    """Raw and channel events of one track merged as the file had them: raw event i came after the first
    ``raw_positions[i]`` channel events (both lists are in file order, so also in time order)."""
    merged: list[Event] = []
    taken = 0
    for event, position in zip(raw, raw_positions, strict=True):
        merged += channel_events[taken:position]
        taken = max(taken, position)
        merged.append(event)
    merged += channel_events[taken:]
    return merged


def _variable_int(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[position]
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, position


def _meta_event(events: _TrackEvents, meta_type: int, data: bytes, tick: int) -> None:
    if meta_type == 0x03 and not events.named:
        events.name = _decode_text(data)  # the first name names the Track; later ones stay events
        events.named = True
        return
    if meta_type == 0x51:
        events.tempos.append((tick, (data[0] << 16) | (data[1] << 8) | data[2]))
    elif meta_type == 0x58:
        time_signature = time_signature_or_none(data[0], 2 ** data[1]) if data[1] < 8 else None
        if time_signature is not None:
            events.meters.append((tick, time_signature))
    elif meta_type == 0x59:
        sharps = data[0] - 256 if data[0] > 127 else data[0]
        if -7 <= sharps <= 7 and data[1] in (0, 1):
            events.keys.append((tick, KeySignature.from_sharps(sharps, "minor" if data[1] else "major")))
    if meta_type not in _MODELLED_META:
        events.add_raw(tick, meta_type, bytes(data))


def _events_to_score(division: int, file_type: int, per_track: list[_TrackEvents]) -> Score:
    """Build the Score from the walked tracks, after checking what it would hold against ``core.limits``."""
    tick_length = beats_per_tick(division)
    smpte = division < 0
    end_tick = max((events.end_tick for events in per_track), default=0)
    problem = beats_problem(end_tick * tick_length)
    parts = sum(len(_channels(events)) for events in per_track)
    if problem is None and parts > MAX_TRACKS:
        problem = f"its tracks split into {parts:,} parts by channel; MusicAssist handles at most {MAX_TRACKS:,}"
    if problem is not None:
        raise FileFormatError(f"MusicAssist cannot open this MIDI file: {problem}.")
    beat = _beat_cache(tick_length)
    tempos = [] if smpte else [(beat(tick), tempo) for events in per_track for tick, tempo in events.tempos]
    meters = [change for events in per_track for change in events.meters]
    keys = sorted((change for events in per_track for change in events.keys), key=lambda change: change[0])
    tracks, piece_events = _build_tracks(per_track, beat, end_tick, format_zero=file_type == 0)
    meter_map = meter_map_from_positions((tick * tick_length, ts) for tick, ts in meters)
    end_beat = _structure_end(per_track, end_tick) * tick_length
    changes = {beat(tick): key for tick, key in keys[1:]}  # on one beat the last wins
    score = Score(
        tracks=tuple(tracks),
        meter_map=meter_map,
        tempo_map=exact_tempo_map(tempos),
        key=keys[0][1] if keys else None,
        key_changes=tuple(KeyChange(at, key) for at, key in changes.items() if at > 0),
        title=_title(per_track, file_type),
        length_bars=meter_map.bars_to_cover(end_beat),
        events=piece_events,
        ticks_per_beat=division if division > 0 else None,
    )
    problem = size_problem(score)  # bars: a tiny meter can make many bars of a short piece
    if problem is not None:
        raise FileFormatError(f"MusicAssist cannot open this MIDI file: {problem}.")
    return _without_stale_signatures(score)


def _without_stale_signatures(score: Score) -> Score:
    """The score without the signature events its own maps contradict (a time signature inside a bar,
    which the meter map moved to the next barline; one of two on a beat): the writer would leave them
    out, so reading what it writes would not give this score back."""
    def kept(events: tuple[Event, ...]) -> tuple[Event, ...]:
        return tuple(e for e in events if not stale_signature(score, e))

    signatures = (0x58, 0x59)
    if not any(isinstance(e, RawEvent) and e.meta_type in signatures
               for events in (score.events, *(t.events for t in score.tracks)) for e in events):
        return score
    tracks = tuple(t.with_sorted(t.notes, kept(t.events)) for t in score.tracks)
    return replace(score, tracks=tracks, events=kept(score.events))


def _beat_cache(tick_length: Fraction) -> Callable[[int], Fraction]:
    cache: dict[int, Fraction] = {}
    numerator, denominator = tick_length.numerator, tick_length.denominator

    def beat(ticks: int) -> Fraction:
        # Lengths and times repeat a lot; building each Fraction once halves the time of big files.
        found = cache.get(ticks)
        if found is None:
            found = cache[ticks] = Fraction(ticks * numerator, denominator)
        return found

    return beat


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


def _build_tracks(per_track: list[_TrackEvents], beat: Callable[[int], Fraction], end_tick: int,
                  format_zero: bool) -> tuple[list[Track], tuple[Event, ...]]:
    """The Tracks, and the events of the piece as a whole (a conductor track's, a format 0 file's)."""
    first_program_anywhere: dict[int, int] = {}
    for events in per_track:
        for channel, changes in events.programs.items():
            first_program_anywhere.setdefault(channel, min(changes)[1])
    one_beat = math.ceil(1 / beat(1))
    tracks: list[Track] = []
    piece_events: list[Event] = []
    unchecked = Note.unchecked  # the walk gives pitches and velocities in range
    for events in per_track:
        channels = _channels(events)
        raw = [RawEvent(beat(tick), meta_type, data) for tick, meta_type, data in events.raw]
        if format_zero or not channels:
            piece_events += raw
            raw = []
        for number, channel in enumerate(channels):
            found = events.notes.get(channel, [])
            program = _program_for(events.programs.get(channel, []), found, first_program_anywhere.get(channel, 0))
            timed = sorted(_close(item, end_tick, one_beat) for item in found)  # Note order: start, pitch, end
            notes = tuple(unchecked(beat(start), pitch, ZERO_LENGTH if end == start else beat(end - start),
                                    velocity, channel)
                          for start, pitch, end, velocity in timed)
            channel_events: list[Event] = [ChannelEvent.unchecked(beat(tick), _KINDS[kind], channel, value_number,
                                                                  value)
                                           for tick, kind, value_number, value in events.controls.get(channel, [])]
            if number == 0 and raw:
                channel_events = _in_file_order(raw, [p.get(channel, 0) for p in events.raw_positions],
                                                channel_events)
            tracks.append(Track.presorted(
                _track_name(events.name, channel, program, len(channels), format_zero),
                notes, program, channel, tuple(channel_events),
            ))
    return tracks, sorted_events(piece_events)


def _channels(events: _TrackEvents) -> list[int]:
    """The channels of a MIDI track that become Tracks: those with notes or other channel messages."""
    return sorted(set(events.notes) | set(events.controls))


def _close(item: tuple[int, int, int, int], end_tick: int, one_beat: int) -> tuple[int, int, int, int]:
    """(start, pitch, end, velocity) of a paired note: a never-released note lasts to the end of the
    file (or a beat, when the file ends right there); a note-off on its own tick gives end == start."""
    start, end, pitch, velocity = item
    if end < 0:
        end = end_tick if end_tick > start else start + one_beat
    return start, pitch, end, velocity


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
