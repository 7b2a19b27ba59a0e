"""Musical rules of thumb as small pure functions: one value per segment, given the seed it continues.

Every rule has the signature ``rule(segment, seed) -> float`` over
``curation.NoteArrays`` (grid onsets, 12 per quarter; the segment's onsets
count from its first bar line). A rule returns a rate in 0..1 or a 0/1 flag,
and NaN when it is undefined for the segment (no notes, no leaps). They are
the realism report's rule rates and development measures, and are meant to be
reused unchanged as reinforcement-learning rewards (issue 16), so none of them
keeps state or reads anything but its two arguments.

The *melodic line* is the highest pitch struck at each onset: the tune in a
folk song, the soprano in a chorale. The *key* is the seed's (``core.key_detect``,
the same estimate as the continuation check and the app), so real and
generated bars are judged by one key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from musicassist.codec.vocab import RESOLUTION
from musicassist.core.key_detect import detect_key_arrays

if TYPE_CHECKING:  # curation imports the realism features, which import this module
    from .curation import NoteArrays

Rule = Callable[["NoteArrays", "NoteArrays"], float]

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the raised leading tone (as features.py)
LONG_REPEAT = 4  # "a note struck more than 4 times in a row"
LEAP = 7  # semitones: a leap is larger than a fifth
STEP = 2  # semitones: a step resolves a leap
OCTAVE = 12
# Bins of the absolute melodic interval (semitones) reported side by side; the last one is "more than an octave".
INTERVAL_BINS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", ">12")


def key_of(seed: NoteArrays) -> tuple[int, bool]:
    """(tonic pitch class, is_major) of the seed, by the core key finder ((0, True) without notes)."""
    starts = seed.bar_starts.tolist()
    bar_length = (starts[1] - starts[0] if len(starts) > 1 else seed.end - starts[0] if starts else 0) / RESOLUTION
    key = detect_key_arrays(seed.pitch, seed.start / RESOLUTION, seed.duration / RESOLUTION,
                            bar_length=bar_length or None)
    return (key.tonic, key.mode == "major") if key is not None else (0, True)


def scale_mask(key: tuple[int, bool]) -> np.ndarray:
    """Twelve booleans: which pitch classes belong to the key's scale."""
    tonic, major = key
    mask = np.zeros(12, dtype=bool)
    mask[[(tonic + step) % 12 for step in (MAJOR_SCALE if major else MINOR_SCALE)]] = True
    return mask


def melodic_line(notes: NoteArrays) -> tuple[np.ndarray, np.ndarray]:
    """(onsets, highest pitch struck at each onset), in time order."""
    if notes.pitch.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((notes.pitch, notes.start))
    starts, pitches = notes.start[order], notes.pitch[order]
    onsets, first = np.unique(starts, return_index=True)
    return onsets, np.maximum.reduceat(pitches, first)


def melodic_intervals(notes: NoteArrays) -> np.ndarray:
    """Signed semitone steps of the melodic line."""
    return np.diff(melodic_line(notes)[1])


def interval_histogram(segment: NoteArrays) -> np.ndarray:
    """Counts of absolute melodic intervals in ``INTERVAL_BINS`` (0..12 semitones, then larger)."""
    steps = np.minimum(np.abs(melodic_intervals(segment)), OCTAVE + 1)
    return np.bincount(steps, minlength=len(INTERVAL_BINS)).astype(float)


# --- rule rates --------------------------------------------------------------------------------------

def out_of_key_rate(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of the segment's notes whose pitch class is outside the seed's scale."""
    if segment.pitch.size == 0:
        return float("nan")
    return float(np.mean(~scale_mask(key_of(seed))[segment.pitch % 12]))


def long_repetition(segment: NoteArrays, seed: NoteArrays) -> float:
    """1 if the melodic line strikes one pitch more than LONG_REPEAT times in a row."""
    del seed  # the rule reads the segment alone; the signature is shared by every rule
    steps = melodic_intervals(segment)
    run = longest = 0
    for same in (steps == 0).tolist():
        run = run + 1 if same else 0
        longest = max(longest, run)
    return float(longest + 1 > LONG_REPEAT)


def leap_rate(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of melodic intervals larger than a fifth."""
    del seed
    steps = melodic_intervals(segment)
    return float(np.mean(np.abs(steps) > LEAP)) if steps.size else float("nan")


def leap_resolution(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of leaps larger than a fifth followed by a step back the other way (NaN without such leaps).

    A leap on the segment's last interval has no following note here and is left out.
    """
    del seed
    leaps, resolved = leap_counts(segment)
    return resolved / leaps if leaps else float("nan")


def leap_counts(segment: NoteArrays, largest: int | None = None) -> tuple[int, int]:
    """(leaps larger than a fifth that have a following note, how many of them step back the other way);
    with ``largest``, only leaps of at most that many semitones count."""
    steps = melodic_intervals(segment)
    size = np.abs(steps[:-1])
    leaps = np.flatnonzero((size > LEAP) & (size <= (largest if largest is not None else size.max(initial=0))))
    after = steps[leaps + 1]
    resolved = (np.abs(after) >= 1) & (np.abs(after) <= STEP) & (np.sign(after) == -np.sign(steps[leaps]))
    return int(leaps.size), int(np.sum(resolved))


def ends_on_tonic_or_dominant(segment: NoteArrays, seed: NoteArrays) -> float:
    """1 if the last onset's lowest note (the bass of part music, the tune of a melody) is the tonic or dominant."""
    if segment.pitch.size == 0:
        return float("nan")
    last = segment.start == segment.start.max()
    tonic, _ = key_of(seed)
    return float(int(segment.pitch[last].min()) % 12 in (tonic, (tonic + 7) % 12))


def register_jump(segment: NoteArrays, seed: NoteArrays) -> float:
    """1 if the melodic line jumps more than an octave, counting the join from the seed's last melody note."""
    line = melodic_line(segment)[1]
    if line.size == 0:
        return float("nan")
    before = melodic_line(seed)[1]
    joined = np.concatenate((before[-1:], line))
    return float(np.any(np.abs(np.diff(joined)) > OCTAVE))


def repeated_note_rate(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of melodic intervals that strike the same pitch again."""
    del seed
    steps = melodic_intervals(segment)
    return float(np.mean(steps == 0)) if steps.size else float("nan")


# --- part writing (chorale-style polyphony) -----------------------------------------------------------
# The outer voices are the lowest and highest pitch struck at one onset; notes held over from an earlier
# onset are not counted (the tokens give onsets, and a chorale strikes most voices together on the beat).
PERFECT = (0, 7)  # unison/octave and fifth, as pitch-class distances between the outer voices


def outer_voices(notes: NoteArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lowest pitch, highest pitch, number of notes) struck at each onset, in time order."""
    if notes.pitch.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    order = np.lexsort((notes.pitch, notes.start))
    starts, pitches = notes.start[order], notes.pitch[order]
    _, first, counts = np.unique(starts, return_index=True, return_counts=True)
    return np.minimum.reduceat(pitches, first), np.maximum.reduceat(pitches, first), counts


def parallel_perfects(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of moves between consecutive chords in which bass and top voice move the same way from a perfect
    fifth or octave into the same interval again (parallel fifths/octaves); NaN without two chords in a row."""
    del seed
    low, high, count = outer_voices(segment)
    pairs = np.flatnonzero((count[:-1] >= 2) & (count[1:] >= 2))
    if pairs.size == 0:
        return float("nan")
    span = (high - low) % 12
    top_moves, bass_moves = np.sign(np.diff(high))[pairs], np.sign(np.diff(low))[pairs]
    parallel = (span[pairs] == span[pairs + 1]) & np.isin(span[pairs], PERFECT)
    return float(np.mean(parallel & (top_moves != 0) & (top_moves == bass_moves)))


def wide_spacing(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of chords of 3+ notes with more than an octave between two neighbouring upper voices (the bass may
    lie further below); NaN without such chords."""
    del seed
    order = np.lexsort((segment.pitch, segment.start))
    starts, pitches = segment.start[order], segment.pitch[order]
    _, first, counts = np.unique(starts, return_index=True, return_counts=True)
    verdicts = [bool(np.any(np.diff(pitches[i + 1:i + n]) > OCTAVE))
                for i, n in zip(first.tolist(), counts.tolist(), strict=True) if n >= 3]
    return float(np.mean(verdicts)) if verdicts else float("nan")


# --- development of the seed -------------------------------------------------------------------------

def _bars(notes: NoteArrays) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each bar's (offsets in the bar, pitches), sorted; durations are left out (articulation varies)."""
    bar_of_note = np.searchsorted(notes.bar_starts, notes.start, side="right") - 1
    out = []
    for bar, bar_start in enumerate(notes.bar_starts.tolist()):
        inside = bar_of_note == bar
        offsets, pitches = notes.start[inside] - bar_start, notes.pitch[inside]
        order = np.lexsort((pitches, offsets))
        out.append((offsets[order], pitches[order]))
    return out


def bar_shapes(notes: NoteArrays) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Each sounding bar as (offsets in the bar, pitches above its lowest-first note): equal shapes are the same
    bar up to transposition (sorting by offset then pitch survives a transposition)."""
    return [(tuple(offsets.tolist()), tuple((pitches - pitches[0]).tolist()))
            for offsets, pitches in _bars(notes) if offsets.size]


def seed_bar_reuse(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of the segment's sounding bars equal to a seed bar or a transposition of one (same onsets in the
    bar, same intervals); NaN when every bar is silent."""
    return bar_reuse(bar_shapes(segment), set(bar_shapes(seed)))


def bar_reuse(shapes: list[tuple[tuple[int, ...], tuple[int, ...]]], seed_shapes: set[Any]) -> float:
    """``seed_bar_reuse`` from shapes already taken (the seed's once for many candidates)."""
    return float(np.mean([shape in seed_shapes for shape in shapes])) if shapes else float("nan")


def seed_rhythm_reuse(segment: NoteArrays, seed: NoteArrays) -> float:
    """Share of the segment's sounding bars whose onsets in the bar are exactly those of a seed bar."""
    seed_rhythms = {tuple(np.unique(b[0]).tolist()) for b in _bars(seed) if b[0].size}
    bars = [b for b in _bars(segment) if b[0].size]
    if not bars:
        return float("nan")
    return float(np.mean([tuple(np.unique(b[0]).tolist()) in seed_rhythms for b in bars]))


def interval_motifs(steps: np.ndarray, notes: int) -> dict[tuple[int, ...], list[int]]:
    """Start indices of every (notes-1)-interval pattern of a line, leaving out patterns of repeated notes only."""
    width = notes - 1
    found: dict[tuple[int, ...], list[int]] = {}
    for i in range(steps.size - width + 1):
        pattern = tuple(steps[i:i + width].tolist())
        if any(pattern):
            found.setdefault(pattern, []).append(i)
    return found


def recurring_motif(segment: NoteArrays, notes: int) -> float:
    """1 if an interval pattern of ``notes`` notes (not just repeated notes) occurs twice without overlapping."""
    for starts in interval_motifs(melodic_intervals(segment), notes).values():
        if starts[-1] - starts[0] >= notes - 1:
            return 1.0
    return 0.0 if melodic_line(segment)[1].size else float("nan")


def recurring_motif_3(segment: NoteArrays, seed: NoteArrays) -> float:
    del seed
    return recurring_motif(segment, 3)


def recurring_motif_4(segment: NoteArrays, seed: NoteArrays) -> float:
    del seed
    return recurring_motif(segment, 4)


def seed_motif_4(segment: NoteArrays, seed: NoteArrays) -> float:
    """1 if a 4-note interval pattern of the seed's melody (not just repeated notes) comes back in the segment."""
    if melodic_line(segment)[1].size == 0:
        return float("nan")
    ours = interval_motifs(melodic_intervals(segment), 4)
    return float(any(pattern in ours for pattern in interval_motifs(melodic_intervals(seed), 4)))


RULES: dict[str, Rule] = {
    "out_of_key_rate": out_of_key_rate,
    "long_repetition": long_repetition,
    "leap_rate": leap_rate,
    "leap_resolution": leap_resolution,
    "ends_on_tonic_or_dominant": ends_on_tonic_or_dominant,
    "register_jump": register_jump,
    "repeated_note_rate": repeated_note_rate,
}
PART_WRITING: dict[str, Rule] = {
    "parallel_perfects": parallel_perfects,
    "wide_spacing": wide_spacing,
}
DEVELOPMENT: dict[str, Rule] = {
    "seed_bar_reuse": seed_bar_reuse,
    "seed_rhythm_reuse": seed_rhythm_reuse,
    "recurring_motif_3": recurring_motif_3,
    "recurring_motif_4": recurring_motif_4,
    "seed_motif_4": seed_motif_4,
}


def judge(segment: NoteArrays, seed: NoteArrays) -> dict[str, float]:
    """Every rule and development measure of one segment."""
    return {name: rule(segment, seed) for name, rule in {**RULES, **PART_WRITING, **DEVELOPMENT}.items()}
