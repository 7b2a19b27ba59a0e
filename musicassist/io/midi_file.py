"""Standard MIDI files <-> Score: the converter pair and byte-level read/write.

Reading (``read_midi_bytes``): ``midi_guard`` checks the bytes, mido parses
each checked track, ``midi_to_score`` converts. Choices, so that a file reads
as a composer would hear it:

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

Writing (``score_to_midi``): format 1, a conductor track (title, meters,
key, tempi, ending at the last barline) then one track per Track with its
name, program change and notes on the Track's channel, overlaps resolved
first so the file is unambiguous. Names are stored as UTF-8.
"""

from __future__ import annotations

import io
import math
import struct
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from fractions import Fraction

import mido

from musicassist.core.edits import resolve_overlaps
from musicassist.core.errors import FileFormatError, ScoreError
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import KeySignature, TimeSignature

from .general_midi import instrument_name
from .midi_guard import CheckedMidi, check_midi_bytes
from .timeline import meter_map_from_positions, tempo_map_from_positions, time_signature_or_none

DEFAULT_TICKS_PER_BEAT = 960
SMPTE_BPM = 120.0
_SINGLE_TRACK_HEADER = b"MThd" + struct.pack(">LHHh", 6, 0, 1, 480)
_MAJOR_BY_SHARPS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR_BY_SHARPS = tuple(
    name + "m" for name in ("Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")
)


def read_midi_bytes(data: bytes) -> Score:
    """Check, parse and convert the bytes of a MIDI file."""
    return midi_to_score(parse_checked_midi(check_midi_bytes(data)))


def parse_checked_midi(checked: CheckedMidi) -> mido.MidiFile:
    """Let mido parse each checked track on its own, so a failure names its track."""
    tracks = []
    for number, chunk in enumerate(checked.track_chunks, start=1):
        single = _SINGLE_TRACK_HEADER + b"MTrk" + struct.pack(">L", len(chunk)) + chunk
        try:
            tracks.append(mido.MidiFile(file=io.BytesIO(single)).tracks[0])
        except Exception as exc:  # mido raises EOFError, KeyError, OSError, ValueError... on odd data
            raise FileFormatError(
                f"This MIDI file is damaged: track {number} contains data that MusicAssist cannot read."
            ) from exc
    return mido.MidiFile(type=checked.file_type, ticks_per_beat=checked.division, tracks=tracks)


def score_to_midi_bytes(score: Score, ticks_per_beat: int = DEFAULT_TICKS_PER_BEAT) -> bytes:
    buffer = io.BytesIO()
    score_to_midi(score, ticks_per_beat).save(file=buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class _TrackEvents:
    """What one MIDI track says, gathered in one pass over its messages."""

    name: str = ""
    end_tick: int = 0
    notes: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    programs: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))


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


def midi_to_score(midi: mido.MidiFile) -> Score:
    """Convert a parsed MIDI file (see the module docstring for the choices made)."""
    division = int(midi.ticks_per_beat)
    tick_length = beats_per_tick(division)
    smpte = division < 0
    tempos: list[tuple[int, float]] = []
    meters: list[tuple[int, TimeSignature]] = []
    keys: list[tuple[int, str]] = []
    per_track: list[_TrackEvents] = []
    end_tick = 0
    for track in midi.tracks:
        events = _TrackEvents()
        sounding: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
        tick = 0
        for message in track:
            tick += message.time
            kind = message.type
            if kind == "note_on" and message.velocity > 0:
                sounding[(message.channel, message.note)].append((tick, message.velocity))
            elif kind in ("note_off", "note_on"):
                started = sounding.get((message.channel, message.note))
                if started:
                    start, velocity = started.popleft()
                    events.notes[message.channel].append((start, tick, message.note, velocity))
            elif kind == "program_change":
                events.programs[message.channel].append((tick, message.program))
            elif kind == "set_tempo" and not smpte and message.tempo > 0:
                tempos.append((tick, 60_000_000 / message.tempo))
            elif kind == "time_signature":
                time_signature = time_signature_or_none(message.numerator, message.denominator)
                if time_signature is not None:
                    meters.append((tick, time_signature))
            elif kind == "key_signature":
                keys.append((tick, message.key))
            elif kind == "track_name" and not events.name:
                events.name = _decode_text(message.name)
            elif kind == "end_of_track":
                break
        end_tick = max(end_tick, tick)
        events.end_tick = tick
        for (channel, pitch), started in sounding.items():
            for start, velocity in started:
                events.notes[channel].append((start, -1, pitch, velocity))  # ends with the file, below
        per_track.append(events)
    tracks = _build_tracks(per_track, tick_length, end_tick, format_zero=midi.type == 0)
    title = _title(per_track, midi.type)
    meter_map = meter_map_from_positions((tick * tick_length, ts) for tick, ts in meters)
    tempo_map = tempo_map_from_positions((tick * tick_length, bpm) for tick, bpm in tempos)
    end_beat = _structure_end(per_track, end_tick) * tick_length
    return Score(
        tracks=tuple(tracks),
        meter_map=meter_map,
        tempo_map=tempo_map,
        key=_first_key(keys),
        title=title,
        length_bars=meter_map.bars_to_cover(end_beat),
    )


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
        channels = sorted(events.notes)
        if not channels and index > 0 and len(events.programs) == 1:
            channels = list(events.programs)  # an instrument track without notes yet: keep it
        for channel in channels:
            raw = events.notes.get(channel, [])
            program = _program_for(events.programs.get(channel, []), raw, first_program_anywhere.get(channel, 0))
            one_beat = math.ceil(1 / tick_length)
            timed = _resolve_tick_overlaps([_close(item, end_tick, one_beat) for item in raw])
            tracks.append(
                Track(
                    name=_track_name(events.name, channel, program, len(channels), format_zero),
                    notes=tuple(
                        Note(beat(start), pitch, beat(end - start), velocity, channel)
                        for start, pitch, end, velocity in timed
                    ),
                    program=program,
                    channel=channel,
                )
            )
    return tracks


def _close(item: tuple[int, int, int, int], end_tick: int, one_beat: int) -> tuple[int, int, int, int]:
    """Give a note an end: a never-released note lasts to the end of the file (or a beat, when
    the file ends right there); a note-off on the note-on's own tick gives a one-tick note."""
    start, end, pitch, velocity = item
    if end < 0:
        end = end_tick if end_tick > start else start + one_beat
    return start, max(end, start + 1), pitch, velocity


def _resolve_tick_overlaps(items: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """``core.resolve_overlaps`` on integer ticks, which is many times faster than on Notes.

    Same rule: of notes starting together on one pitch the longest stays; a
    note ends where the next one of its pitch starts. Returns (start, pitch,
    end, velocity) sorted as Notes sort, so building the Track sorts nothing.
    """
    by_pitch: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for start, end, pitch, velocity in items:
        same_start = by_pitch[pitch]
        if start not in same_start or end > same_start[start][0]:
            same_start[start] = (end, velocity)
    out = []
    for pitch, same_start in by_pitch.items():
        starts = sorted(same_start)
        for start, following in zip(starts, [*starts[1:], None], strict=True):
            end, velocity = same_start[start]
            out.append((start, pitch, end if following is None else min(end, following), velocity))
    out.sort(key=lambda n: (n[0], n[1], n[2] - n[0], n[3]))
    return out


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


def _first_key(keys: list[tuple[int, str]]) -> KeySignature | None:
    if not keys:
        return None
    try:
        return KeySignature.parse(min(keys, key=lambda k: k[0])[1])
    except ScoreError:
        return None


def _decode_text(text: str) -> str:
    """mido decodes text as Latin-1; most files today hold UTF-8, so try that first."""
    try:
        return text.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text.strip()


# ---------------------------------------------------------------------------------------------- writing


def _encode_text(text: str) -> str:
    """Text for mido, which writes Latin-1: handing it UTF-8 bytes as Latin-1 characters stores UTF-8."""
    return text.encode("utf-8").decode("latin-1")


def _tick(beat: Fraction, ticks_per_beat: int) -> int:
    exact = beat * ticks_per_beat
    return exact.numerator if exact.denominator == 1 else math.floor(exact + Fraction(1, 2))


def score_to_midi(score: Score, ticks_per_beat: int = DEFAULT_TICKS_PER_BEAT) -> mido.MidiFile:
    """A format 1 MIDI file: conductor track first, then one track per Track.

    Positions are rounded to the nearest tick; a note never gets shorter than one tick. The
    conductor track ends at the last barline, which is how ``midi_to_score`` finds the length
    back; a meter or tempo change placed after the last bar makes the piece that much longer.
    """
    if not 1 <= ticks_per_beat <= 0x7FFF:
        raise ScoreError("The MIDI resolution must be between 1 and 32767 ticks per beat.")
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    end_tick = _tick(score.end, ticks_per_beat)
    conductor: list[tuple[int, int, mido.MetaMessage]] = []
    if score.title:
        conductor.append((0, 0, mido.MetaMessage("track_name", name=_encode_text(score.title))))
    for change in score.meter_map.changes:
        ts = change.time_signature
        tick = _tick(score.meter_map.bar_start(change.bar), ticks_per_beat)
        conductor.append((tick, 1, mido.MetaMessage("time_signature", numerator=ts.numerator,
                                                    denominator=ts.denominator)))
    if score.key is not None:
        names = _MAJOR_BY_SHARPS if score.key.mode == "major" else _MINOR_BY_SHARPS
        conductor.append((0, 2, mido.MetaMessage("key_signature", key=names[score.key.sharps + 7])))
    for tempo in score.tempo_map.changes:
        microseconds = min(0xFFFFFF, max(1, round(60_000_000 / tempo.bpm)))
        conductor.append((_tick(tempo.beat, ticks_per_beat), 3, mido.MetaMessage("set_tempo", tempo=microseconds)))
    midi.tracks.append(_timed_track(conductor, end_tick))
    for track in score.tracks:
        midi.tracks.append(_timed_track(_track_events(track, ticks_per_beat), 0))
    return midi


def _track_events(track: Track, ticks_per_beat: int) -> list[tuple[int, int, mido.BaseMessage]]:
    channel = track.channel
    events: list[tuple[int, int, mido.BaseMessage]] = []
    if track.name:
        events.append((0, 0, mido.MetaMessage("track_name", name=_encode_text(track.name))))
    events.append((0, 1, mido.Message("program_change", channel=channel, program=track.program)))
    for note in resolve_overlaps(replace(n, channel=channel) for n in track.notes):
        start = _tick(note.start, ticks_per_beat)
        end = max(start + 1, _tick(note.end, ticks_per_beat))
        # Note-offs sort before note-ons on the same tick, so a repeated pitch is not cut short.
        events.append((start, 3, mido.Message("note_on", channel=channel, note=note.pitch,
                                              velocity=note.velocity)))
        events.append((end, 2, mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)))
    return events


def _timed_track(events: list[tuple[int, int, mido.BaseMessage]], end_tick: int) -> mido.MidiTrack:
    """Sort (tick, priority, message) events and turn absolute ticks into deltas."""
    track = mido.MidiTrack()
    previous = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - previous))
        previous = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - previous)))
    return track


