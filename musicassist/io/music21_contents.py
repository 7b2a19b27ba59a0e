"""Read what the score converter needs from a music21 part, in one pass over its measures.

``part.flatten()`` copies and re-sorts every element of a part (a third of the
conversion time of a Bach chorale); walking the measures and their voices once
and sorting only the notes is faster and gives the measures' own offsets,
lengths and time signatures on the way. Offsets here are the positions in the
part (a measure's offset plus the element's), as exact Fractions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from music21 import dynamics, expressions, key, meter, note, stream, tempo


@dataclass(frozen=True)
class Music21Measure:
    """A measure of the part: where it starts, how long it really is, the time signature it states."""

    offset: Fraction
    length: Fraction
    stated: meter.TimeSignature | None


@dataclass
class PartContents:
    """The sounding elements and the marks of one part, each with its offset in the part."""

    notes: list[tuple[Fraction, note.NotRest]] = field(default_factory=list)  # sorted by offset
    measures: list[Music21Measure] = field(default_factory=list)  # empty for unbarred music
    signatures: list[tuple[Fraction, meter.TimeSignature]] = field(default_factory=list)
    tempos: list[tuple[Fraction, tempo.MetronomeMark]] = field(default_factory=list)
    keys: list[tuple[Fraction, key.KeySignature]] = field(default_factory=list)
    dynamics: list[tuple[Fraction, dynamics.Dynamic]] = field(default_factory=list)
    # Sustain pedal: (down, up) offsets of each pedal marking, its bounces (up and down again) inside.
    pedals: list[tuple[Fraction, Fraction, tuple[Fraction, ...]]] = field(default_factory=list)
    pedal_objects: dict[int, Fraction] = field(default_factory=dict)  # id -> offset of bounces and gaps


def as_fraction(offset: float | Fraction) -> Fraction:
    # music21 offsets are floats with binary fractions (exact) or Fractions for tuplets.
    return offset if isinstance(offset, Fraction) else Fraction(offset)


def part_contents(part: stream.Stream[Any]) -> PartContents:
    """Notes (of every voice), measures, time signatures, tempo marks and keys of ``part``."""
    contents = PartContents()
    measures: list[tuple[Fraction, stream.Measure]] = []
    _collect(part, Fraction(0), contents, measures)
    for signatures in (contents.signatures, contents.tempos, contents.keys, contents.dynamics):
        signatures.sort(key=lambda pair: pair[0])
    contents.pedals = _pedals(part, contents)
    contents.notes.sort(key=lambda pair: pair[0])  # stable: a chord's order within one offset is kept
    offsets = [offset for offset, _ in measures]
    # A measure reaches the next one's start (that is what a pickup's length means); the last one its content.
    lengths = [b - a for a, b in itertools.pairwise(offsets)]
    if measures:
        lengths.append(_last_measure_length(measures[-1][1]))
    for (offset, measure), length in zip(measures, lengths, strict=True):
        contents.measures.append(Music21Measure(offset, length, _stated_signature(measure)))
    return contents


def _last_measure_length(measure: stream.Measure) -> Fraction:
    """The last measure's content, where only notes may run past the bar its meter gives.

    music21's MusicXML reader turns a whole rest in a 5/4 bar into a full-bar rest of
    five beats even when it does not start the bar, so rests alone would add a bar.
    """
    content = as_fraction(measure.quarterLength)
    signature = measure.timeSignature or measure.getContextByClass(meter.TimeSignature)
    if signature is None:
        return content
    bar = as_fraction(signature.barDuration.quarterLength)
    note_ends = [as_fraction(n.getOffsetInHierarchy(measure)) + as_fraction(n.quarterLength)
                 for n in measure.recurse().notes]
    return max([min(content, bar), *note_ends])


def _collect(
    container: stream.Stream[Any], base: Fraction, contents: PartContents,
    measures: list[tuple[Fraction, stream.Measure]],
) -> None:
    for element in container.elements:
        # The offset in this container: ``element.offset`` is relative to the element's active site,
        # which is whatever stream last iterated it (music21's Humdrum reader leaves notes so).
        offset = base + as_fraction(container.elementOffset(element))
        if isinstance(element, note.NotRest):
            contents.notes.append((offset, element))
        elif isinstance(element, stream.Stream):  # a measure, a voice
            if isinstance(element, stream.Measure):
                measures.append((offset, element))
            _collect(element, offset, contents, measures)
        elif isinstance(element, meter.TimeSignature):
            contents.signatures.append((offset, element))
        elif isinstance(element, tempo.MetronomeMark):
            contents.tempos.append((offset, element))
        elif isinstance(element, key.KeySignature):
            contents.keys.append((offset, element))
        elif isinstance(element, dynamics.Dynamic):
            contents.dynamics.append((offset, element))
        elif isinstance(element, expressions.PedalObject):
            contents.pedal_objects[id(element)] = offset


def _pedals(part: stream.Stream[Any], contents: PartContents) -> list[tuple[Fraction, Fraction, tuple[Fraction, ...]]]:
    """The sustain-pedal markings of the part (music21's PedalMark spanners from MusicXML ``<pedal>``).

    The pedal goes down where the marking's first element starts and up where its last one ends; a
    bounce inside lifts it and puts it down again at once. Other pedals (sostenuto, soft) are left out.
    """
    bundle = getattr(part, "spannerBundle", None)
    if bundle is None:
        return []
    found = list(bundle.getByClass(expressions.PedalMark))
    if not found:
        return []
    offsets = {id(element): offset for offset, element in contents.notes}
    offsets.update(contents.pedal_objects)
    pedals = []
    for mark in found:
        if mark.pedalType not in (None, expressions.PedalType.Sustain):
            continue
        placed = [(offsets[id(e)], e) for e in mark.getSpannedElements() if id(e) in offsets]
        if not placed:
            continue
        first, last = min(placed, key=lambda pair: pair[0]), max(placed, key=lambda pair: pair[0])
        down = first[0]
        up = last[0] + as_fraction(last[1].duration.quarterLength)
        bounces = tuple(sorted(offset for offset, element in placed if isinstance(element, expressions.PedalBounce)))
        if up > down:
            pedals.append((down, up, bounces))
    return sorted(pedals)


def _stated_signature(measure: stream.Measure) -> meter.TimeSignature | None:
    """The time signature at the start of ``measure`` (what ``Measure.timeSignature`` gives, without a search)."""
    for element in measure.elements:
        if isinstance(element, meter.TimeSignature) and measure.elementOffset(element) == 0:
            return element
    return None
