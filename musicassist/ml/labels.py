"""Words that tell the candidates of one set apart, true to their notes, with the numbers behind them.

Every candidate is measured (``Measures``): mean pitch, notes per bar, mean leap
of the melodic line (highest pitch of each onset), its rise (a straight-line
fit over the line, start to end, in semitones), its range and how many distinct
pitches it uses. Each measure can give a word, and a word is only offered when
the notes bear it out on their own, not just against the others:

* "higher register"/"lower register": the mean pitch is REGISTER_STEP above/below
  the middle of the set (or the seed, for a single candidate);
* "denser"/"sparser": notes per bar, by DENSITY_STEP of the middle;
* "rising"/"falling": the line's fitted rise is at least RISE semitones that way
  (a flat line never rises) and half of RISE more than the middle's;
* "leaping": mean leap at least LEAP semitones and above the middle; "stepwise":
  the line moves (some interval is not a repeat) by at most STEP on average and
  less than the middle;
* "wide range"/"narrow range": by SPAN_STEP semitones against the middle;
* "one repeated note" (a single pitch) or "repeated notes" (most intervals are repeats).

The words of a candidate are ranked by how far it stands from the middle on that
measure, and each candidate gets its two strongest. When two candidates of the set
would read the same, they take further words, then their own numbers ("around G4,
6 notes a bar"), so no two labels of a set are equal. The tooltip lists the
numbers behind every label, the middle of the set beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicassist.core.timemaps import PITCH_CLASS_NAMES

from .curation import Features
from .rules import melodic_line

REGISTER_STEP = 1.5  # semitones of mean pitch
DENSITY_STEP = 0.15  # share of the middle's notes per bar (at least half a note)
RISE = 4.0  # semitones from start to end of the fitted line
LEAP = 3.0  # mean leap (semitones) for "leaping"
STEP = 2.5  # mean leap (semitones) at most, for "stepwise"
MOTION_STEP = 0.5  # semitones of mean leap against the middle
SPAN_STEP = 3  # semitones of range against the middle
WORDS_PER_LABEL = 2


@dataclass(frozen=True)
class Measures:
    notes: int
    mean_pitch: float
    notes_per_bar: float
    mean_leap: float
    rise: float  # semitones, fitted start to end of the melodic line
    span: int  # highest minus lowest pitch
    distinct: int  # distinct pitches
    repeat_share: float  # share of melodic intervals that strike the same pitch again


@dataclass(frozen=True)
class Label:
    text: str
    tooltip: str


def measure(features: Features) -> Measures:
    """The numbers a label may speak of (from the features' notes when they carry them)."""
    notes = features.notes
    if notes is None or notes.pitch.size == 0:
        return Measures(features.note_count, features.mean_pitch, features.notes_per_bar, features.mean_leap,
                        0.0, 0, 0, 0.0)
    onsets, line = melodic_line(notes)
    steps = np.diff(line)
    rise = 0.0
    if line.size > 1 and np.ptp(onsets) > 0:
        slope = np.polyfit(onsets.astype(float), line.astype(float), 1)[0]
        rise = float(slope * np.ptp(onsets))
    return Measures(
        notes=int(notes.pitch.size), mean_pitch=features.mean_pitch, notes_per_bar=features.notes_per_bar,
        mean_leap=features.mean_leap, rise=rise, span=int(np.ptp(notes.pitch)),
        distinct=int(np.unique(notes.pitch).size),
        repeat_share=float(np.mean(steps == 0)) if steps.size else 0.0,
    )


def pitch_name(pitch: float) -> str:
    rounded = round(pitch)
    return f"{PITCH_CLASS_NAMES[rounded % 12]}{rounded // 12 - 1}"


def _middle(measures: Sequence[Measures]) -> Measures:
    sounding = [m for m in measures if m.notes] or list(measures)
    def median(name: str) -> float:
        return float(np.median([getattr(m, name) for m in sounding]))
    return Measures(int(median("notes")), median("mean_pitch"), median("notes_per_bar"), median("mean_leap"),
                    median("rise"), int(median("span")), int(median("distinct")), median("repeat_share"))


def words(m: Measures, middle: Measures) -> list[tuple[float, str]]:
    """(strength, word) of every word the notes bear out, strongest first."""
    found: list[tuple[float, str]] = []
    if m.notes == 0:
        return [(99.0, "silent")]
    if m.distinct == 1:
        found.append((9.0, f"one repeated note ({pitch_name(m.mean_pitch)})"))
    elif m.repeat_share > 0.5:
        found.append((2.0 * m.repeat_share, "repeated notes"))
    register = (m.mean_pitch - middle.mean_pitch) / REGISTER_STEP
    if abs(register) >= 1:
        found.append((abs(register), "higher register" if register > 0 else "lower register"))
    density_step = max(0.5, DENSITY_STEP * middle.notes_per_bar)
    density = (m.notes_per_bar - middle.notes_per_bar) / density_step
    if abs(density) >= 1:
        found.append((abs(density), "denser" if density > 0 else "sparser"))
    turn = (m.rise - middle.rise) / RISE
    if m.distinct > 1 and abs(m.rise) >= RISE and abs(turn) >= 0.5 and np.sign(turn) == np.sign(m.rise):
        found.append((abs(turn) + 0.5, "rising" if m.rise > 0 else "falling"))
    motion = (m.mean_leap - middle.mean_leap) / MOTION_STEP
    if motion >= 1 and m.mean_leap >= LEAP:
        found.append((motion, "leaping"))
    elif motion <= -1 and 0 < m.mean_leap <= STEP and m.repeat_share < 1:
        found.append((-motion, "stepwise"))
    span = (m.span - middle.span) / SPAN_STEP
    if abs(span) >= 1 and m.distinct > 1:
        found.append((abs(span), "wide range" if span > 0 else "narrow range"))
    return sorted(found, key=lambda item: -item[0])


def _numbers(m: Measures) -> str:
    return f"around {pitch_name(m.mean_pitch)}, {m.notes_per_bar:.3g} notes a bar"


def tooltip(m: Measures, middle: Measures, versus: str) -> str:
    return (f"mean pitch {pitch_name(m.mean_pitch)} ({m.mean_pitch:.1f}; {versus} {middle.mean_pitch:.1f})\n"
            f"{m.notes_per_bar:.2f} notes a bar ({versus} {middle.notes_per_bar:.2f})\n"
            f"mean leap {m.mean_leap:.1f} semitones ({versus} {middle.mean_leap:.1f})\n"
            f"line rises {m.rise:+.1f} semitones; range {m.span} semitones, {m.distinct} distinct pitches; "
            f"{100 * m.repeat_share:.0f}% repeated notes")


def describe_set(candidates: Sequence[Features], seed: Features | None = None) -> list[Label]:
    """A label per candidate, all different; against the middle of the set (the seed for a single one)."""
    measures = [measure(f) for f in candidates]
    if len(candidates) == 1 and seed is not None:
        middle, versus, plain = measure(seed), "seed", "close to the seed"
    else:
        middle, versus, plain = _middle(measures), "middle", "middle of the set"
    ranked = [[w for _, w in words(m, middle)] for m in measures]
    taken = [min(WORDS_PER_LABEL, len(r)) for r in ranked]
    texts = [", ".join(r[:t]) or plain for r, t in zip(ranked, taken, strict=True)]
    # Clashing labels take more of their own words, then their numbers, then a letter (always unique).
    stage = [0] * len(texts)
    while True:
        clashes = [i for i, t in enumerate(texts) if texts.count(t) > 1]
        if not clashes:
            break
        for i in clashes:
            if stage[i] == 0 and taken[i] < len(ranked[i]):
                taken[i] = len(ranked[i])
                texts[i] = ", ".join(ranked[i])
            elif stage[i] <= 1:
                texts[i] = f"{texts[i]} ({_numbers(measures[i])})"
                stage[i] = 1
            else:
                texts[i] = f"{texts[i]}, variant {chr(ord('a') + clashes.index(i) % 26)}{clashes.index(i) // 26 or ''}"
            stage[i] += 1
    return [Label(text, tooltip(m, middle, versus)) for text, m in zip(texts, measures, strict=True)]


def label(candidate: Features, reference: Features | Sequence[Features]) -> Label:
    """``candidate``'s label within ``reference``: the chosen set it belongs to, or the seed it continues."""
    if isinstance(reference, Features):
        return describe_set([candidate], reference)[0]
    members = list(reference)
    index = next((i for i, f in enumerate(members) if f is candidate), None)
    if index is None:
        members.append(candidate)
        index = len(members) - 1
    return describe_set(members)[index]
