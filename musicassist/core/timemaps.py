"""Meter, tempo and key: how beats map to bars and to seconds.

Beats are ``Fraction`` quarter notes from the start of the piece (quarter = 1).
Meter changes sit on barlines and are addressed by a 0-based bar index, so the
bar <-> beat conversion is exact under any sequence of meter changes. Tempo
changes sit on beats. Bars beyond the last change repeat the last meter.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise

from .errors import ScoreError

PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAX_US_PER_BEAT = 0xFFFFFF  # three bytes: the largest tempo value a MIDI set_tempo holds
_NAME_TO_PC = {
    "C": 0, "B#": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "FB": 4,
    "F": 5, "E#": 5, "F#": 6, "GB": 6, "G": 7, "G#": 8, "AB": 8, "A": 9,
    "A#": 10, "BB": 10, "B": 11, "CB": 11,
}


@dataclass(frozen=True, order=True)
class TimeSignature:
    numerator: int = 4
    denominator: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.numerator <= 64:
            raise ScoreError(f"A time signature of {self.numerator} beats per bar is not supported.")
        if self.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise ScoreError(f"A time signature over {self.denominator} is not supported.")

    @property
    def bar_beats(self) -> Fraction:
        """Length of one bar in quarter notes (6/8 -> 3, 7/8 -> 7/2)."""
        return Fraction(4 * self.numerator, self.denominator)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @classmethod
    def parse(cls, text: str) -> TimeSignature:
        try:
            num, den = text.strip().split("/")
            return cls(int(num), int(den))
        except ValueError as exc:
            raise ScoreError(f"'{text}' is not a time signature like 4/4 or 6/8.") from exc


@dataclass(frozen=True)
class MeterChange:
    bar: int
    time_signature: TimeSignature


@dataclass(frozen=True)
class MeterMap:
    """Meter changes by 0-based bar; the first change is always at bar 0.

    ``pickup`` is the length in beats of an incomplete first bar (an
    anacrusis), 0 when the first bar is complete: the piece then starts with
    that short bar and bar 1 starts at beat ``pickup``, so the downbeats fall
    where the notation has them. Every later bar is a full bar of its meter.
    """

    changes: tuple[MeterChange, ...] = (MeterChange(0, TimeSignature()),)
    pickup: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if not self.changes or self.changes[0].bar != 0:
            raise ScoreError("A meter map must start with a time signature at bar 1.")
        bars = [c.bar for c in self.changes]
        if any(b2 <= b1 for b1, b2 in pairwise(bars)):
            raise ScoreError("Meter changes must be in increasing bar order.")
        if type(self.pickup) is not Fraction:
            object.__setattr__(self, "pickup", Fraction(self.pickup))
        if not 0 <= self.pickup < self.changes[0].time_signature.bar_beats:
            raise ScoreError("A pickup bar must be shorter than a full bar of the opening meter.")

    @property
    def _shortfall(self) -> Fraction:
        """How much shorter than a full bar the first bar is (0 without a pickup)."""
        return self.changes[0].time_signature.bar_beats - self.pickup if self.pickup else Fraction(0)

    @classmethod
    def constant(cls, time_signature: TimeSignature) -> MeterMap:
        return cls((MeterChange(0, time_signature),))

    @classmethod
    def from_changes(cls, changes: list[MeterChange] | tuple[MeterChange, ...],
                     pickup: Fraction = Fraction(0)) -> MeterMap:
        """Build a normalised map: sorted, later duplicates win, redundant changes dropped."""
        by_bar: dict[int, TimeSignature] = {}
        for change in sorted(changes, key=lambda c: c.bar):
            by_bar[change.bar] = change.time_signature
        by_bar.setdefault(0, TimeSignature())
        out: list[MeterChange] = []
        for bar in sorted(by_bar):
            ts = by_bar[bar]
            if not out or out[-1].time_signature != ts:
                out.append(MeterChange(bar, ts))
        return cls(tuple(out), pickup)

    def _index(self, bar: int) -> int:
        return bisect.bisect_right([c.bar for c in self.changes], bar) - 1

    def time_signature_at_bar(self, bar: int) -> TimeSignature:
        if bar < 0:
            raise ScoreError("Bar numbers start at 1.")
        return self.changes[self._index(bar)].time_signature

    def bar_length(self, bar: int) -> Fraction:
        if bar == 0 and self.pickup:
            return self.pickup
        return self.time_signature_at_bar(bar).bar_beats

    def bar_start(self, bar: int) -> Fraction:
        """Beat at which 0-based ``bar`` starts."""
        if bar < 0:
            raise ScoreError("Bar numbers start at 1.")
        if bar == 0:
            return Fraction(0)
        beat = -self._shortfall
        for i, change in enumerate(self.changes):
            next_bar = self.changes[i + 1].bar if i + 1 < len(self.changes) else None
            if next_bar is None or bar < next_bar:
                return beat + (bar - change.bar) * change.time_signature.bar_beats
            beat += (next_bar - change.bar) * change.time_signature.bar_beats
        raise AssertionError("unreachable")

    def bar_at(self, beat: Fraction) -> int:
        """0-based bar containing ``beat`` (a beat on a barline belongs to the new bar)."""
        if beat < 0:
            raise ScoreError("A position before the start of the piece has no bar.")
        beat = beat + self._shortfall  # counted as if the pickup were a full bar
        start = Fraction(0)
        for i, change in enumerate(self.changes):
            length = change.time_signature.bar_beats
            next_bar = self.changes[i + 1].bar if i + 1 < len(self.changes) else None
            if next_bar is not None:
                span_end = start + (next_bar - change.bar) * length
                if beat >= span_end:
                    start = span_end
                    continue
            return change.bar + int((beat - start) // length)
        raise AssertionError("unreachable")

    def bars_to_cover(self, beat: Fraction) -> int:
        """Smallest number of whole bars whose total length reaches ``beat``."""
        if beat <= 0:
            return 0
        bar = self.bar_at(beat)
        return bar if self.bar_start(bar) == beat else bar + 1

    def slice(self, start_bar: int, end_bar: int) -> MeterMap:
        """Meter map of bars ``start_bar..end_bar-1`` renumbered from 0 (a slice from bar 0 keeps the pickup)."""
        changes = [MeterChange(0, self.time_signature_at_bar(start_bar))]
        changes += [
            MeterChange(c.bar - start_bar, c.time_signature)
            for c in self.changes
            if start_bar < c.bar < end_bar
        ]
        return MeterMap.from_changes(changes, self.pickup if start_bar == 0 else Fraction(0))

    def splice(self, at_bar: int, removed_bars: int, inserted: MeterMap, inserted_bars: int) -> MeterMap:
        """Replace ``removed_bars`` bars at ``at_bar`` by ``inserted_bars`` bars of ``inserted``.

        The first bar decides the pickup: the inserted one's when the splice replaces or precedes bar 0.
        """
        resume_bar = at_bar + removed_bars
        shift = inserted_bars - removed_bars
        changes = [c for c in self.changes if c.bar < at_bar]
        changes += [
            MeterChange(at_bar + c.bar, c.time_signature) for c in inserted.changes if c.bar < inserted_bars
        ]
        changes.append(MeterChange(resume_bar + shift, self.time_signature_at_bar(resume_bar)))
        changes += [MeterChange(c.bar + shift, c.time_signature) for c in self.changes if c.bar > resume_bar]
        if at_bar > 0:
            pickup = self.pickup
        elif inserted_bars > 0:
            pickup = inserted.pickup
        else:
            pickup = self.pickup if removed_bars == 0 else Fraction(0)
        first = changes[0].time_signature if changes and changes[0].bar == 0 else TimeSignature()
        return MeterMap.from_changes(changes, pickup if pickup < first.bar_beats else Fraction(0))

    def without_pickup(self) -> MeterMap:
        """The same meters with a complete first bar (what bar-based tools that need full bars use)."""
        return MeterMap(self.changes)


@dataclass(frozen=True)
class TempoChange:
    """A tempo from ``beat`` on, in quarter notes per minute.

    ``us_per_beat`` is the exact value a MIDI file wrote (microseconds per
    quarter note) when the tempo came from one: ``bpm`` is then that value
    rounded to 1/100 for display, while seconds and MIDI export use the exact
    value, so 465172 is written back as 465172 and a ten-minute piece keeps
    every note on its millisecond. A tempo the composer types has only ``bpm``.
    """

    beat: Fraction
    bpm: float
    us_per_beat: int | None = None

    def __post_init__(self) -> None:
        if self.us_per_beat is not None and not 1 <= self.us_per_beat <= MAX_US_PER_BEAT:
            raise ScoreError(f"A tempo of {self.us_per_beat} microseconds per beat is outside 1..{MAX_US_PER_BEAT}.")

    @classmethod
    def exact(cls, beat: Fraction, us_per_beat: int) -> TempoChange:
        """The tempo a MIDI ``set_tempo`` of ``us_per_beat`` gives (bpm rounded for display)."""
        return cls(Fraction(beat), round(60_000_000 / us_per_beat, 2), us_per_beat)

    @property
    def seconds_per_beat(self) -> float:
        return self.us_per_beat / 1_000_000 if self.us_per_beat is not None else 60.0 / self.bpm

    @property
    def microseconds(self) -> int:
        """Microseconds per quarter note as a MIDI file stores it: the exact value read, or the nearest."""
        if self.us_per_beat is not None:
            return self.us_per_beat
        return min(MAX_US_PER_BEAT, max(1, round(60_000_000 / self.bpm)))

    def same_tempo(self, other: TempoChange) -> bool:
        return self.bpm == other.bpm and self.us_per_beat == other.us_per_beat


@dataclass(frozen=True)
class TempoMap:
    """Tempo changes by beat (quarter notes per minute); the first is at beat 0."""

    changes: tuple[TempoChange, ...] = (TempoChange(Fraction(0), 120.0),)

    def __post_init__(self) -> None:
        if not self.changes or self.changes[0].beat != 0:
            raise ScoreError("A tempo map must start with a tempo at the first beat.")
        for change in self.changes:
            if not 1.0 <= change.bpm <= 2000.0:
                raise ScoreError(f"A tempo of {change.bpm:g} BPM is outside 1..2000.")
        beats = [c.beat for c in self.changes]
        if any(b2 <= b1 for b1, b2 in pairwise(beats)):
            raise ScoreError("Tempo changes must be in increasing order.")

    @classmethod
    def constant(cls, bpm: float) -> TempoMap:
        return cls((TempoChange(Fraction(0), float(bpm)),))

    @classmethod
    def from_changes(cls, changes: list[TempoChange] | tuple[TempoChange, ...]) -> TempoMap:
        """A normalised map: sorted, the last of one beat wins, a change equal to the one before dropped."""
        by_beat: dict[Fraction, TempoChange] = {}
        for change in sorted(changes, key=lambda c: c.beat):
            by_beat[Fraction(change.beat)] = change
        if not by_beat or min(by_beat) > 0:
            first = by_beat[min(by_beat)] if by_beat else TempoChange(Fraction(0), 120.0)
            by_beat[Fraction(0)] = replace(first, beat=Fraction(0))
        out: list[TempoChange] = []
        for beat in sorted(by_beat):
            change = by_beat[beat]
            if not out or not out[-1].same_tempo(change):
                out.append(replace(change, beat=beat))
        return cls(tuple(out))

    def change_at(self, beat: Fraction) -> TempoChange:
        """The tempo change in force at ``beat``."""
        index = bisect.bisect_right([c.beat for c in self.changes], beat) - 1
        return self.changes[max(index, 0)]

    def bpm_at(self, beat: Fraction) -> float:
        return self.change_at(beat).bpm

    def seconds_at(self, beat: Fraction) -> float:
        seconds = 0.0
        for i, change in enumerate(self.changes):
            end = self.changes[i + 1].beat if i + 1 < len(self.changes) else None
            if end is None or beat <= end:
                return seconds + float(beat - change.beat) * change.seconds_per_beat
            seconds += float(end - change.beat) * change.seconds_per_beat
        raise AssertionError("unreachable")

    def beat_at_seconds(self, seconds: float) -> float:
        elapsed = 0.0
        for i, change in enumerate(self.changes):
            end = self.changes[i + 1].beat if i + 1 < len(self.changes) else None
            span = float(end - change.beat) * change.seconds_per_beat if end is not None else None
            if span is None or seconds <= elapsed + span:
                return float(change.beat) + (seconds - elapsed) / change.seconds_per_beat
            elapsed += span
        raise AssertionError("unreachable")

    def slice(self, start: Fraction, end: Fraction) -> TempoMap:
        """Tempo map of beats ``start..end`` renumbered from 0 (exact tempi stay exact, and a change
        that repeats the tempo before it stays: a file's every ``set_tempo`` is written back)."""
        changes = [replace(self.change_at(start), beat=Fraction(0))]
        changes += [replace(c, beat=c.beat - start) for c in self.changes if start < c.beat < end]
        return TempoMap(tuple(changes))

    def splice(self, at: Fraction, removed: Fraction, inserted: TempoMap, inserted_length: Fraction) -> TempoMap:
        """Replace beats ``at..at+removed`` by ``inserted_length`` beats of ``inserted``.

        Changes away from the two seams stay as they are, repeats included; at each seam (the
        inserted tempo at ``at``, the tempo in force at ``at+removed`` after the inserted beats) a
        change is placed only where the tempo changes."""
        resume = at + removed
        shift = inserted_length - removed
        changes = [c for c in self.changes if c.beat < at]

        def add(change: TempoChange) -> None:
            if changes and changes[-1].beat == change.beat:
                changes[-1] = change  # on one beat the later wins
            elif not changes or not changes[-1].same_tempo(change):
                changes.append(change)

        for c in inserted.changes:
            if c.beat < inserted_length:
                if c.beat == 0:
                    add(replace(c, beat=at))
                else:
                    changes.append(replace(c, beat=at + c.beat))
        later = [c for c in self.changes if c.beat >= resume]
        seam = later.pop(0) if later and later[0].beat == resume else self.change_at(resume)
        add(replace(seam, beat=resume + shift))
        changes += [replace(c, beat=c.beat + shift) for c in later]
        return TempoMap(tuple(changes))


@dataclass(frozen=True)
class KeySignature:
    """A key: tonic pitch class (0 = C) and mode."""

    tonic: int = 0
    mode: str = "major"

    def __post_init__(self) -> None:
        if not 0 <= self.tonic <= 11:
            raise ScoreError("A key's tonic must be a pitch class 0..11.")
        if self.mode not in ("major", "minor"):
            raise ScoreError(f"Unknown mode '{self.mode}': use major or minor.")

    @property
    def scale_pitch_classes(self) -> frozenset[int]:
        """The notes of the key: major, or natural minor plus the raised leading tone (harmonic minor's
        7th), which minor-key music uses at nearly every cadence."""
        steps = (0, 2, 4, 5, 7, 9, 11) if self.mode == "major" else (0, 2, 3, 5, 7, 8, 10, 11)
        return frozenset((self.tonic + s) % 12 for s in steps)

    @property
    def sharps(self) -> int:
        """Sharps (>0) or flats (<0) in the signature, as MIDI key signatures count them."""
        major_tonic = self.tonic if self.mode == "major" else (self.tonic + 3) % 12
        fifths = (major_tonic * 7) % 12
        return fifths - 12 if fifths > 6 else fifths

    @classmethod
    def from_sharps(cls, sharps: int, mode: str = "major") -> KeySignature:
        major_tonic = (sharps * 7) % 12
        tonic = major_tonic if mode == "major" else (major_tonic - 3) % 12
        return cls(tonic, mode)

    @classmethod
    def parse(cls, text: str) -> KeySignature:
        """Parse 'C:major', 'A minor', 'F#m', 'Bb' (major when no mode is given)."""
        raw = text.strip().replace(":", " ")
        parts = raw.split()
        name, mode = (parts[0], parts[1].lower()) if len(parts) == 2 else (raw, "major")
        if len(parts) == 1 and len(name) > 1 and name.endswith("m") and name[:-1].upper() in _NAME_TO_PC:
            name, mode = name[:-1], "minor"
        mode = {"maj": "major", "min": "minor"}.get(mode, mode)
        pc = _NAME_TO_PC.get(name.upper())
        if pc is None or mode not in ("major", "minor"):
            raise ScoreError(f"'{text}' is not a key like C:major or A:minor.")
        return cls(pc, mode)

    def __str__(self) -> str:
        return f"{PITCH_CLASS_NAMES[self.tonic]}:{self.mode}"


@dataclass(frozen=True)
class KeyChange:
    """A key signature that takes effect at a beat inside the piece (the opening key is ``Score.key``)."""

    beat: Fraction
    key: KeySignature

    def __post_init__(self) -> None:
        if type(self.beat) is not Fraction:
            object.__setattr__(self, "beat", Fraction(self.beat))
        if self.beat <= 0:
            raise ScoreError("A key change comes after the first beat; the opening key is the score's key.")
