"""Turn meter and tempo events found at beat positions into the core's maps.

Files give meter changes at a time position (a MIDI tick, a music21 offset);
the core keeps them on barlines by bar index. Both readers use these helpers
so that they agree on the one awkward case: a meter change that is not on a
barline of the meter before it is moved to the next barline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from musicassist.core.timemaps import MAX_US_PER_BEAT, MeterChange, MeterMap, TempoChange, TempoMap, TimeSignature

DEFAULT_BPM = 120.0
MIN_BPM, MAX_BPM = 1.0, 2000.0  # what core.TempoMap accepts
MIN_US_PER_BEAT = 30_000  # 2000 BPM; the slowest a set_tempo holds (0xFFFFFF, 3.6 BPM) is within range


def meter_map_from_positions(changes: Iterable[tuple[Fraction, TimeSignature]]) -> MeterMap:
    """Meter map from (beat, time signature) pairs, in any order.

    Before the first change the meter is 4/4 (the MIDI default). A change
    that falls inside a bar takes effect at the next barline; when several
    changes land on the same barline the last one in time wins.
    """
    by_bar: dict[int, TimeSignature] = {0: TimeSignature()}
    anchor_bar, anchor_beat, current = 0, Fraction(0), TimeSignature()
    for beat, time_signature in sorted(changes, key=lambda change: change[0]):
        bars_later = max(0, math.ceil((beat - anchor_beat) / current.bar_beats))
        anchor_bar += bars_later
        anchor_beat += bars_later * current.bar_beats
        by_bar[anchor_bar] = time_signature
        current = time_signature
    return MeterMap.from_changes([MeterChange(bar, ts) for bar, ts in by_bar.items()])


def clamp_bpm(bpm: float) -> float:
    """A tempo the core accepts, rounded to 1/100 BPM.

    MIDI stores whole microseconds per quarter note, so 97.3 BPM comes back as
    97.29991...; rounding to two decimals gives back what the composer typed.
    """
    if not math.isfinite(bpm):
        return DEFAULT_BPM
    return round(min(MAX_BPM, max(MIN_BPM, bpm)), 2)


def tempo_map_from_positions(changes: Iterable[tuple[Fraction, float]]) -> TempoMap:
    """Tempo map from (beat, BPM) pairs; 120 BPM until the first change."""
    tempo_changes = [TempoChange(Fraction(beat), clamp_bpm(bpm)) for beat, bpm in changes]
    if not tempo_changes:
        return TempoMap.constant(DEFAULT_BPM)
    if min(change.beat for change in tempo_changes) > 0:
        tempo_changes.append(TempoChange(Fraction(0), DEFAULT_BPM))
    # Stable sort keeps file order for changes on the same beat; from_changes lets the last win.
    return TempoMap.from_changes(sorted(tempo_changes, key=lambda change: change.beat))


def exact_tempo_map(changes: Iterable[tuple[Fraction, int]]) -> TempoMap:
    """Tempo map from (beat, microseconds per quarter note) as a MIDI file gives them, kept exact.

    Every change is kept, even one that repeats the tempo before it (so that a file's
    ``set_tempo`` events are all written back); of two on one beat the later wins. A
    value beyond the core's 1..2000 BPM is clamped and loses its exactness. 120 BPM
    (MIDI's default) until the first change.
    """
    by_beat: dict[Fraction, TempoChange] = {}
    for beat, microseconds in sorted(changes, key=lambda change: change[0]):  # stable: file order on a beat
        if MIN_US_PER_BEAT <= microseconds <= MAX_US_PER_BEAT:
            by_beat[beat] = TempoChange.exact(beat, microseconds)
        else:
            by_beat[beat] = TempoChange(beat, clamp_bpm(60_000_000 / max(1, microseconds)))
    if Fraction(0) not in by_beat:
        by_beat[Fraction(0)] = TempoChange(Fraction(0), DEFAULT_BPM)
    return TempoMap(tuple(by_beat[beat] for beat in sorted(by_beat)))


def time_signature_or_none(numerator: int, denominator: int) -> TimeSignature | None:
    """A TimeSignature, or None for one the core cannot hold (0/4, 5/3, 3/128)."""
    if not 1 <= numerator <= 64 or denominator not in (1, 2, 4, 8, 16, 32, 64):
        return None
    return TimeSignature(numerator, denominator)


def time_signature_for_length(length: Fraction, preferred_denominator: int = 4) -> TimeSignature | None:
    """A time signature whose bar lasts ``length`` quarter notes (3 -> 3/4, 3/2 -> 3/8).

    Used for bars that notation leaves short or long (a pickup in the middle of
    a tune, a bar before a repeat), so that later bars stay on their barlines.
    """
    if length <= 0:
        return None
    denominators = [preferred_denominator] + [d for d in (4, 8, 16, 32, 64) if d != preferred_denominator]
    for denominator in denominators:
        numerator = length * denominator / 4
        if numerator.denominator == 1:
            found = time_signature_or_none(int(numerator), denominator)
            if found is not None:
                return found
    return None
