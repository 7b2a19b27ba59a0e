"""How unlike real music a continuation's features are: the curation's plausibility test.

A density of real continuations, fitted once on the *training* split (bars
5-8 after a seed of bars 1-4; never on the held-out pieces the realism report
judges) and shipped as ``resources/realism_density.json``: a Gaussian over the
standardised features of ``realism_features`` with a shrunk covariance (the
shares of pitch classes and intervals move together; shrinkage keeps the
inverse stable). A segment's outlier score is its squared Mahalanobis
distance from real music. ``threshold`` is the score that a given share of the
real training continuations stay under, so "plausible" means "no stranger
than that share of real music". A Gaussian rather than per-feature bounds:
the model's tell (too many repeated notes, too few semitones) lies inside
every single bound but far off in the joint distribution. Refit with
``python -m musicassist.ml.plausibility``.
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

STATS_FILE = "realism_density.json"
SHRINKAGE = 0.1  # covariance shrunk this far towards the identity (standardised features)
KEEP_REAL = 0.90  # the threshold keeps this share of real training continuations
SCALE_FLOOR = 1e-3  # for features real music never varies


@dataclass(frozen=True)
class Density:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    precision: np.ndarray  # inverse of the shrunk covariance of the standardised features
    threshold: float


def outlier_scores(rows: np.ndarray, density: Density) -> np.ndarray:
    """Per row (segment features in ``density.names`` order): squared Mahalanobis distance from real music."""
    z = (np.atleast_2d(rows) - density.mean) / density.scale
    return np.einsum("ij,jk,ik->i", z, density.precision, z)


def fit(rows: np.ndarray, names: Sequence[str] = FEATURE_NAMES, shrinkage: float = SHRINKAGE,
        keep: float = KEEP_REAL) -> Density:
    """The density of real continuations' feature rows; the threshold keeps ``keep`` of those same rows."""
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0) + SCALE_FLOOR
    covariance = np.atleast_2d(np.cov(((rows - mean) / scale).T))
    precision = np.linalg.inv((1 - shrinkage) * covariance + shrinkage * np.eye(len(mean)))
    density = Density(tuple(names), mean, scale, precision, 0.0)
    return Density(tuple(names), mean, scale, precision, float(np.quantile(outlier_scores(rows, density), keep)))


def _rounded(values: np.ndarray) -> list[Any]:
    return np.vectorize(lambda v: float(f"{v:.6g}"))(values).tolist()


def to_json(density: Density, provenance: dict[str, Any]) -> dict[str, Any]:
    return {"about": "Gaussian density of real training continuations' realism_features "
                     "(musicassist.ml.plausibility)",
            **provenance, "shrinkage": SHRINKAGE, "keep_real": KEEP_REAL, "threshold": density.threshold,
            "features": list(density.names), "mean": _rounded(density.mean), "scale": _rounded(density.scale),
            "precision": _rounded(density.precision)}


def from_json(data: dict[str, Any]) -> Density | None:
    """The density, or None when the file describes other features (then curation goes without)."""
    if tuple(data.get("features", ())) != FEATURE_NAMES:
        return None
    return Density(FEATURE_NAMES, np.array(data["mean"], dtype=float), np.array(data["scale"], dtype=float),
                   np.array(data["precision"], dtype=float), float(data["threshold"]))


@functools.cache
def shipped_density() -> Density | None:
    """The shipped density (read once); None if missing or stale, so the sampler never fails over it."""
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
    density = fit(rows)
    args.out.write_text(json.dumps(to_json(density, {**provenance, "sources": args.sources})) + "\n")
    print(f"{provenance['segments']} training continuations; threshold {density.threshold:.3f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
