"""How far a continuation's features lie outside those of real music: the curation's plausibility test.

Fitted once on the *training* split's real continuations (bars 5-8 after a
seed of bars 1-4; never on the held-out pieces the realism report judges) and
shipped as ``resources/realism_bounds.json``: per feature of
``realism_features`` a low and high quantile and a scale. A segment's outlier
score is the sum over features of how far it lies beyond the bounds, in
scales, each feature's excess capped (one odd feature must not outweigh
everything else). ``threshold`` is the score that a given share of the real
training continuations stay under, so "plausible" means "no stranger than
that share of real music". Refit with ``python -m musicassist.ml.plausibility``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.paths import resources_dir

from .realism_features import FEATURE_NAMES

STATS_FILE = "realism_bounds.json"
QUANTILE = 0.02  # bounds at the 2% and 98% quantiles of real continuations
KEEP_REAL = 0.90  # the threshold keeps this share of real training continuations
EXCESS_CAP = 3.0  # scales beyond a bound that one feature may contribute at most


@dataclass(frozen=True)
class Bounds:
    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray
    threshold: float


def outlier_scores(rows: np.ndarray, bounds: Bounds) -> np.ndarray:
    """Per row (segment features in ``bounds.names`` order): summed capped excess beyond the bounds, in scales."""
    rows = np.atleast_2d(rows)
    excess = np.maximum(rows - bounds.high, bounds.low - rows).clip(min=0.0) / bounds.scale
    return np.minimum(excess, EXCESS_CAP).sum(axis=1)


def fit(rows: np.ndarray, names: Sequence[str] = FEATURE_NAMES, quantile: float = QUANTILE,
        keep: float = KEEP_REAL) -> Bounds:
    """Bounds from real continuations' feature rows; the threshold keeps ``keep`` of those same rows."""
    low = np.quantile(rows, quantile, axis=0)
    high = np.quantile(rows, 1 - quantile, axis=0)
    # The scale of a feature that real music barely varies: its spread, or a small share of its range.
    spread = np.quantile(rows, 0.9, axis=0) - np.quantile(rows, 0.1, axis=0)
    scale = np.maximum.reduce([spread, rows.std(axis=0), 0.02 * (np.abs(high) + np.abs(low)), np.full(low.shape, 0.02)])
    bounds = Bounds(tuple(names), low, high, scale, 0.0)
    threshold = float(np.quantile(outlier_scores(rows, bounds), keep))
    return Bounds(tuple(names), low, high, scale, threshold)


def to_json(bounds: Bounds, provenance: dict[str, Any]) -> dict[str, Any]:
    return {"about": "realism_features bounds of real training continuations (musicassist.ml.plausibility)",
            **provenance, "quantile": QUANTILE, "keep_real": KEEP_REAL, "excess_cap": EXCESS_CAP,
            "threshold": bounds.threshold,
            "features": {n: [float(lo), float(hi), float(s)]
                         for n, lo, hi, s in zip(bounds.names, bounds.low, bounds.high, bounds.scale, strict=True)}}


def from_json(data: dict[str, Any]) -> Bounds | None:
    """The bounds, or None when the file describes other features (then curation goes without)."""
    features = data.get("features", {})
    if tuple(features) != FEATURE_NAMES:
        return None
    table = np.array(list(features.values()), dtype=float)
    return Bounds(FEATURE_NAMES, table[:, 0], table[:, 1], table[:, 2], float(data["threshold"]))


@functools.cache
def shipped_bounds() -> Bounds | None:
    """The shipped bounds (read once); None if missing or stale, so the sampler never fails over them."""
    path = resources_dir() / STATS_FILE
    try:
        return from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def training_rows(sources: Sequence[str], count: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Feature rows of the training split's real continuations (bars 5-8 after bars 1-4)."""
    from .continuation_check import split_seed
    from .corpus import build_corpus
    from .curation import notes_from_tokens
    from .realism_features import feature_matrix, summarize_seed

    corpus = build_corpus(list(sources), progress=False)
    segments, seeds, per_source = [], [], dict[str, int]()
    for piece in corpus.split("train"):
        pair = split_seed(np.asarray(piece.tokens), corpus.vocab)
        if pair is None:
            continue
        seeds.append(summarize_seed(notes_from_tokens(pair[0], corpus.vocab)))
        segments.append(notes_from_tokens(pair[1], corpus.vocab))
        per_source[piece.source] = per_source.get(piece.source, 0) + 1
        if count is not None and len(segments) >= count:
            break
    return feature_matrix(segments, seeds), {"split": "train", "segments": len(segments), "per_source": per_source}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m musicassist.ml.plausibility", description=__doc__.split("\n")[0])
    parser.add_argument("--sources", nargs="+", default=["bundled"])
    parser.add_argument("--out", type=Path, default=resources_dir() / STATS_FILE)
    args = parser.parse_args(argv)
    rows, provenance = training_rows(args.sources)
    bounds = fit(rows)
    args.out.write_text(json.dumps(to_json(bounds, {**provenance, "sources": args.sources}), indent=1) + "\n")
    print(f"{provenance['segments']} training continuations; threshold {bounds.threshold:.3f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
