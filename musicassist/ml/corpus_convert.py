"""music21 stream -> core Score for training data, keeping downbeats on barlines.

The corpus needs bars that start on real downbeats, because BAR tokens are
what the model learns meter from. Folk and fiddle tunes in ABC are full of
incomplete measures (a pickup, the half-bars either side of a repeat sign,
first and second endings) that a plain offset copy would leave skewed
against the meter grid. So bars are laid out measure by measure:

* a short first measure is a pickup: it is right-aligned in a full bar;
* consecutive short measures that add up to a bar (the end of a repeated
  section plus the next section's pickup) share one bar;
* any other short measure is left-aligned in a padded bar;
* an over-full measure takes as many whole bars as it needs.

Old long meters the codec lacks (6/2, 3/1, 4/1) are written with halved or
quartered note values (6/4, 3/2, 4/2).

Ties are merged, grace notes (zero length) dropped, velocities default to 80
where the file has none. music21 is imported by the caller; this module only
reads the objects it is handed.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from musicassist.codec import default_vocabulary
from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature

DEFAULT_VELOCITY = 80


class PieceSkipped(MusicAssistError):
    """A piece that cannot become training data (no bars, no meter, no notes)."""


def _fraction(quarter_length: Any) -> Fraction:
    # music21 gives floats for binary lengths (exact) and Fractions for tuplets.
    return Fraction(quarter_length).limit_denominator(10_000)


@dataclass
class _Layout:
    """Where each source measure lands: source starts (sorted) -> target starts, plus the bar meters."""

    source_starts: list[Fraction]
    target_starts: list[Fraction]
    bar_meters: list[TimeSignature]

    def target(self, source_offset: Fraction) -> Fraction:
        index = max(0, bisect.bisect_right(self.source_starts, source_offset) - 1)
        return self.target_starts[index] + (source_offset - self.source_starts[index])


def _measures(part: Any) -> list[Any]:
    from music21 import stream

    return list(part.getElementsByClass(stream.Measure))


def _declared_meters(measures: list[Any]) -> list[TimeSignature | None]:
    """The meter each measure declares, with music21's pickup markers removed.

    music21's ABC reader marks some incomplete measures with a time signature
    of exactly their length (1/16, 1/4, ...) and restores the real meter on
    the next measure. Such a marker is taken as a short measure of the
    surrounding meter: it is a marker when it is unsupported, or when the next
    measure switches straight back to the meter before it. Other meters are kept as they are.
    """
    supported = set(default_vocabulary().meters)
    raw: list[TimeSignature | None] = []
    for measure in measures:
        signature = measure.timeSignature
        raw.append(None if signature is None else TimeSignature(int(signature.numerator),
                                                                int(signature.denominator)))
    declared: list[TimeSignature | None] = []
    current: TimeSignature | None = None  # the last real meter
    for index, (measure, meter) in enumerate(zip(measures, raw, strict=True)):
        if meter is None:
            declared.append(None)
            continue
        fits_measure = meter.bar_beats == _fraction(measure.duration.quarterLength)
        following = raw[index + 1] if index + 1 < len(raw) else None
        if current is None:  # a marker on the first measure is followed by the real meter
            is_marker = fits_measure and following is not None and following != meter
        else:
            shorter_unsupported = str(meter) not in supported and meter.bar_beats < current.bar_beats
            is_marker = fits_measure and (shorter_unsupported or following == current)
        declared.append(None if is_marker else meter)
        current = current if is_marker else meter
    if declared and declared[0] is None:
        # A marker on the first measure: the pickup takes the first real meter.
        declared[0] = next((m for m in declared if m is not None), None)
    return declared


def _note_value_scale(meters: list[TimeSignature]) -> int:
    """1, 2 or 4: how much to shorten note values so that old long meters (6/2, 3/1, 4/1) become
    supported ones (6/4, 3/2, 4/2), as editions of early music commonly do."""
    supported = set(default_vocabulary().meters)
    for factor in (1, 2, 4):
        if all(str(TimeSignature(m.numerator, m.denominator * factor)) in supported for m in set(meters)):
            return factor
    return 1


def _layout(measures: list[Any]) -> _Layout:
    meter: TimeSignature | None = None
    bar_meters: list[TimeSignature] = []
    cursor = Fraction(0)  # target start of the open bar
    fill = Fraction(0)  # how much of the open bar short measures have used
    sources: list[Fraction] = []
    targets: list[Fraction] = []

    def close_bars(count: int = 1) -> None:
        nonlocal cursor, fill
        assert meter is not None
        bar_meters.extend([meter] * count)
        cursor += meter.bar_beats * count
        fill = Fraction(0)

    for index, (measure, new_meter) in enumerate(zip(measures, _declared_meters(measures), strict=True)):
        if new_meter is not None:
            if new_meter != meter and fill > 0:
                close_bars()
            meter = new_meter
        if meter is None:
            raise PieceSkipped("The piece has no time signature.")
        length = _fraction(measure.duration.quarterLength)
        bar = meter.bar_beats
        if length == 0:
            target = cursor + fill
        elif index == 0 and length < bar:
            target = cursor + bar - length
            close_bars()
        elif length < bar:
            if fill + length > bar:
                close_bars()
            target = cursor + fill
            fill += length
            if fill == bar:
                close_bars()
        else:
            if fill > 0:
                close_bars()
            target = cursor
            close_bars(math.ceil(length / bar))
        sources.append(_fraction(measure.offset))
        targets.append(target)
    if fill > 0:
        close_bars()
    return _Layout(sources, targets, bar_meters)


def _note_events(part: Any) -> list[tuple[Fraction, Any]]:
    """(source offset, note-or-chord) for every sounding element of the part's measures and voices."""
    events: list[tuple[Fraction, Any]] = []
    for measure in _measures(part):
        base = _fraction(measure.offset)
        for element in measure.notes:
            events.append((base + _fraction(element.offset), element))
        for voice in measure.voices:
            voice_base = base + _fraction(voice.offset)
            events.extend((voice_base + _fraction(e.offset), e) for e in voice.notes)
    events.sort(key=lambda pair: pair[0])
    return events


def _pitches(element: Any) -> list[tuple[int, str | None]]:
    """(MIDI pitch, tie type) per sounding pitch; unpitched elements give nothing."""
    if hasattr(element, "pitch"):
        tie = element.tie.type if element.tie is not None else None
        return [(int(element.pitch.midi), tie)]
    if hasattr(element, "notes") and hasattr(element, "pitches"):
        chord_tie = element.tie.type if element.tie is not None else None
        return [
            (int(n.pitch.midi), n.tie.type if n.tie is not None else chord_tie) for n in element.notes
        ]
    return []


def _velocity(element: Any) -> int:
    volume = getattr(element, "volume", None)
    velocity = getattr(volume, "velocity", None) if volume is not None else None
    return int(min(127, max(1, velocity))) if velocity else DEFAULT_VELOCITY


def _part_notes(part: Any, layout: _Layout, channel: int) -> list[Note]:
    # [source start, pitch, source length, velocity]; ties extend the open note instead of adding one.
    raw: list[list[Any]] = []
    open_ties: dict[int, int] = {}
    for offset, element in _note_events(part):
        length = _fraction(element.duration.quarterLength)
        if length <= 0:
            continue  # grace note
        velocity = _velocity(element)
        for pitch, tie in _pitches(element):
            if not 0 <= pitch <= 127:
                continue
            held = open_ties.get(pitch)
            if tie in ("stop", "continue") and held is not None and raw[held][0] + raw[held][2] == offset:
                raw[held][2] += length
                if tie == "stop":
                    del open_ties[pitch]
                continue
            raw.append([offset, pitch, length, velocity])
            if tie in ("start", "continue"):
                open_ties[pitch] = len(raw) - 1
            else:
                open_ties.pop(pitch, None)
    return [Note(layout.target(start), pitch, length, velocity, channel) for start, pitch, length, velocity in raw]


def _with_measures(part: Any) -> Any:
    """music21's ABC reader leaves very short tunes unbarred; bar them by their time signature."""
    if _measures(part) or not part.recurse().getElementsByClass("TimeSignature"):
        return part
    try:
        return part.makeMeasures()
    except Exception:  # music21 raises assorted errors on odd streams; leave it unbarred
        return part


def stream_to_training_score(music: Any) -> Score:
    """A Score whose bars follow the piece's measures (see module docstring); one track per part."""
    parts = [_with_measures(p) for p in (list(getattr(music, "parts", [])) or [music])]
    measures = _measures(parts[0])
    if not measures:
        raise PieceSkipped("The piece has no bars.")
    layout = _layout(measures)
    tracks = []
    for index, part in enumerate(parts):
        channel = index if index < 9 else index + 1  # never the drum channel
        if channel > 15:
            break
        tracks.append(Track(name=str(getattr(part, "partName", "") or ""), notes=tuple(
            _part_notes(part, layout, channel)), channel=channel))
    if not any(t.notes for t in tracks):
        raise PieceSkipped("The piece has no notes.")
    factor = _note_value_scale(layout.bar_meters)
    if factor > 1:
        layout.bar_meters = [TimeSignature(m.numerator, m.denominator * factor) for m in layout.bar_meters]
        tracks = [t.with_notes(Note(n.start / factor, n.pitch, n.duration / factor, n.velocity, n.channel)
                               for n in t.notes) for t in tracks]
    changes = [MeterChange(0, layout.bar_meters[0])] if layout.bar_meters else []
    changes += [
        MeterChange(i, meter)
        for i, meter in enumerate(layout.bar_meters)
        if i > 0 and meter != layout.bar_meters[i - 1]
    ]
    meter_map = MeterMap.from_changes(changes) if changes else MeterMap()
    return Score(tracks=tuple(tracks), meter_map=meter_map, length_bars=len(layout.bar_meters))
