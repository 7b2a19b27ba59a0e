"""The feature vector of a 4-bar segment that the realism classifier and the curation's plausibility test read.

Pitch features (relative to the seed: its key and register): pitch-class shares
from the seed's tonic, in-scale rate, signed melodic-interval shares (the
melodic line: highest pitch per onset), repeated-note rate, mean leap, and the
segment's register against the seed's. Rhythm features: inter-onset intervals,
onset positions within the beat, polyphony, density (also against the seed),
durations and silent beats. NumPy only and about 0.1 ms a segment: the sampler
runs it on every candidate of every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from musicassist.codec.vocab import RESOLUTION

from .rules import key_of, melodic_line, scale_mask

if TYPE_CHECKING:  # curation imports this module: no import cycle at run time
    from .curation import NoteArrays

# Signed melodic intervals, grouped as a listener hears them (semitones).
_INTERVAL_EDGES = (-100, -7, -4, -2, -1, 0, 1, 2, 3, 5, 8, 100)  # bins [edge_i, edge_i+1)
_INTERVAL_ARRAY = np.array(_INTERVAL_EDGES[:-1])
_INTERVAL_NAMES = ("down_6th+", "down_4th-5th", "down_3rd", "down_2nd", "down_semitone", "repeat",
                   "up_semitone", "up_2nd", "up_3rd", "up_4th-5th", "up_6th+")
# Inter-onset intervals in grid positions (12 = a quarter note).
_IOI_VALUES = (3, 4, 6, 8, 9, 12, 18, 24)
_IOI_ARRAY = np.array(_IOI_VALUES)
_IOI_NAMES = ("ioi_16th", "ioi_8th_triplet", "ioi_8th", "ioi_quarter_triplet", "ioi_dotted_8th", "ioi_quarter",
              "ioi_dotted_quarter", "ioi_half", "ioi_other_short", "ioi_other_long")
# Onset position within the beat.
_POSITION_NAMES = ("on_beat", "on_8th", "on_16th", "on_triplet", "on_other")

PITCH_FEATURES = (
    *(f"pc_{i}" for i in range(12)), "in_scale_rate", *(f"interval_{n}" for n in _INTERVAL_NAMES),
    "mean_abs_interval", "line_range", "mean_pitch_vs_seed", "highest_vs_seed", "lowest_vs_seed",
    "first_pitch_vs_seed_last",
)
RHYTHM_FEATURES = (
    *_IOI_NAMES, "mean_ioi", *_POSITION_NAMES, "on_downbeat", "notes_per_onset", "chord_onset_rate",
    "notes_per_bar", "density_vs_seed", "mean_duration", "silent_beat_rate",
)
FEATURE_NAMES = PITCH_FEATURES + RHYTHM_FEATURES
FEATURE_GROUPS = {"pitch": PITCH_FEATURES, "rhythm": RHYTHM_FEATURES}


@dataclass(frozen=True)
class SeedSummary:
    """What the features need of the seed, computed once per request."""

    tonic: int
    scale: np.ndarray  # 12 booleans
    mean_pitch: float
    highest: int
    lowest: int
    last_melody_pitch: int
    notes_per_bar: float


def summarize_seed(seed: NoteArrays) -> SeedSummary:
    key = key_of(seed)
    line = melodic_line(seed)[1]
    if seed.pitch.size == 0:
        return SeedSummary(key[0], scale_mask(key), 60.0, 60, 60, 60, 0.0)
    return SeedSummary(key[0], scale_mask(key), float(seed.pitch.mean()), int(seed.pitch.max()),
                       int(seed.pitch.min()), int(line[-1]), seed.pitch.size / max(1, seed.bar_starts.size))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(float)


def segment_features(segment: NoteArrays, seed: SeedSummary) -> np.ndarray:
    """One row of ``FEATURE_NAMES`` (float64)."""
    pitch, start = segment.pitch, segment.start
    bars = max(1, segment.bar_starts.size)
    n = pitch.size
    if n == 0:  # silence: shares are zero, registers at the seed's, every beat silent
        out = np.zeros(len(FEATURE_NAMES))
        out[FEATURE_NAMES.index("silent_beat_rate")] = 1.0
        return out
    onsets, line = melodic_line(segment)
    steps = np.diff(line)
    pcs = np.bincount((pitch - seed.tonic) % 12, minlength=12).astype(float) / n
    # Steps past the outer edges (only a random network makes them) count in the outer bins.
    binned = np.searchsorted(_INTERVAL_ARRAY, steps.clip(-99, 99), side="right") - 1
    intervals = _shares(np.bincount(binned, minlength=len(_INTERVAL_NAMES)).astype(float))
    pitch_part = [
        *pcs, float(np.mean(seed.scale[pitch % 12])), *intervals,
        float(np.mean(np.abs(steps))) if steps.size else 0.0, float(line.max() - line.min()),
        float(pitch.mean()) - seed.mean_pitch, float(pitch.max() - seed.highest), float(pitch.min() - seed.lowest),
        float(line[0] - seed.last_melody_pitch),
    ]
    iois = np.diff(onsets)
    slot = np.searchsorted(_IOI_ARRAY, iois).clip(max=_IOI_ARRAY.size - 1)
    listed = _IOI_ARRAY[slot] == iois
    # Listed gaps in their own bin; others "short" (under a quarter) or "long".
    bins = np.where(listed, slot, np.where(iois < RESOLUTION, len(_IOI_VALUES), len(_IOI_VALUES) + 1))
    known = np.bincount(bins, minlength=len(_IOI_NAMES)).astype(float)
    in_beat = onsets % RESOLUTION
    positions = np.array([np.sum(in_beat == 0), np.sum(in_beat == 6), np.sum((in_beat == 3) | (in_beat == 9)),
                          np.sum((in_beat == 4) | (in_beat == 8)), 0.0])
    positions[-1] = onsets.size - positions[:-1].sum()
    nearest_bar = np.searchsorted(segment.bar_starts, onsets).clip(max=max(segment.bar_starts.size - 1, 0))
    downbeats = segment.bar_starts[nearest_bar] == onsets if segment.bar_starts.size else onsets < 0
    per_onset = np.bincount(np.searchsorted(onsets, start), minlength=onsets.size)
    end = max(segment.end, int(start.max()) + 1)
    edges = np.zeros(end + 1, dtype=np.int64)  # +1 where a note starts, -1 where it ends: sounding = sum > 0
    np.add.at(edges, start, 1)
    np.add.at(edges, np.minimum(start + segment.duration, end), -1)
    sounding = np.cumsum(edges[:end]) > 0
    beats = sounding[: end - end % RESOLUTION].reshape(-1, RESOLUTION).any(axis=1) if end >= RESOLUTION else sounding
    rhythm_part = [
        *_shares(known), float(iois.mean()) / RESOLUTION if iois.size else 0.0,
        *_shares(positions), float(np.mean(downbeats)),
        n / onsets.size, float(np.mean(per_onset > 1)),
        n / bars, float(np.log((n / bars + 0.5) / (seed.notes_per_bar + 0.5))),
        float(segment.duration.mean()) / RESOLUTION, float(1.0 - beats.mean()) if beats.size else 1.0,
    ]
    return np.array(pitch_part + rhythm_part, dtype=np.float64)


def feature_matrix(segments: list[NoteArrays], seeds: list[SeedSummary]) -> np.ndarray:
    """Rows of ``segment_features`` (one seed summary per segment)."""
    if not segments:
        return np.zeros((0, len(FEATURE_NAMES)))
    return np.stack([segment_features(s, k) for s, k in zip(segments, seeds, strict=True)])
