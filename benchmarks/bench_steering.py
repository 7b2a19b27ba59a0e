"""Every figure of issue 14: key finding, repeated notes under constraints, density targets, labels.

    nice -n 15 .venv/bin/python benchmarks/bench_steering.py [--model models/default] [--seeds 200]
        [--sections keys,calibration,repeats,density,labels]

* keys: agreement with the labelled set (``key_labels``: a few hundred music21 corpus
  pieces, labels from the written signature/K: field and the last bass note), whole
  pieces and first-4-bar openings, notes only and with the file's signature; the
  previous finder (Krumhansl-Kessler, duration-weighted) as the "before" figure;
  confusions (relative, parallel, dominant, subdominant, other).
* calibration: the repetition hazards re-fitted on the training split beside
  ``steering_bias.REPEAT_HAZARD`` (re-fit when the corpus changes).
* repeats: on held-out test seeds (bars 1-4 of test pieces; the real bars 5-8 as
  the reference), the share of 4-bar candidates whose melodic line strikes one
  pitch more than 4 times in a row, and the melodic-interval histogram, under strict
  scale with each register setting and at temperatures 0.3-2.0.
* density: notes per bar against targets of 0.5x-2x the seed's density.
* labels: 100 sets of 4 curated candidates; sets with a repeated label.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import key_labels

from musicassist.codec import decode
from musicassist.core.generation import (
    GenerationOptions,
    GenerationRequest,
    Steering,
    assistant_default_steering,
    register_around,
)
from musicassist.core.key_detect import detect_key, detect_key_arrays
from musicassist.core.timemaps import KeySignature
from musicassist.ml import curation, model_store, rules
from musicassist.ml.continuation_check import spread_pairs
from musicassist.ml.corpus import build_corpus
from musicassist.ml.sampler import Sampler
from musicassist.ml.steering_bias import REPEAT_HAZARD, fit_repeat_hazard

KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
REGISTERS: tuple[tuple[str, Any], ...] = (("like the selection", "like"), ("low C2-C4", (36, 60)),
                                          ("middle C3-C5", (48, 72)), ("high C4-C6", (60, 84)))
TEMPERATURES = (0.3, 0.5, 1.0, 1.5, 2.0)
DENSITY_FACTORS = (0.5, 0.6, 1.0, 1.6, 2.0)
ONLY: list[str] = []  # --only: repeat settings whose name contains one of these


# --- keys ------------------------------------------------------------------------------------------

def krumhansl_before(pitches: np.ndarray, durations: np.ndarray) -> KeySignature:
    """The finder before issue 14 (core and features.py alike): duration-weighted Krumhansl-Kessler."""
    histogram = np.bincount(pitches.astype(int) % 12, weights=durations, minlength=12)
    best = max(((float(np.corrcoef(histogram, np.roll(profile, t))[0, 1]), t, mode)
                for t in range(12) for profile, mode in ((KK_MAJOR, "major"), (KK_MINOR, "minor"))))
    return KeySignature(best[1], best[2])


def relation(label: KeySignature, guess: KeySignature) -> str:
    if guess == label:
        return "exact"
    relative = (label.tonic + (9 if label.mode == "major" else 3)) % 12
    if guess.mode != label.mode and guess.tonic == relative:
        return "relative"
    if guess.tonic == label.tonic:
        return "parallel"
    if guess.mode == label.mode and guess.tonic == (label.tonic + 7) % 12:
        return "dominant"
    if guess.mode == label.mode and guess.tonic == (label.tonic + 5) % 12:
        return "subdominant"
    return "other"


def key_section() -> None:
    pieces = key_labels.load()
    sources = Counter(p["source"] for p in pieces)
    modes = Counter(p["mode"] for p in pieces)
    print(f"labelled set: {len(pieces)} pieces {dict(sources)}, {dict(modes)} (labels: see key_labels.py)")
    Finder = Callable[[dict[str, Any], np.ndarray, bool], KeySignature | None]

    def now(signature: bool, ends: bool) -> Finder:
        def find(piece: dict[str, Any], notes: np.ndarray, whole: bool) -> KeySignature | None:
            written = KeySignature.from_sharps(piece["sharps"]) if signature and piece["sharps"] is not None else None
            return detect_key_arrays(notes[:, 2], notes[:, 0], notes[:, 1], bar_length=piece["bar"],
                                     signature=written, ends_piece=ends and whole)
        return find

    finders: list[tuple[str, Finder]] = [
        ("before: Krumhansl-Kessler", lambda p, n, w: krumhansl_before(n[:, 2], n[:, 1])),
        ("now, notes only", now(False, True)),
        ("now, notes + written signature", now(True, True)),
        ("now, notes only, no final-note bonus", now(False, False)),
    ]
    for name, find in finders:
        for part in ("whole pieces", "first 4 bars"):
            outcome: Counter[str] = Counter()
            per_source: Counter[str] = Counter()
            for piece in pieces:
                notes = np.array(piece["notes"], dtype=float)
                if part == "first 4 bars":
                    notes = notes[notes[:, 0] < 4 * piece["bar"]]
                guess = find(piece, notes, part == "whole pieces")
                result = relation(KeySignature(piece["tonic"], piece["mode"]), guess) if guess else "other"
                outcome[result] += 1
                per_source[piece["source"]] += result == "exact"
            shares = ", ".join(f"{k} {100 * outcome[k] / len(pieces):.1f}%"
                               for k in ("exact", "relative", "parallel", "dominant", "subdominant", "other"))
            by_source = ", ".join(f"{s} {100 * per_source[s] / sources[s]:.0f}%" for s in sorted(sources))
            print(f"  {name:40s} {part:13s} {shares}  [{by_source}]")
    print("  (whole pieces with the final-note bonus are partly circular: chorale and O'Neill/Essen labels"
          " use the last (bass) note; the 'no final-note bonus' row is the fair whole-piece figure)")


# --- sampling ----------------------------------------------------------------------------------------

def held_out(count: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], Any]:
    corpus = build_corpus(["bundled"], [], progress=False)
    return spread_pairs([p.tokens for p in corpus.split("test")], corpus.vocab, count), corpus


def interval_shares(segments: Sequence[curation.NoteArrays]) -> str:
    counts = sum((rules.interval_histogram(s) for s in segments), np.zeros(len(rules.INTERVAL_BINS)))
    total = counts.sum() or 1.0
    groups = (("0", [0]), ("1-2", [1, 2]), ("3-5", [3, 4, 5]), ("6-7", [6, 7]), ("8-12", list(range(8, 13))),
              (">12", [13]))
    return " ".join(f"{name}:{100 * counts[i].sum() / total:.0f}%" for name, i in groups)


def sample(sampler: Sampler, pairs: list[tuple[np.ndarray, np.ndarray]], vocab: Any,
           steering_for: Callable[[Any], Steering], temperature: float, per_seed: int
           ) -> list[tuple[curation.NoteArrays, float]]:
    """(candidate notes, seed notes per bar) for every row."""
    out = []
    for index, (seed_tokens, _) in enumerate(pairs):
        seed = decode(seed_tokens, vocab=vocab)
        options = GenerationOptions(length_bars=4, candidates=per_seed, temperature=temperature, seed=index,
                                    steering=steering_for(seed))
        for row in sampler.sample_pool(GenerationRequest(index, seed, options), per_seed, threading.Event()):
            out.append((curation.notes_from_score(row.score), len(seed.notes) / max(seed.bar_count, 1)))
    return out


def strict_steering(register: Any) -> Callable[[Any], Steering]:
    def make(seed: Any) -> Steering:
        low, high = register_around(seed.notes) if register == "like" else register
        return Steering(scale=detect_key(seed.notes), scale_strict=True, lowest=low, highest=high)
    return make


def real_segments(pieces: Sequence[np.ndarray], vocab: Any) -> list[curation.NoteArrays]:
    """Every non-overlapping run of 4 bars of the pieces (a steadier reference than 200 continuations)."""
    out = []
    for tokens in pieces:
        bars = np.flatnonzero(np.isin(tokens, vocab.bar_ids))
        for i in range(0, len(bars) - 4, 4):
            out.append(curation.notes_from_tokens(tokens[bars[i]:bars[i + 4]], vocab))
    return out


def repeats_section(sampler: Sampler, pairs: list[tuple[np.ndarray, np.ndarray]], vocab: Any, per_seed: int,
                    test_pieces: Sequence[np.ndarray]) -> None:
    real = [curation.notes_from_tokens(r, vocab) for _, r in pairs]
    seeds_rate = float(np.mean([rules.long_repetition(s, s) for s in real]))
    segments = real_segments(test_pieces, vocab)
    real_rate = float(np.mean([rules.long_repetition(s, s) for s in segments]))
    print(f"real music: {100 * real_rate:.1f}% of {len(segments)} 4-bar segments of the test split hold a pitch "
          f"struck >4 times in a row (the reference below); the {len(real)} seeds' own bars 5-8: "
          f"{100 * seeds_rate:.1f}%; intervals {interval_shares(segments)}")
    settings = [(f"strict scale, register {name}, T=1.0", reg, 1.0) for name, reg in REGISTERS]
    settings += [(f"strict scale, register like the selection, T={t}", "like", t) for t in TEMPERATURES if t != 1.0]
    settings += [(f"strict scale, register low C2-C4, T={t}", (36, 60), t) for t in (0.3, 2.0)]
    settings += [("no steering, T=1.0", None, 1.0)]
    for name, register, temperature in settings:
        if ONLY and not any(part in name for part in ONLY):
            continue
        started = time.perf_counter()
        make = strict_steering(register) if register is not None else (lambda _: Steering())
        rows = sample(sampler, pairs, vocab, make, temperature, per_seed)
        rate = float(np.mean([rules.long_repetition(n, n) for n, _ in rows]))
        gap = 100 * (rate - real_rate)
        verdict = "ok" if abs(gap) <= 2 else "OUTSIDE 2 points"
        print(f"  {name:48s} {100 * rate:5.1f}% ({gap:+.1f} points, {verdict}); "
              f"intervals {interval_shares([n for n, _ in rows])}  [{time.perf_counter() - started:.0f} s]",
              flush=True)


def density_section(sampler: Sampler, pairs: list[tuple[np.ndarray, np.ndarray]], vocab: Any, per_seed: int
                    ) -> None:
    for factor in DENSITY_FACTORS:
        def make(seed: Any, factor: float = factor) -> Steering:
            base = assistant_default_steering(seed.notes)
            density = factor * len(seed.notes) / max(seed.bar_count, 1)
            return Steering(scale=base.scale, scale_strict=False, lowest=base.lowest, highest=base.highest,
                            density=density)
        rows = sample(sampler, pairs, vocab, make, 1.0, per_seed)
        ratios = np.array([(n.pitch.size / max(n.bar_starts.size, 1)) / (factor * seed) for n, seed in rows])
        per_seed_ratio = ratios.reshape(-1, per_seed).mean(axis=1)
        print(f"  target {factor:.1f}x the seed's density: achieved/target mean {ratios.mean():.2f}, "
              f"median {np.median(ratios):.2f}; seeds whose mean is within +-20%: "
              f"{100 * np.mean(np.abs(per_seed_ratio - 1) <= 0.2):.0f}%; candidates within +-20%: "
              f"{100 * np.mean(np.abs(ratios - 1) <= 0.2):.0f}%", flush=True)
    free = sample(sampler, pairs, vocab, lambda s: assistant_default_steering(s.notes), 1.0, per_seed)
    free_ratio = np.array([(n.pitch.size / max(n.bar_starts.size, 1)) / seed for n, seed in free])
    print(f"  Free (no target): candidate/seed density mean {free_ratio.mean():.2f}")


def labels_section(sampler: Sampler, pairs: list[tuple[np.ndarray, np.ndarray]], vocab: Any, sets: int) -> None:
    clashing = 0
    examples: Counter[str] = Counter()
    chosen = pairs[:: max(1, len(pairs) // sets)][:sets]
    for index, (seed_tokens, _) in enumerate(chosen):
        seed = decode(seed_tokens, vocab=vocab)
        options = GenerationOptions(length_bars=4, candidates=4, seed=1000 + index,
                                    steering=assistant_default_steering(seed.notes))
        got = sampler.generate(GenerationRequest(index, seed, options), threading.Event(), lambda _: None,
                               lambda _: None)
        texts = [c.label for c in got]
        clashing += len(set(texts)) < len(texts)
        examples.update(texts)
    print(f"  {len(chosen)} sets of 4: {clashing} with a repeated label; most common labels: "
          f"{examples.most_common(6)}")


def calibration_section(count: int) -> None:
    corpus = build_corpus(["bundled"], [], progress=False)
    train = corpus.split("train")[::4][:count]
    lines = (rules.melodic_line(curation.notes_from_tokens(p.tokens, corpus.vocab))[1] for p in train)
    print(f"  repeat hazard fitted on {len(train)} training pieces: {fit_repeat_hazard(lines)}")
    print(f"  steering_bias.REPEAT_HAZARD in use:              {REPEAT_HAZARD}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped one)")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--per-seed", type=int, default=2, help="candidates per seed")
    parser.add_argument("--sections", default="keys,calibration,repeats,density,labels")
    parser.add_argument("--only", default="", help="comma-separated parts of repeat setting names, e.g. T=0.3")
    args = parser.parse_args(argv)
    ONLY[:] = [part for part in args.only.split(",") if part]
    sections = args.sections.split(",")
    if "keys" in sections:
        print("== key finding")
        key_section()
    if "calibration" in sections:
        print("== calibration (re-fit when the corpus changes)")
        calibration_section(4000)
    if not {"repeats", "density", "labels"} & set(sections):
        return 0
    folder = args.model or model_store.default_model_dir()
    network, vocab = model_store.load_network(folder)
    sampler = Sampler(network, vocab, oversample=1)
    # As load_sampler does: a lookback model's own repeat boost (0 for a plain model).
    boost = float(model_store.read_config(folder).get("sampling", {}).get("lookback_boost", 0.0))
    sampler.lookback_boost = boost
    pairs, corpus = held_out(args.seeds)
    print(f"model {folder} (lookback boost {boost}); {len(pairs)} held-out test seeds, "
          f"{args.per_seed} candidates each")
    if "repeats" in sections:
        print("== repeated notes (a pitch struck more than 4 times in a row), candidates vs real")
        repeats_section(sampler, pairs, corpus.vocab, args.per_seed,
                        [np.asarray(p.tokens) for p in corpus.split("test")])
    if "density" in sections:
        print("== density targets (notes per bar)")
        density_section(sampler, pairs, corpus.vocab, args.per_seed)
    if "labels" in sections:
        print("== labels")
        curated = Sampler(network, vocab)
        curated.lookback_boost = boost
        labels_section(curated, pairs, corpus.vocab, 100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
