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

``score_to_stream`` builds one music21 Part per Track. Positions finer than
1/48 of a quarter note (a piano roll's free timing) cannot be notated and are
rounded to that grid; music21 adds measures, ties and voices when writing. A
note ringing past the last barline gets the bar its tail needs; a tempo change
on or after the final barline has no bar to sit in and is left out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection
from fractions import Fraction
from typing import Any

from music21 import chord, instrument, key, metadata, meter, note, stream, tempo

from musicassist.core.errors import FileFormatError
from musicassist.core.score import DRUM_CHANNEL, Note, Score, Track
from musicassist.core.timemaps import KeySignature, MeterMap, TimeSignature

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
    source: stream.Stream,
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
    parts: list[stream.Stream] = list(source.parts) if isinstance(source, stream.Score) else []
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


def _tracks(parts: list[stream.Stream], contents: list[PartContents], place: Placement, scale: Fraction) -> list[Track]:
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
            )
        )
    return tracks


def _part_name(part: stream.Stream, number: int) -> str:
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
    for offset, element in contents.notes:
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
        velocity = element.volume.velocity or DEFAULT_VELOCITY
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
    if not contents.keys:
        return None
    found = contents.keys[0][1]
    if isinstance(found, key.Key) and found.mode in ("major", "minor"):
        return KeySignature(found.tonic.pitchClass, found.mode)
    mode = getattr(found, "mode", "major") or "major"
    return KeySignature.from_sharps(found.sharps, "major" if mode in _MAJOR_LIKE_MODES else "minor")


def _title(source: stream.Stream) -> str:
    info = source.metadata
    if info is None:
        return ""
    title = info.title or info.movementName or ""
    title = str(title).strip()
    for suffix in _TITLE_SUFFIXES:
        if title.lower().endswith(suffix):
            title = title[: -len(suffix)]
    return title


def _metadata_text(source: stream.Stream, field: str) -> str:
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
        result.insert(0, _part(score, track, with_tempi=number == 0))
    if not score.tracks:
        result.insert(0, _part(score, Track(name="Part 1"), with_tempi=True))
    return result


def _part(score: Score, track: Track, with_tempi: bool) -> stream.Part:
    part = stream.Part()
    part.partName = track.name or None
    found: Any = instrument.Percussion() if track.is_drums else instrument.instrumentFromMidiProgram(track.program)
    found.midiProgram = track.program
    found.midiChannel = track.channel
    part.insert(0, found)
    for change in score.meter_map.changes:
        signature = change.time_signature
        part.insert(score.meter_map.bar_start(change.bar), meter.TimeSignature(str(signature)))
    if score.key is not None:
        part.insert(0, key.Key(_key_tonic_name(score.key), score.key.mode))
    if with_tempi:
        final_barline = max(score.end, score.notes_end)
        for tempo_change in score.tempo_map.changes:
            if tempo_change.beat == 0 or tempo_change.beat < final_barline:  # no bar holds a later mark
                part.insert(tempo_change.beat, tempo.MetronomeMark(number=tempo_change.bpm, referent=1.0))
    groups: dict[tuple[Fraction, Fraction], list[Note]] = defaultdict(list)
    for item in track.notes:
        start = _notated(item.start)
        length = max(Fraction(1, NOTATION_GRID), _notated(item.end) - start)
        groups[(start, length)].append(item)
    # ``insert`` re-sorts and re-measures the part each time (quadratic: 3 s of a 2,000-note export);
    # coreInsert defers that to one coreElementsChanged at the end.
    for (start, length), members in sorted(groups.items()):
        part.coreInsert(start, _element(members, length))
    # music21 ends the part with its last note; a closing rest keeps the score's empty last bars.
    notes_end = max((start + length for start, length in groups), default=Fraction(0))
    if score.end > notes_end:
        part.coreInsert(notes_end, note.Rest(quarterLength=score.end - notes_end))
    part.coreElementsChanged()
    return part


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
