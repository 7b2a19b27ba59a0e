"""Lay a notated piece's measures out as bars, so that every downbeat sits on a barline.

Notation files (ABC above all) are full of measures whose length differs from
their time signature: a pickup, the two half-bars either side of a repeat
sign, an irregular bar in a folk song, and the fragments music21's ABC reader
cuts off an over-full measure. Copying offsets as they are would leave every
later bar skewed against the meter grid, so the bars are laid out measure by
measure:

- a short first measure is a pickup: it stays a short first bar (the meter
  map's ``pickup``), or, for training data (``irregular_meters`` given: the
  token codec has no short bars), it ends a full bar that starts with a rest;
- consecutive short measures that add up to one bar (the end of a repeated
  section plus the next section's pickup) share that bar, as bar numbering
  in print counts them;
- any other measure whose length differs from its meter (a lone short bar,
  an over-full one) becomes a bar with a meter of its own length (2/4 in a
  4/4 tune), so that the music keeps its exact timing;
- when the caller does not allow that meter (training data can only hold the
  token codec's meters) or none exists (1/6 of a beat), a short bar joins the
  complete bar before it if that makes an allowed meter (a one-eighth upbeat
  after a 4/4 bar: 9/8), else it is padded to a bar of the meter in force: at
  the end when it is at most half a bar and leads into a full bar (an upbeat,
  like a pickup), else at the start (a bar missing a note); an over-full one
  takes whole bars of the meter;
- a short last measure keeps the meter: it is the final bar, padded (unless
  it states a meter of its own length, as a final 3/4 bar after 4/4 does).

music21 marks the fragment it cuts off an over-full measure with a meter of
the fragment's length (1/8, 1/16) and states the real meter again on the next
measure. Such a one-measure meter is not a meter change: the measure is an
irregular bar, and the stated meter is what it is called if it gets its own.

This module knows nothing of music21: the bridge hands it plain measures.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature

from .timeline import time_signature_for_length, time_signature_or_none

# A breve: the longest bar of the meters in common use today (4/2, 2/1, 8/4).
LONGEST_MODERN_BAR = Fraction(8)


@dataclass(frozen=True)
class SourceMeasure:
    """One measure as the file has it: where it starts, how long it really is, the meter it states."""

    offset: Fraction
    length: Fraction
    stated: TimeSignature | None = None


@dataclass(frozen=True)
class BarLayout:
    """Where each source measure lands (``target``) and the meter of every bar of the result."""

    source_starts: tuple[Fraction, ...]
    target_starts: tuple[Fraction, ...]
    bar_meters: tuple[TimeSignature, ...]
    pickup: Fraction = Fraction(0)  # length of an incomplete first bar kept as it is (0: none)

    @property
    def bar_count(self) -> int:
        return len(self.bar_meters)

    def target(self, source_offset: Fraction) -> Fraction:
        """Where a source position lands: it moves with the measure that contains it."""
        return self.placer()(source_offset)

    def placer(self) -> Callable[[Fraction], Fraction]:
        """``target`` remembering the measure it last found (notes come in order, many to a measure)."""
        starts, targets = self.source_starts, self.target_starts
        ends = (*starts[1:], None)
        found = [-1]  # index of the measure last found

        def place(source_offset: Fraction) -> Fraction:
            index = found[0]
            end = ends[index] if index >= 0 else None
            if index < 0 or source_offset < starts[index] or (end is not None and source_offset >= end):
                index = found[0] = max(0, bisect.bisect_right(starts, source_offset) - 1)
            return max(Fraction(0), targets[index] + source_offset - starts[index])

        return place

    def meter_map(self) -> MeterMap:
        changes = [MeterChange(bar, meter) for bar, meter in enumerate(self.bar_meters)]
        return MeterMap.from_changes(changes or [MeterChange(0, TimeSignature())], self.pickup)


@dataclass(frozen=True)
class _Reading:
    """How one measure's stated meter is read: a meter change, or the name of an irregular bar."""

    change: TimeSignature | None = None
    irregular_name: TimeSignature | None = None


def _read_stated_meters(measures: Sequence[SourceMeasure]) -> list[_Reading]:
    """Meter changes, telling music21's one-measure fragment meters apart from real changes."""
    readings: list[_Reading] = []
    current: TimeSignature | None = None  # the meter in force
    last = len(measures) - 1
    for index, measure in enumerate(measures):
        meter = measure.stated
        if meter is None or meter == current:
            readings.append(_Reading())
            continue
        following = measures[index + 1].stated if index + 1 < len(measures) else None
        fits_measure = meter.bar_beats == measure.length
        # music21's fragments are shorter or longer than the meter in force, which is stated again next
        # (or the piece ends here); a meter of the same length (2/2 after 4/4) is always a real change.
        one_measure_only = (current is not None and fits_measure and meter.bar_beats != current.bar_beats
                            and (following == current or index == last))
        if one_measure_only:
            readings.append(_Reading(irregular_name=meter))
        else:
            readings.append(_Reading(change=meter))
            current = meter
    return readings


@dataclass
class _Bars:
    """The bars laid out so far, plus the open bar that short measures are filling."""

    allowed: Collection[TimeSignature] | None  # meters an irregular bar may take (None: any)
    targets: list[Fraction] = field(default_factory=list)  # where each measure laid out so far starts
    meters: list[TimeSignature] = field(default_factory=list)
    last_bar_complete: bool = False  # the last bar is filled by its measures (not padded): it may grow
    cursor: Fraction = Fraction(0)  # where the open bar starts
    fill: Fraction = Fraction(0)  # how much of the open bar short measures have used
    members: list[int] = field(default_factory=list)  # measures in the open bar
    open_name: TimeSignature | None = None  # the stated name of a lone measure in the open bar

    def add(self, meter: TimeSignature, count: int = 1, complete: bool = True, length: Fraction | None = None) -> None:
        self.meters.extend([meter] * count)
        self.cursor += meter.bar_beats * count if length is None else length
        self.last_bar_complete = complete
        self.fill = Fraction(0)
        self.members = []
        self.open_name = None

    def own_meter(
        self, length: Fraction, meter: TimeSignature, name: TimeSignature | None, named_only: bool = False
    ) -> TimeSignature | None:
        """A meter lasting ``length`` for an irregular bar (its stated name first), if one is allowed."""
        candidates: list[TimeSignature | None] = [name] if name is not None and name.bar_beats == length else []
        if not named_only:
            candidates.append(time_signature_for_length(length, meter.denominator))
        return next((c for c in candidates if c is not None and (self.allowed is None or c in self.allowed)), None)

    def add_measure(self, length: Fraction, meter: TimeSignature, name: TimeSignature | None) -> None:
        """A measure at least a bar long: one bar of its own length, else whole bars of ``meter``."""
        self.close_open_bar(meter, upbeat=True)
        self.targets.append(self.cursor)
        own = meter if length == meter.bar_beats else self.own_meter(length, meter, name)
        if own is not None:
            self.add(own)
        else:
            self.add(meter, math.ceil(length / meter.bar_beats), complete=length % meter.bar_beats == 0)

    def add_short(self, length: Fraction, meter: TimeSignature, name: TimeSignature | None) -> None:
        if self.fill + length > meter.bar_beats:
            self.close_open_bar(meter, upbeat=False)
        self.open_name = name if not self.members else None  # a shared bar is named by its meter
        self.targets.append(self.cursor + self.fill)
        self.members.append(len(self.targets) - 1)
        self.fill += length
        if self.fill == meter.bar_beats:
            self.add(meter)

    def close_last_bar(self, meter: TimeSignature) -> None:
        """A short last bar is the final bar of the meter, padded, unless it states a meter of its own."""
        if self.fill > 0:
            self.add(self.own_meter(self.fill, meter, self.open_name, named_only=True) or meter, complete=False)

    def close_open_bar(self, meter: TimeSignature, upbeat: bool) -> None:
        """End the open bar: at its own length, joined to the bar before, or padded to ``meter``."""
        if self.fill == 0:
            return
        own = self.own_meter(self.fill, meter, self.open_name)
        if own is not None:
            self.add(own)
            return
        if self.meters and self.last_bar_complete:
            joined = self.own_meter(self.meters[-1].bar_beats + self.fill, meter, None)
            if joined is not None:  # the open bar's measures already start where the last bar ends
                self.meters.pop()
                self.cursor -= joined.bar_beats - self.fill
                self.add(joined)
                return
        if upbeat and self.fill <= meter.bar_beats / 2:  # it leads into the full bar that follows, like a pickup
            for index in self.members:
                self.targets[index] += meter.bar_beats - self.fill
        self.add(meter, complete=False)


def lay_out_measures(
    measures: Sequence[SourceMeasure],
    first_meter: TimeSignature | None = None,
    irregular_meters: Collection[TimeSignature] | None = None,
) -> BarLayout:
    """Bars for ``measures`` (in source order); ``first_meter`` applies until a measure states one.

    ``irregular_meters`` limits the meters an irregular bar may take (the
    token codec's, for training data); see the module docstring for what
    happens to a bar whose length has none of them.
    """
    readings = _read_stated_meters(measures)
    pickup = Fraction(0)
    # A pickup takes the first real meter, even when music21 named it by its own length.
    meter = next((r.change for r in readings if r.change is not None), None) or first_meter or TimeSignature()
    bars = _Bars(irregular_meters)
    last = len(measures) - 1
    for index, (measure, reading) in enumerate(zip(measures, readings, strict=True)):
        if reading.change is not None and reading.change != meter:
            bars.close_open_bar(meter, upbeat=False)  # the open bar ends where the new meter starts
            meter = reading.change
        elif reading.irregular_name is not None:
            bars.close_open_bar(meter, upbeat=False)  # a measure that states its meter starts a bar
        length, bar = measure.length, meter.bar_beats
        if length <= 0:
            bars.targets.append(bars.cursor + bars.fill)
        elif length < bar and not bars.meters and bars.fill == 0 and index < last:
            if irregular_meters is None:  # a pickup stays a short first bar, as printed
                bars.targets.append(bars.cursor)
                bars.add(meter, complete=False, length=length)
                pickup = length
            else:  # the token codec has no short bars: a pickup ends a full bar
                bars.targets.append(bars.cursor + bar - length)
                bars.add(meter, complete=False)
        elif length < bar:
            bars.add_short(length, meter, reading.irregular_name)
        else:
            bars.add_measure(length, meter, reading.irregular_name)
    bars.close_last_bar(meter)
    return BarLayout(tuple(m.offset for m in measures), tuple(bars.targets), tuple(bars.meters), pickup)


def long_meter_scale(main_meter: TimeSignature, meters: Collection[TimeSignature]) -> int:
    """1, 2 or 4: how much to shorten note values so that the piece's meter fits in a breve.

    Editions of early music commonly halve note values: 6/2 becomes 6/4, 3/1
    becomes 3/2, 4/1 becomes 4/2. Decided by the piece's main meter (one long
    irregular bar in a 2/4 song changes nothing); 1 when no factor up to 4
    gives time signatures that can all be written.
    """
    for factor in (1, 2, 4):
        if main_meter.bar_beats / factor > LONGEST_MODERN_BAR:
            continue
        if all(time_signature_or_none(m.numerator, m.denominator * factor) is not None for m in meters):
            return factor
        break
    return 1
