"""The realism report: do generated continuations sound like the real next four bars, and do they develop the seed?

Held-out pieces of 8+ bars, spread over every source (round robin, evenly
spaced within a source): seed = bars 1-4, real continuation = bars 5-8. Each
seed is continued through the product's ``Sampler`` with the assistant panel's
defaults (``assistant_default_steering``, temperature 1, top-p 0.95, 4 bars):

- **curated**: ``Sampler.generate`` as the window calls it (4 candidates curated
  out of an over-generated pool); 2 of the 4 shown, chosen at random per seed;
- **raw**: ``Sampler.sample_pool``, the same options and no curation: the pool
  curation chooses from;
- **network** (optional): the bare network at temperature 1, no top-p, no steering.

Then a classifier two-sample test per setting (``realism_classifier``), with a
real-vs-real null and a crude baseline (the seed's own notes with their
pitches shuffled), the rules and development measures of ``rules`` side by
side, and the melodic-interval histogram. Rendering (text, Markdown, plot) is
``realism_report``. Run ``python -m musicassist.ml.realism --model models/default``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import Vocabulary, decode
from musicassist.core.generation import GenerationOptions, GenerationRequest, assistant_default_steering
from musicassist.core.score import Score

from . import realism_classifier as classifier
from . import rules
from .continuation_check import model_continuations, split_seed
from .curation import NoteArrays, notes_from_score, notes_from_tokens
from .realism_features import FEATURE_GROUPS, FEATURE_NAMES, SeedSummary, feature_matrix, summarize_seed
from .sampler import Sampler

SETTINGS = ("curated", "raw")
ALL_SETTINGS = ("curated", "raw", "network")
PER_SEED = 2  # generated continuations kept per seed and setting
WINDOW_CANDIDATES = 4  # the assistant panel's default count: what one Generate shows
BARS = 4
DEFAULT_SEEDS = 300
INTERVAL_GROUPS = {"repeat": (0,), "semitone": (1,), "whole_tone": (2,), "third": (3, 4), "fourth_fifth": (5, 6, 7),
                   "sixth_to_octave": (8, 9, 10, 11, 12), "beyond_octave": (13,)}


@dataclass(frozen=True)
class HeldOutSeed:
    piece_id: str
    source: str
    seed_score: Score  # bars 1-4 decoded, as the window sends a selection
    seed_tokens: np.ndarray
    seed: NoteArrays
    summary: SeedSummary
    real: NoteArrays  # bars 5-8


def held_out_seeds(pieces: Sequence[Any], vocab: Vocabulary, count: int) -> list[HeldOutSeed]:
    """Up to ``count`` seeds of pieces with 8+ bars, shared round robin between sources (``Piece`` objects)."""
    by_source: dict[str, list[tuple[Any, np.ndarray, np.ndarray]]] = {}
    for piece in pieces:
        pair = split_seed(np.asarray(piece.tokens), vocab)
        if pair is not None:
            by_source.setdefault(piece.source, []).append((piece, *pair))
    quota = dict.fromkeys(by_source, 0)
    while sum(quota.values()) < count and any(quota[s] < len(by_source[s]) for s in quota):
        for source in sorted(quota):
            if quota[source] < len(by_source[source]) and sum(quota.values()) < count:
                quota[source] += 1
    chosen = []
    for source in sorted(quota):
        pairs = by_source[source]
        for i in np.unique(np.linspace(0, len(pairs) - 1, quota[source]).round().astype(int)) if quota[source] else []:
            piece, seed_tokens, real_tokens = pairs[i]
            seed = notes_from_tokens(seed_tokens, vocab)
            chosen.append(HeldOutSeed(piece.id, source, decode(seed_tokens, vocab=vocab), seed_tokens, seed,
                                      summarize_seed(seed), notes_from_tokens(real_tokens, vocab)))
    return chosen


def _options(seed: HeldOutSeed, candidates: int, rng_seed: int) -> GenerationOptions:
    return GenerationOptions(length_bars=BARS, candidates=candidates, seed=rng_seed,
                             steering=assistant_default_steering(seed.seed_score.notes))


def generate(sampler: Sampler, seeds: Sequence[HeldOutSeed], setting: str, seed: int = 7,
             log: Callable[[str], None] = lambda _m: None) -> list[list[NoteArrays]]:
    """``PER_SEED`` continuations of every seed in one setting."""
    rng = np.random.default_rng(seed)
    if setting == "network":
        seed_tokens = [s.seed_tokens for s in seeds]
        rounds = [model_continuations(sampler.network, sampler.vocab, seed_tokens, BARS,
                                      np.random.default_rng(seed + r)) for r in range(PER_SEED)]
        return [[notes_from_tokens(rounds[r][i], sampler.vocab) for r in range(PER_SEED)] for i in range(len(seeds))]
    out: list[list[NoteArrays]] = []
    for index, held in enumerate(seeds):
        if setting == "raw":
            request = GenerationRequest(index, held.seed_score, _options(held, PER_SEED, seed + index))
            rows = sampler.sample_pool(request, PER_SEED)
            out.append([notes_from_tokens(row.tokens, sampler.vocab) for row in rows])
        elif setting == "curated":
            request = GenerationRequest(index, held.seed_score, _options(held, WINDOW_CANDIDATES, seed + index))
            shown = sampler.generate(request, threading.Event(), lambda _p: None, lambda _c: None)
            kept = rng.choice(len(shown), size=min(PER_SEED, len(shown)), replace=False)
            out.append([notes_from_score(shown[int(i)].score) for i in sorted(kept)])
        else:
            raise ValueError(f"unknown realism setting {setting!r}")
        if index and index % 50 == 0:
            log(f"  {setting}: {index}/{len(seeds)} seeds")
    return out


def shuffled_seed(held: HeldOutSeed, rng: np.random.Generator) -> NoteArrays:
    """The crude baseline: the seed's own bars with its pitches in a random order."""
    seed = held.seed
    return NoteArrays(seed.start - int(seed.bar_starts[0]) if seed.bar_starts.size else seed.start,
                      rng.permutation(seed.pitch), seed.duration,
                      seed.bar_starts - (int(seed.bar_starts[0]) if seed.bar_starts.size else 0), seed.end)


def measures(segments: Sequence[NoteArrays], seeds: Sequence[NoteArrays]) -> dict[str, float]:
    """Mean of every rule and development measure (undefined values left out) and the interval shares."""
    values: dict[str, list[float]] = {}
    counts = np.zeros(len(rules.INTERVAL_BINS))
    for segment, seed in zip(segments, seeds, strict=True):
        for name, value in rules.judge(segment, seed).items():
            values.setdefault(name, []).append(value)
        counts += rules.interval_histogram(segment)
    out = {name: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for name, v in values.items()}
    shares = counts / max(counts.sum(), 1.0)
    for group, bins in INTERVAL_GROUPS.items():
        out[f"interval_{group}"] = float(shares[list(bins)].sum())
    out["segments"] = float(len(segments))
    return out


def interval_shares(segments: Sequence[NoteArrays]) -> list[float]:
    counts = sum((rules.interval_histogram(s) for s in segments), np.zeros(len(rules.INTERVAL_BINS)))
    return (counts / max(counts.sum(), 1.0)).tolist()


def _tests(real: np.ndarray, fake: np.ndarray, real_groups: np.ndarray, fake_groups: np.ndarray,
           with_groups: bool) -> dict[str, Any]:
    names = list(FEATURE_NAMES)
    out: dict[str, Any] = {}
    for kind in classifier.MODELS:
        out[kind] = classifier.two_sample_test(real, fake, real_groups, fake_groups, kind, names)
    if with_groups:  # which part of the music gives it away
        for group, wanted in FEATURE_GROUPS.items():
            columns = classifier.column_subset(names, wanted)
            test = classifier.two_sample_test(real[:, columns], fake[:, columns], real_groups, fake_groups, "gb",
                                              list(wanted))
            out[f"gb_{group}_only"] = {"auc": test["auc"], "fold_auc_std": test["fold_auc_std"]}
    return out


def realism_report(sampler: Sampler, pieces: Sequence[Any], seeds: int = DEFAULT_SEEDS,
                   settings: Sequence[str] = SETTINGS, split: str = "test", seed: int = 7,
                   log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (see ``realism_report.realism_markdown`` for its rendering)."""
    started = time.perf_counter()
    held = held_out_seeds(pieces, sampler.vocab, seeds)
    if len(held) < 2 * classifier.FOLDS:
        return {"seeds": len(held), "summary": f"too few {split} pieces of 8+ bars for the realism report"}
    seed_notes = [h.seed for h in held]
    summaries = [h.summary for h in held]
    groups = np.arange(len(held))
    real_x = feature_matrix([h.real for h in held], summaries)
    report: dict[str, Any] = {
        "split": split, "seeds": len(held), "per_source": {s: sum(h.source == s for h in held)
                                                            for s in sorted({h.source for h in held})},
        "continuations_per_seed": PER_SEED, "settings": list(settings), "model": sampler.name,
        "auc": {}, "top_features": {}, "measures": {"real": measures([h.real for h in held], seed_notes)},
        "intervals": {"bins": list(rules.INTERVAL_BINS), "real": interval_shares([h.real for h in held])},
        "seconds": {},
    }
    for setting in settings:
        log(f"Realism: generating the {setting} continuations of {len(held)} seeds...")
        begun = time.perf_counter()
        generated = generate(sampler, held, setting, seed, log)
        report["seconds"][f"generate_{setting}"] = time.perf_counter() - begun
        flat = [g for per_seed in generated for g in per_seed]
        flat_seeds = [h for h, per_seed in zip(held, generated, strict=True) for _ in per_seed]
        fake_x = feature_matrix(flat, [h.summary for h in flat_seeds])
        fake_groups = np.repeat(groups, [len(g) for g in generated])
        begun = time.perf_counter()
        tests = _tests(real_x, fake_x, groups, fake_groups, with_groups=True)
        report["seconds"][f"classify_{setting}"] = time.perf_counter() - begun
        report["top_features"][setting] = tests["gb"].pop("top_features")
        tests["lr"].pop("top_features")
        report["auc"][setting] = tests
        report["measures"][setting] = measures(flat, [h.seed for h in flat_seeds])
        report["intervals"][setting] = interval_shares(flat)
    log("Realism: the real-vs-real null and the shuffled-seed baseline...")
    null = {kind: classifier.real_vs_real(real_x, groups, kind, list(FEATURE_NAMES), seed)
            for kind in classifier.MODELS}
    rng = np.random.default_rng(seed)
    shuffled_x = feature_matrix([shuffled_seed(h, rng) for h in held], summaries)
    crude = _tests(real_x, shuffled_x, groups, groups, with_groups=False)
    for tests in (null, crude):
        for row in tests.values():
            row.pop("top_features", None)
    report["auc"]["real_vs_real"] = null
    report["auc"]["shuffled_seed"] = crude
    report["seconds"]["total"] = time.perf_counter() - started
    from .realism_report import summary_line

    report["summary"] = summary_line(report)
    return report


def held_out_pieces(sources: Sequence[str], folders: Sequence[Path] = (), split: str = "test",
                    progress: bool = False) -> list[Any]:
    from .corpus import build_corpus

    return build_corpus(list(sources), list(folders), progress=progress).split(split)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m musicassist.ml.realism", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model folder or shipped name (default: default)")
    parser.add_argument("--sources", nargs="+", default=["bundled"])
    parser.add_argument("--split", default="test", choices=("train", "valid", "test"))
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"any of {','.join(ALL_SETTINGS)}")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument("--plot", type=Path, default=None, help="save the plot here")
    args = parser.parse_args(argv)
    from . import model_store
    from .realism_report import plot_realism, report_lines
    from .sampler import load_sampler

    sampler = load_sampler(model_store.resolve_model_dir(args.model))
    pieces = held_out_pieces(args.sources, split=args.split)
    report = realism_report(sampler, pieces, args.seeds, args.settings.split(","), args.split,
                            log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.plot:
        plot_realism(report, args.plot)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float, allow_nan=True))
    print("\n".join(report_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
