"""Choose the N most varied candidates out of an over-generated pool, and say how each differs.

Features of a continuation: its contour (the top line, one pitch per beat,
mean removed), its register (mean pitch), its rhythm (which sixteenth-note
slots have an onset), its density (notes per bar) and its motion (mean leap
of the top line). Distance = contour shape + register + rhythm, each scaled to
about 0..1. Labels compare each chosen candidate with the middle of the chosen
set ("higher, denser, stepwise"); with a single candidate, with the seed.

Selection keeps what sounds real, then looks for variety. Given the seed (as
the sampler gives it), candidates whose realism features lie far outside the
density of real continuations of a seed (``plausibility``, fitted on the
training split), or whose mean log-likelihood is far below the pool's, are
left out; the one that develops the seed most (its motifs and bars carried
on, ``rules``) among the less strange is taken first and then, repeatedly, the
one farthest from everything taken (farthest-point sampling), stranger ones
counting for less and developing ones for more. Choosing the most *different* candidates alone picks the
least plausible ones (issue 11: a classifier told that set from real music
more easily than plain samples). Without a seed or a shipped density, the
older rule applies: drop the least likely third, start from the likeliest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicassist.codec.vocab import RESOLUTION, T_BAR, T_PITCH, T_POS, Vocabulary
from musicassist.core.score import Score

RHYTHM_SLOT = RESOLUTION // 4  # a sixteenth note, in grid positions
LIKELIHOOD_MARGIN = 0.5  # nats per token below the pool's median mean log-likelihood: implausible
STRANGENESS_WEIGHT = 0.5  # distance given up per threshold of outlier score when choosing varied ones
# Distance given up per unit of development of the seed (``development``) when spreading the set. 0 since the
# lookback model with its calibrated repeat boost develops the seed by itself: with 0.5 on top, curated sets held a
# recurring 4-note motif in 0.79 of segments against 0.49 in real continuations (300 test seeds). The first
# candidate is still the one that develops the seed most among the less strange half.
DEVELOPMENT_WEIGHT = 0.0


@dataclass(frozen=True)
class NoteArrays:
    """Notes as integer arrays on the codec's grid (12 per quarter): cheap to compare and describe."""

    start: np.ndarray  # onset, grid positions from the first bar line
    pitch: np.ndarray
    duration: np.ndarray  # grid positions
    bar_starts: np.ndarray  # grid position of every bar line
    end: int  # where the last bar ends


def notes_from_tokens(tokens: np.ndarray, vocab: Vocabulary) -> NoteArrays:
    """Read notes straight off a grammatical token sequence (no Score, no Fractions: fast)."""
    tokens = np.asarray(tokens, dtype=np.int64)
    kinds = vocab.type_of[tokens]
    values = vocab.value_of[tokens]
    is_bar = kinds == T_BAR
    lengths = vocab.bar_positions[tokens[is_bar]].astype(np.int64)
    bar_starts = np.concatenate(([0], np.cumsum(lengths)[:-1])) if lengths.size else np.zeros(0, np.int64)
    bar_of_token = np.cumsum(is_bar) - 1
    # The last POS read so far, carried forward to the notes that follow it.
    last_pos_index = np.maximum.accumulate(np.where(kinds == T_POS, np.arange(tokens.size), -1))
    pitch_at = np.flatnonzero((kinds == T_PITCH) & (last_pos_index >= 0))
    pitch_at = pitch_at[pitch_at + 2 < tokens.size]  # complete notes only (PITCH DUR VEL)
    start = bar_starts[bar_of_token[pitch_at]] + values[last_pos_index[pitch_at]] if pitch_at.size else pitch_at
    return NoteArrays(start.astype(np.int64), values[pitch_at].astype(np.int64),
                      values[pitch_at + 1].astype(np.int64), bar_starts.astype(np.int64), int(lengths.sum()))


def notes_from_score(score: Score) -> NoteArrays:
    """The same arrays from a Score (all tracks; starts and lengths rounded to the grid)."""
    notes = [n for track in score.tracks for n in track.notes]
    grid = RESOLUTION
    bar_starts = np.array([round(score.bar_start(b) * grid) for b in range(score.bar_count)], dtype=np.int64)
    return NoteArrays(
        np.array([round(n.start * grid) for n in notes], dtype=np.int64),
        np.array([n.pitch for n in notes], dtype=np.int64),
        np.array([max(1, round(n.duration * grid)) for n in notes], dtype=np.int64),
        bar_starts, round(score.end * grid),
    )


@dataclass(frozen=True)
class Features:
    contour: np.ndarray  # top pitch per beat, mean removed (semitones)
    rhythm: np.ndarray  # bool onset per sixteenth slot
    mean_pitch: float
    notes_per_bar: float
    mean_leap: float  # mean absolute interval of the top line (semitones)
    note_count: int
    notes: NoteArrays | None = None  # the notes described, for the plausibility test against the seed


def features(notes: NoteArrays) -> Features:
    """Contour, rhythm, register, density and motion of a continuation (or of a seed)."""
    beats = max(1, math.ceil(notes.end / RESOLUTION))
    slots = max(1, math.ceil(notes.end / RHYTHM_SLOT))
    if notes.pitch.size == 0:
        return Features(np.zeros(beats), np.zeros(slots, dtype=bool), 0.0, 0.0, 0.0, 0, notes)
    order = np.lexsort((notes.pitch, notes.start))
    starts, pitches = notes.start[order], notes.pitch[order]
    onsets, first = np.unique(starts, return_index=True)
    top = np.maximum.reduceat(pitches, first)  # the highest pitch struck at each onset
    rhythm = np.zeros(slots, dtype=bool)
    rhythm[np.minimum(onsets // RHYTHM_SLOT, slots - 1)] = True
    # The pitch heard on each beat: the latest onset at or before it (the first pitch before any onset).
    beat_index = np.searchsorted(onsets, np.arange(beats) * RESOLUTION, side="right") - 1
    contour = top[np.maximum(beat_index, 0)].astype(float)
    leaps = np.abs(np.diff(top))
    return Features(
        contour=contour - contour.mean(),
        rhythm=rhythm,
        mean_pitch=float(pitches.mean()),
        notes_per_bar=pitches.size / max(1, notes.bar_starts.size),
        mean_leap=float(leaps.mean()) if leaps.size else 0.0,
        note_count=int(pitches.size),
        notes=notes,
    )


def features_of(score: Score) -> Features:
    return features(notes_from_score(score))


def distance(a: Features, b: Features, register_weight: float = 1.0) -> float:
    """How different two continuations sound: contour shape + register + rhythm (each about 0..1)."""
    length = min(a.contour.size, b.contour.size)
    shape = float(np.mean(np.abs(a.contour[:length] - b.contour[:length]))) / 12.0 if length else 0.0
    register = register_weight * abs(a.mean_pitch - b.mean_pitch) / 12.0
    slots = min(a.rhythm.size, b.rhythm.size)
    union = np.logical_or(a.rhythm[:slots], b.rhythm[:slots]).sum()
    shared = np.logical_and(a.rhythm[:slots], b.rhythm[:slots]).sum()
    rhythm = 1.0 - shared / union if union else 0.0
    if (a.note_count == 0) != (b.note_count == 0):
        return 3.0  # silence against music: as different as it gets
    return shape + register + float(rhythm)


def select_varied(features: Sequence[Features], likelihoods: Sequence[float], count: int,
                  rejected: Sequence[bool] | None = None, seed: NoteArrays | None = None) -> list[int]:
    """Indices of ``count`` candidates: plausible ones first, then the most different from those taken.

    With the ``seed`` (and the shipped density of real continuations), candidates
    that sound unlike real continuations of that seed are left out first
    (``plausible``) and those that develop the seed are preferred (``development``);
    without it, the least likely third is left out. Rejected candidates (flagged
    as copies) are used only when too few others remain.
    """
    total = len(features)
    rejected = list(rejected) if rejected is not None else [False] * total
    by_likelihood = sorted(range(total), key=lambda i: (rejected[i], -likelihoods[i], i))
    if count >= total:
        return by_likelihood
    clean = [i for i in by_likelihood if not rejected[i]]
    strangeness = _strangeness(features, seed)
    if strangeness is not None:
        scores, threshold = strangeness
        pool = plausible(clean, likelihoods, scores, threshold, count)
        # Among the plausible, variety still costs a little realism: the stranger, the less it counts. Register
        # is left out of the variety: real continuations stay in the seed's register, and spreading the set over
        # registers is what made the old choice easy to spot. What carries the seed's material on counts for more.
        developing = development(features, seed, pool)
        penalty = STRANGENESS_WEIGHT * scores / threshold - DEVELOPMENT_WEIGHT * developing
        register_weight = 0.0
        # First the candidate that develops the seed most among the less strange half of the plausible ones.
        first = max(pool[: max(1, len(pool) // 2)], key=lambda i: (developing[i], -scores[i]))
        pool.remove(first)
        pool.insert(0, first)
    else:
        # Keep the likelier two thirds of the clean pool, but never fewer than asked for.
        pool = clean[: max(count, math.ceil(len(clean) * 2 / 3))]
        penalty, register_weight = np.zeros(total), 1.0
    if len(pool) < count:
        pool += [i for i in by_likelihood if rejected[i]][: count - len(pool)]
    chosen = [pool[0]]
    nearest = {i: distance(features[i], features[pool[0]], register_weight) for i in pool[1:]}
    while len(chosen) < count:
        best = max(nearest, key=lambda i: (nearest[i] - penalty[i], likelihoods[i], -i))
        chosen.append(best)
        del nearest[best]
        for i in nearest:
            nearest[i] = min(nearest[i], distance(features[i], features[best], register_weight))
    return chosen


def _strangeness(features: Sequence[Features], seed: NoteArrays | None) -> tuple[np.ndarray, float] | None:
    """(outlier score of every candidate against real continuations of this seed, the plausible limit)."""
    from . import plausibility
    from .realism_features import feature_matrix, summarize_seed

    density = plausibility.shipped_density()
    if seed is None or density is None or any(f.notes is None for f in features):
        return None
    summary = summarize_seed(seed)
    rows = feature_matrix([f.notes for f in features if f.notes is not None], [summary] * len(features))
    return plausibility.outlier_scores(rows, density), density.threshold


def development(features: Sequence[Features], seed: NoteArrays | None, which: Sequence[int]) -> np.ndarray:
    """How much each listed candidate carries the seed on (0..3): a recurring 4-note motif, a 4-note motif of
    the seed, and the share of bars repeating a seed bar (``rules``); zero for candidates not listed."""
    from . import rules

    out = np.zeros(len(features))
    if seed is None:
        return out
    # The seed's side of each rule once for the whole pool (this runs in the sampler's time budget).
    seed_patterns = set(rules.interval_motifs(rules.melodic_intervals(seed), 4))
    seed_shapes = set(rules.bar_shapes(seed))
    for i in which:
        notes = features[i].notes
        if notes is None:
            continue
        motifs = rules.interval_motifs(rules.melodic_intervals(notes), 4)
        recurring = any(starts[-1] - starts[0] >= 3 for starts in motifs.values())
        from_seed = any(pattern in seed_patterns for pattern in motifs)
        reuse = rules.bar_reuse(rules.bar_shapes(notes), seed_shapes)
        out[i] = float(recurring) + float(from_seed) + (reuse if math.isfinite(reuse) else 0.0)
    return out


def plausible(candidates: Sequence[int], likelihoods: Sequence[float], scores: np.ndarray, threshold: float,
              count: int) -> list[int]:
    """The candidates that sound like real music, least strange first; at least ``count`` of them.

    Left out: an outlier score above ``threshold`` (stranger than most real
    continuations), or a mean log-likelihood more than LIKELIHOOD_MARGIN below
    the pool's median (a slip of the sampler's tail). When too few remain, the
    least strange of the rest fill up.
    """
    if not candidates:
        return []
    median = float(np.median([likelihoods[i] for i in candidates]))
    ranked = sorted(candidates, key=lambda i: (float(scores[i]), -likelihoods[i], i))
    good = [i for i in ranked if scores[i] <= threshold and likelihoods[i] >= median - LIKELIHOOD_MARGIN]
    return good + [i for i in ranked if i not in good][: max(0, count - len(good))]


def label(candidate: Features, reference: Features | Sequence[Features]) -> str:
    """Words for what sets a candidate apart from a reference (the middle of a set, or the seed)."""
    from .labels import label as describe  # labels imports this module's Features

    return describe(candidate, reference).text
