"""Music features of a few bars, and the real-vs-generated comparison of the continuation check.

The check itself (seeds, generation, report) is ``continuation_check``.

Features per 4-bar continuation: pitch-class histogram, pitch range,
in-scale rate (notes in the major/minor scale of the *seed*'s key as
``core.key_detect`` finds it; the same key judges real and generated bars),
note density (notes per bar), mean inter-onset interval (quarters), polyphony
(notes per onset), empty-beat rate (quarter beats with nothing sounding), and
in-meter rate (bars in the seed's last meter).

Comparison follows Yang & Lerch (2018): for every feature the distances
within the real set and between the real and generated sets are smoothed by
Gaussian kernel density estimates and their overlapping area is reported
(1 = indistinguishable), alongside the overlap of the value distributions
themselves and the two means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from musicassist.codec import EOS, RESOLUTION, Vocabulary
from musicassist.codec.vocab import T_BAR, T_DUR, T_PITCH, T_POS
from musicassist.core.key_detect import detect_key_arrays

SEED_BARS = 4
CONTINUATION_BARS = 4
SCALAR_FEATURES = ("pitch_range", "in_scale_rate", "note_density", "mean_ioi", "polyphony",
                   "empty_beat_rate", "in_meter_rate")
_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the raised leading tone


@dataclass(frozen=True)
class Bars:
    """Notes of a run of bars: onsets in grid positions from the first bar, and each bar's length/meter."""

    onsets: np.ndarray
    pitches: np.ndarray
    durations: np.ndarray
    bar_lengths: list[int]
    bar_tokens: list[int]


def read_bars(tokens: Sequence[int] | np.ndarray, vocab: Vocabulary) -> Bars:
    """Walk grammatical tokens (as decode would) and collect notes with absolute grid onsets."""
    onsets: list[int] = []
    pitches: list[int] = []
    durations: list[int] = []
    lengths: list[int] = []
    bar_tokens: list[int] = []
    bar_start, position, pending = -1, 0, -1
    for token in (int(t) for t in tokens):
        kind = int(vocab.type_of[token])
        if token == EOS:
            break
        if kind == T_BAR:
            bar_start = sum(lengths)
            lengths.append(int(vocab.bar_positions[token]))
            bar_tokens.append(token)
            position = 0
        elif kind == T_POS:
            position = int(vocab.value_of[token])
        elif kind == T_PITCH and bar_start >= 0:
            pending = int(vocab.value_of[token])
        elif kind == T_DUR and pending >= 0:
            onsets.append(bar_start + position)
            pitches.append(pending)
            durations.append(int(vocab.value_of[token]))
            pending = -1
    return Bars(np.array(onsets, dtype=np.int64), np.array(pitches, dtype=np.int64),
                np.array(durations, dtype=np.int64), lengths, bar_tokens)


def seed_key(seed: Bars) -> tuple[int, bool]:
    """(tonic pitch class, is_major) of the seed: the core key finder's answer ((0, True) with no notes)."""
    bar_length = seed.bar_lengths[0] / RESOLUTION if seed.bar_lengths else None
    key = detect_key_arrays(seed.pitches, seed.onsets / RESOLUTION, seed.durations / RESOLUTION,
                            bar_length=bar_length)
    return (key.tonic, key.mode == "major") if key is not None else (0, True)


def continuation_features(bars: Bars, key: tuple[int, bool], meter_token: int) -> dict[str, Any]:
    tonic, major = key
    scale = {(tonic + step) % 12 for step in (_MAJOR_SCALE if major else _MINOR_SCALE)}
    total = sum(bars.bar_lengths) or CONTINUATION_BARS * 4 * RESOLUTION
    n = len(bars.pitches)
    histogram = np.bincount(bars.pitches % 12, minlength=12).astype(float)
    distinct_onsets = np.unique(bars.onsets)
    sounding = np.zeros(total, dtype=bool)
    for onset, duration in zip(bars.onsets, bars.durations, strict=True):
        sounding[onset:onset + duration] = True
    beats = np.asarray(sounding[: total - total % RESOLUTION].reshape(-1, RESOLUTION).any(axis=1))
    return {
        "pitch_class_histogram": histogram / n if n else histogram,
        "pitch_range": float(np.ptp(bars.pitches)) if n else 0.0,
        "in_scale_rate": float(np.mean([p % 12 in scale for p in bars.pitches])) if n else 0.0,
        "note_density": n / max(len(bars.bar_lengths), 1),
        "mean_ioi": float(np.mean(np.diff(distinct_onsets))) / RESOLUTION if len(distinct_onsets) > 1 else 0.0,
        "polyphony": n / len(distinct_onsets) if len(distinct_onsets) else 0.0,
        "empty_beat_rate": float(1.0 - beats.mean()) if len(beats) else 1.0,
        "in_meter_rate": float(np.mean([t == meter_token for t in bars.bar_tokens])) if bars.bar_tokens else 0.0,
    }


def _kde(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian KDE with Scott's bandwidth (numpy; scipy is not a dependency)."""
    spread = float(np.std(samples))
    width = max(spread * len(samples) ** (-1 / 5), 1e-3 * (1 + abs(float(np.mean(samples)))))
    z = (grid[:, None] - samples[None, :]) / width
    return np.exp(-0.5 * z**2).sum(axis=1) / (len(samples) * width * np.sqrt(2 * np.pi))


def overlap_area(a: np.ndarray, b: np.ndarray, points: int = 512) -> float:
    """Overlapping area of the KDEs of two 1-D samples (1 = same distribution, 0 = disjoint)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pad = 3 * max(float(np.std(np.concatenate([a, b]))), 1e-3)
    grid = np.linspace(min(a.min(), b.min()) - pad, max(a.max(), b.max()) + pad, points)
    return float(np.trapezoid(np.minimum(_kde(a, grid), _kde(b, grid)), grid))


def _distances(x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """Euclidean distances within x (pairs i < j) or between x and y (all pairs)."""
    x = x.reshape(len(x), -1)
    if y is None:
        d = np.linalg.norm(x[:, None] - x[None, :], axis=-1)
        return d[np.triu_indices(len(x), k=1)]
    y = y.reshape(len(y), -1)
    return np.linalg.norm(x[:, None] - y[None, :], axis=-1).ravel()


def compare(real: list[dict[str, Any]], generated: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per feature: means, value-distribution overlap, and Yang & Lerch intra/inter-set overlap."""
    report: dict[str, dict[str, float]] = {}
    for name in ("pitch_class_histogram", *SCALAR_FEATURES):
        r = np.array([f[name] for f in real], dtype=float)
        g = np.array([f[name] for f in generated], dtype=float)
        row = {"yang_lerch_overlap": overlap_area(_distances(r, None), _distances(r, g))}
        if r.ndim == 1:
            row.update(real_mean=float(r.mean()), generated_mean=float(g.mean()), value_overlap=overlap_area(r, g))
        report[name] = row
    return report
