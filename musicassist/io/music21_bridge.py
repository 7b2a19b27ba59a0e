"""music21 streams <-> Score: the one converter pair for notation formats.

``stream_to_score`` is what both the file readers (MusicXML, ABC, Humdrum)
and the corpus builder call, so that a composer's ABC file and the same tune
in the training corpus get the same bars. It is written for speed (one pass
over each part's measures, see ``music21_contents``) and for the messy
corners of real scores:

- bars follow the first part's measures, laid out by ``measure_layout`` so
  that downbeats stay on barlines: a pickup ends a full bar that starts with
  a rest, the two half-bars either side of a repeat sign share one bar, an
  irregular bar gets a meter of its own length, and the one-measure meter
  music21 writes on a fragment (1/8, 1/16) is no meter change; unbarred
  music keeps its offsets;
- dynamics marks give the velocity of the notes after them (MuseScore's
  table: p 49, mf 80, f 96; 80 before any); sustain-pedal markings
  become CC64 events (127 down, 0 up, a bounce lifts and presses again);
- each part becomes a Track; chords become several notes; grace notes and
  unpitched percussion are dropped; tied notes merge into one note (ties are
  followed per pitch, so a tie between two different pitches, as some ABC
  transcriptions write, leaves two notes);
- title, composer and copyright are the file's (and written back as they
  were, never music21's "Music21" default);
- tempo marks become the tempo map, the first key becomes the key (modes
  other than major and minor keep their key signature: D dorian reads as
  the minor key with no sharps, A minor, so the scale's notes are right);
- repeats are not expanded: the score is what is written, not what is played.

Three options serve the training corpus, where a composer's file must stay
as written: ``normalize_long_meters`` halves note values of meters longer
than a breve (6/2 -> 6/4, 3/1 -> 3/2, 4/1 -> 4/2, as modern editions of early
music do, keeping the tempo in seconds), ``require_time_signature`` refuses
music that states no meter (its bars would be invented), and
``irregular_meters`` keeps irregular bars to the token codec's meters (an
upbeat of one eighth joins the bar before it or is padded like a pickup,
instead of becoming a 1/8 bar).

``score_to_stream`` builds one music21 Part per Track, with dynamics marks
where a track's velocities change (none for a track all at the default
velocity) and a sustain-pedal marking over the notes that start while CC64
holds the pedal; a pickup is laid out as a full first bar that starts with a
rest (music21 lays out full bars) and ``music21_files`` cuts that bar back to
the pickup before writing. Positions finer than
1/48 of a quarter note (a piano roll's free timing) cannot be notated and are
rounded to that grid; music21 adds measures, ties and voices when writing. A
note ringing past the last barline gets the bar its tail needs; a tempo change
on or after the final barline has no bar to sit in and is left out.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Collection
from fractions import Fraction
from typing import Any

from music21 import chord, dynamics, expressions, instrument, key, metadata, meter, note, stream, tempo

from musicassist.core.errors import FileFormatError
from musicassist.core.events import SUSTAIN_PEDAL, ChannelEvent
from musicassist.core.score import DRUM_CHANNEL, Note, Score, Track
from musicassist.core.timemaps import KeyChange, KeySignature, MeterMap, TimeSignature

from .measure_layout import SourceMeasure, lay_out_measures, long_meter_scale
from .music21_contents import PartContents, as_fraction, part_contents
from .timeline import (
    meter_map_from_positions,
    tempo_map_from_positions,
    time_signature_for_length,
    time_signature_or_none,
)

DEFAULT_VELOCITY = 80
_TEMPO_GRID = 480
NOTATION_GRID = 48  # divisions of a quarter note music21 can always notate (16th-note sextuplets, 64ths)
_MAJOR_LIKE_MODES = ("major", "ionian", "lydian", "mixolydian")
_TITLE_SUFFIXES = (".mxl", ".musicxml", ".xml", ".krn", ".abc")

Placement = Callable[[Fraction], Fraction]  # source offset (already scaled) -> beat in the Score


# ---------------------------------------------------------------------------------------- stream -> score


def stream_to_score(
    source: stream.Stream[Any],
    *,
    normalize_long_meters: bool = False,
    require_time_signature: bool = False,
    irregular_meters: Collection[TimeSignature] | None = None,
) -> Score:
    """Convert a music21 Score, Part or plain Stream (an Opus: its first score).

    For training data: ``normalize_long_meters`` shortens note values so that
    no bar is longer than a breve; ``require_time_signature`` raises
    FileFormatError for music that states no time signature;
    ``irregular_meters`` limits the meters an irregular bar may take (see
    ``measure_layout`` for what becomes of the others).
    """
    if isinstance(source, stream.Opus):
        scores = list(source.scores)
        source = scores[0] if scores else stream.Score()
    parts: list[stream.Stream[Any]] = list(source.parts) if isinstance(source, stream.Score) else []
    if not parts:
        parts = [source]
    contents = [part_contents(part) for part in parts]
    stated = [found for _, s in contents[0].signatures if (found := _core_time_signature(s)) is not None]
    if require_time_signature and not stated:
        raise FileFormatError("The piece has no time signature.")
    # The first time signature is the piece's meter (one long irregular bar later on changes nothing).
    scale = Fraction(1, long_meter_scale(stated[0], stated)) if normalize_long_meters and stated else Fraction(1)
    meter_map, place, bar_count = _bar_structure(contents[0], scale, irregular_meters)
    return Score(
        tracks=tuple(_tracks(parts, contents, place, scale)),
        meter_map=meter_map,
        tempo_map=tempo_map_from_positions(_tempo_positions(contents, place, scale)),
        key=_first_key(contents[0]),
        key_changes=_key_changes(contents[0], place, scale),
        title=_title(source),
        length_bars=bar_count,
        composer=_metadata_text(source, "composer"),
        copyright=_metadata_text(source, "copyright"),
    )


def _bar_structure(
    contents: PartContents, scale: Fraction, irregular_meters: Collection[TimeSignature] | None
) -> tuple[MeterMap, Placement, int]:
    """(meter map, where each source offset lands, number of bars) from the first part's measures."""
    signatures = [(offset * scale, _scaled(found, scale)) for offset, s in contents.signatures
                  if (found := _core_time_signature(s)) is not None]
    if not contents.measures:  # unbarred: offsets stay, meters apply from where they stand
        return meter_map_from_positions(signatures), lambda offset: offset, 0
    measures = []
    for measure in contents.measures:
        stated = _core_time_signature(measure.stated) if measure.stated is not None else None
        scaled = _scaled(stated, scale) if stated is not None else None
        measures.append(SourceMeasure(measure.offset * scale, measure.length * scale, scaled))
    layout = lay_out_measures(measures, signatures[0][1] if signatures else None, irregular_meters)
    return layout.meter_map(), layout.placer(), layout.bar_count


def _core_time_signature(signature: meter.TimeSignature) -> TimeSignature | None:
    """The core's signature; one it cannot hold counts as one of the same bar length (3/6 -> 2/4).

    None when no signature lasts as long (music21 writes 1/6 on fragments of a triplet).
    """
    found = time_signature_or_none(signature.numerator, signature.denominator)
    if found is None:
        found = time_signature_for_length(as_fraction(signature.barDuration.quarterLength))
    return found


def _scaled(signature: TimeSignature, scale: Fraction) -> TimeSignature:
    """``signature`` with note values shortened by ``scale`` (1/2: 6/2 -> 6/4); checked by long_meter_scale."""
    return signature if scale == 1 else TimeSignature(signature.numerator, signature.denominator * scale.denominator)


def _tracks(parts: list[stream.Stream[Any]], contents: list[PartContents], place: Placement,
            scale: Fraction) -> list[Track]:
    tracks = []
    pitched_channels = [c for c in range(16) if c != DRUM_CHANNEL]
    next_channel = 0
    for number, (part, content) in enumerate(zip(parts, contents, strict=True), start=1):
        found = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
        # A plain Percussion or an unpitched one is a drum kit; marimba and timpani are pitched.
        drums = found is not None and (
            type(found) is instrument.Percussion
            or isinstance(found, instrument.UnpitchedPercussion)
            or found.midiChannel == DRUM_CHANNEL
        )
        if drums:
            channel = DRUM_CHANNEL
        else:
            channel = pitched_channels[next_channel % len(pitched_channels)]
            next_channel += 1
        program = found.midiProgram if found is not None and found.midiProgram is not None else 0
        tracks.append(
            Track(
                name=_part_name(part, number),
                notes=tuple(_notes(content, place, scale, channel)),
                program=min(127, max(0, int(program))),
                channel=channel,
                events=tuple(_pedal_events(content, place, scale, channel)),
            )
        )
    return tracks


def _part_name(part: stream.Stream[Any], number: int) -> str:
    name = getattr(part, "partName", None)
    if name:
        return str(name).strip()
    # music21 gives unnamed parts a numeric id (an object address); only keep ids a file gave.
    part_id = part.id
    if isinstance(part_id, str) and part_id.strip():
        return part_id.strip()
    return f"Part {number}"


def _notes(contents: PartContents, place: Placement, scale: Fraction, channel: int) -> list[Note]:
    """Notes of one part, chords expanded, grace notes dropped, ties merged per pitch.

    Ties are matched where the file has the notes (a tie is notation), so one
    that crosses a padded bar still joins.
    """
    notes: list[Note] = []
    open_ties: dict[int, tuple[int, Fraction]] = {}  # pitch -> (index in notes, source end) of a tied note
    marks = contents.dynamics
    next_mark = 0
    marked_velocity = DEFAULT_VELOCITY
    for offset, element in contents.notes:
        while next_mark < len(marks) and marks[next_mark][0] <= offset:  # the dynamic in force at this note
            marked_velocity = _dynamic_velocity(marks[next_mark][1], marked_velocity)
            next_mark += 1
        duration = element.duration
        if duration.isGrace or duration.quarterLength <= 0:
            continue
        if isinstance(element, chord.Chord):
            members = [(member.pitch.midi, member.tie or element.tie) for member in element.notes]
        elif isinstance(element, note.Note):
            members = [(element.pitch.midi, element.tie)]
        else:
            continue  # unpitched percussion has no pitch to play
        source_start = offset * scale
        length = as_fraction(duration.quarterLength) * scale
        start = place(source_start)
        velocity = element.volume.velocity or marked_velocity
        velocity = min(127, max(1, int(velocity)))
        for pitch, tie in members:
            if not 0 <= pitch <= 127:
                continue
            tie_type = tie.type if tie is not None else None
            held = open_ties.get(pitch)
            if tie_type in ("stop", "continue") and held is not None and held[1] == source_start:
                previous = notes[held[0]]
                end = start + length  # the tie's last note decides where the merged note ends
                notes[held[0]] = Note(previous.start, pitch, end - previous.start, previous.velocity, channel)
                open_ties[pitch] = (held[0], source_start + length)
                if tie_type == "stop":
                    del open_ties[pitch]
                continue
            notes.append(Note(start, pitch, length, velocity, channel))
            if tie_type in ("start", "continue"):
                open_ties[pitch] = (len(notes) - 1, source_start + length)
    return notes


# The velocities notation programs play the common marks at (MuseScore 3's table; mf is the default 80).
_DYNAMIC_VELOCITIES = {"ppp": 16, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 126}


def _dynamic_velocity(mark: dynamics.Dynamic, current: int) -> int:
    """The velocity a dynamic mark asks for: the table above, else music21's volume scalar (sf 0.85 -> 108)."""
    known = _DYNAMIC_VELOCITIES.get(str(mark.value))
    if known is not None:
        return known
    scalar = mark.volumeScalar
    return current if scalar is None else min(127, max(1, round(float(scalar) * 127)))


def _pedal_events(contents: PartContents, place: Placement, scale: Fraction, channel: int) -> list[ChannelEvent]:
    """Sustain-pedal markings as CC64 events: 127 where the pedal goes down, 0 where it comes up."""
    events = []
    for down, up, bounces in contents.pedals:
        events.append(ChannelEvent(place(down * scale), "control_change", channel, SUSTAIN_PEDAL, 127))
        for bounce in bounces:
            at = place(bounce * scale)
            events.append(ChannelEvent(at, "control_change", channel, SUSTAIN_PEDAL, 0))
            events.append(ChannelEvent(at, "control_change", channel, SUSTAIN_PEDAL, 127))
        events.append(ChannelEvent(place(up * scale), "control_change", channel, SUSTAIN_PEDAL, 0))
    return events


def _tempo_positions(contents: list[PartContents], place: Placement, scale: Fraction) -> list[tuple[Fraction, float]]:
    """Tempo marks of all parts (parts often repeat them), one per position.

    A mark at the start of a pickup governs the whole piece, including the
    rest that the pickup's placement puts before it. With note values
    shortened by ``scale`` the BPM is too, so the piece lasts as long.
    Positions are snapped to 1/480 of a beat: music21's MusicXML writer can
    misplace a mark that follows a tied note by one of its 10,080 divisions.
    """
    by_beat: dict[Fraction, float] = {}
    for content in contents:
        for offset, mark in content.tempos:
            bpm = mark.getQuarterBPM()
            if bpm:
                beat = Fraction(round(offset * _TEMPO_GRID), _TEMPO_GRID)
                by_beat.setdefault(place(beat * scale) if beat > 0 else Fraction(0), float(bpm * scale))
    return sorted(by_beat.items())


def _first_key(contents: PartContents) -> KeySignature | None:
    return _key_signature(contents.keys[0][1]) if contents.keys else None


def _key_changes(contents: PartContents, place: Placement, scale: Fraction) -> tuple[KeyChange, ...]:
    """The key signatures after the first, where they stand (one per beat; a repeat of the key in force,
    as at the start of every system in some files, is no change)."""
    current = _first_key(contents)
    by_beat: dict[Fraction, KeySignature] = {}
    for offset, found in contents.keys[1:]:
        beat = place(offset * scale)
        signature = _key_signature(found)
        if beat > 0 and signature != current:
            by_beat[beat] = current = signature
    return tuple(KeyChange(beat, signature) for beat, signature in by_beat.items())


def _key_signature(found: key.KeySignature) -> KeySignature:
    if isinstance(found, key.Key) and found.mode in ("major", "minor"):
        return KeySignature(found.tonic.pitchClass, found.mode)
    mode = getattr(found, "mode", "major") or "major"
    return KeySignature.from_sharps(found.sharps, "major" if mode in _MAJOR_LIKE_MODES else "minor")


def _title(source: stream.Stream[Any]) -> str:
    info = source.metadata
    if info is None:
        return ""
    title = info.title or info.movementName or ""
    title = str(title).strip()
    for suffix in _TITLE_SUFFIXES:
        if title.lower().endswith(suffix):
            title = title[: -len(suffix)]
    return title


def _metadata_text(source: stream.Stream[Any], field: str) -> str:
    """The file's composer or copyright line as written ("" when it gives none)."""
    info = source.metadata
    value = getattr(info, field, None) if info is not None else None
    return str(value).strip() if value else ""


# ---------------------------------------------------------------------------------------- score -> stream


def _notated(value: Fraction) -> Fraction:
    """``value`` if music21 can notate it, else the nearest 1/48 of a quarter note."""
    if NOTATION_GRID % value.denominator == 0:
        return value
    return Fraction(math.floor(value * NOTATION_GRID + Fraction(1, 2)), NOTATION_GRID)


def score_to_stream(score: Score) -> stream.Score:
    """A music21 Score with one Part per Track, ready for MusicXML export."""
    result = stream.Score()
    result.metadata = metadata.Metadata()
    result.metadata.title = score.title or ""
    # What the file said, and nothing else: music21 names an unknown composer "Music21" (the export
    # clears that default, see music21_files.musicxml_bytes).
    if score.composer:
        result.metadata.composer = score.composer
    if score.copyright:
        result.metadata.copyright = score.copyright
    for number, track in enumerate(score.tracks):
        result.insert(0, _part(score, track, number))
    if not score.tracks:
        result.insert(0, _part(score, Track(name="Part 1"), 0))
    return result


def _part(score: Score, track: Track, number: int) -> stream.Part:
    part = stream.Part()
    part.partName = track.name or None
    found: Any = instrument.Percussion() if track.is_drums else instrument.instrumentFromMidiProgram(track.program)
    found.midiProgram = track.program
    found.midiChannel = track.channel
    # music21 would draw random ids: the same score must give the same file (diffs, version control).
    found.partId, found.instrumentId = f"P{number + 1}", f"P{number + 1}-I1"
    with_tempi = number == 0
    part.insert(0, found)
    meters = score.meter_map
    # A pickup is written as a full first bar that starts with a rest (music21 lays out full bars).
    pad = meters.time_signature_at_bar(0).bar_beats - meters.pickup if meters.pickup else Fraction(0)
    for change in meters.changes:
        signature = change.time_signature
        part.insert(meters.bar_start(change.bar) + (pad if change.bar else 0), meter.TimeSignature(str(signature)))
    if score.key is not None:
        part.insert(0, key.Key(_key_tonic_name(score.key), score.key.mode))
    for key_change in score.key_changes:
        part.insert(key_change.beat + pad, key.Key(_key_tonic_name(key_change.key), key_change.key.mode))
    if with_tempi:
        final_barline = max(score.end, score.notes_end)
        for tempo_change in score.tempo_map.changes:
            if tempo_change.beat == 0 or tempo_change.beat < final_barline:  # no bar holds a later mark
                at = tempo_change.beat + pad if tempo_change.beat else Fraction(0)
                part.insert(at, tempo.MetronomeMark(number=tempo_change.bpm, referent=1.0))
    groups: dict[tuple[Fraction, Fraction], list[Note]] = defaultdict(list)
    for item in track.notes:
        start = _notated(item.start + pad)
        length = max(Fraction(1, NOTATION_GRID), _notated(item.end + pad) - start)
        groups[(start, length)].append(item)
    # Dynamics only for a track whose velocities say something (all at the default: none written).
    with_dynamics = any(item.velocity != DEFAULT_VELOCITY for item in track.notes)
    level: str | None = None
    elements: list[tuple[Fraction, note.NotRest]] = []
    # ``insert`` re-sorts and re-measures the part each time (quadratic: 3 s of a 2,000-note export);
    # coreInsert defers that to one coreElementsChanged at the end.
    for (start, length), members in sorted(groups.items()):
        element = _element(members, length)
        if with_dynamics and (wanted := _dynamic_name(max(m.velocity for m in members))) != level:
            part.coreInsert(start, dynamics.Dynamic(wanted))
            level = wanted
        part.coreInsert(start, element)
        elements.append((start, element))
    # music21 ends the part with its last note; a closing rest keeps the score's empty last bars.
    notes_end = max((start + length for start, length in groups), default=Fraction(0))
    if score.end + pad > notes_end:
        part.coreInsert(notes_end, note.Rest(quarterLength=score.end + pad - notes_end))
    part.coreElementsChanged()
    for mark in _pedal_marks(track, elements, pad):
        part.insert(0, mark)
    return part


def _dynamic_name(velocity: int) -> str:
    """The dynamic mark whose velocity (as ``_dynamic_velocity`` reads it) is nearest ``velocity``."""
    return min(_DYNAMIC_VELOCITIES, key=lambda name: abs(_DYNAMIC_VELOCITIES[name] - velocity))


def _pedal_marks(track: Track, elements: list[tuple[Fraction, note.NotRest]], pad: Fraction) -> list[Any]:
    """A sustain-pedal marking over the notes that start while CC64 holds the pedal down (music21 writes
    MusicXML ``<pedal>`` from it); pedalling over no note start has nothing to hang on and is left out."""
    marks: list[Any] = []
    down: Fraction | None = None
    presses: list[tuple[Fraction, Fraction]] = []
    for event in track.events:
        if isinstance(event, ChannelEvent) and event.kind == "control_change" and event.number == SUSTAIN_PEDAL:
            if event.value >= 64 and down is None:
                down = event.time + pad
            elif event.value < 64 and down is not None:
                presses.append((down, event.time + pad))
                down = None
    starts = [start for start, _ in elements]
    for begin, end in presses:
        first, last = bisect.bisect_left(starts, begin), bisect.bisect_left(starts, end)
        held = [element for _, element in elements[first:last]]
        if held:
            mark = expressions.PedalMark(*held)
            mark.pedalType = expressions.PedalType.Sustain
            marks.append(mark)
    return marks


def _element(members: list[Note], length: Fraction) -> note.NotRest:
    if len(members) == 1:
        single = note.Note(members[0].pitch, quarterLength=length)
        single.volume.velocity = members[0].velocity
        return single
    together = chord.Chord([m.pitch for m in members], quarterLength=length)
    together.volume.velocity = max(m.velocity for m in members)
    return together


def _key_tonic_name(signature: KeySignature) -> str:
    names = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")
    return names[signature.tonic]
