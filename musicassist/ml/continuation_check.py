"""Continuation check: seed 4 held-out bars, generate 4, compare to the real next 4 bars on music features.

Seeds are spread evenly over the held-out split (every source, not the first
pieces in source order), and every seed is continued three ways:

- **model**: a plain loop over the NumPy LSTM at temperature 1 with no top-p;
  only the opening bar line is given (the seed's meter) and every later bar
  line is the model's own choice. This measures what the network learnt.
- **sampler**: the product's ``Sampler`` at its default options (temperature 1,
  top-p 0.95, no steering, one uncurated row per seed: ``musicassist generate``
  without steering flags), seeded with the decoded seed bars exactly as the app
  sends a selection. Its bar lines are always in the seed's meter, so its
  in-meter rate is 1 by construction.
- **app**: the same sampler with the steering the assistant panel asks for by
  default (``assistant_default_steering``: the seed's detected key as a soft
  bias, the seed's register): what a composer hears after pressing Generate.

The features and the Yang & Lerch comparison live in ``features``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import EOS, BatchGrammar, Vocabulary, decode
from musicassist.codec.vocab import T_BAR
from musicassist.core.generation import GenerationOptions, GenerationRequest, Steering, assistant_default_steering

from .features import CONTINUATION_BARS, SEED_BARS, compare, continuation_features, read_bars, seed_key
from .lstm_numpy import LstmState, NumpyLstm
from .sampler import Sampler, choose_tokens

SETTINGS = ("model", "sampler", "app")
# "About as often as the real continuations": the generated rate within this of the real one, either way
# (always in key is not the goal: real music has chromatic notes).
RATE_TOLERANCE = 0.05


def split_seed(tokens: np.ndarray, vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray] | None:
    """(seed = everything before bar 5, real continuation = bars 5-8), or None if the piece is shorter."""
    bar_index = np.flatnonzero(np.isin(tokens, vocab.bar_ids))
    needed = SEED_BARS + CONTINUATION_BARS
    if len(bar_index) < needed:
        return None
    end = bar_index[needed] if len(bar_index) > needed else len(tokens)
    return tokens[: bar_index[SEED_BARS]], tokens[bar_index[SEED_BARS]:end]


def spread_pairs(pieces: Sequence[np.ndarray], vocab: Vocabulary, max_pieces: int
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(seed, real continuation) of up to ``max_pieces`` pieces of 8+ bars, evenly spaced over the list.

    Held-out pieces come in source order (chorales, Essen, O'Neill, ...): taking
    the first N would judge the model on one source only.
    """
    pairs = [p for p in (split_seed(np.asarray(t), vocab) for t in pieces) if p is not None]
    if len(pairs) <= max_pieces:
        return pairs
    chosen = np.unique(np.linspace(0, len(pairs) - 1, max_pieces).round().astype(int))
    return [pairs[i] for i in chosen]


def last_bar_token(seed: np.ndarray, vocab: Vocabulary) -> int:
    bars = seed[np.isin(seed, vocab.bar_ids)]
    return int(bars[-1]) if len(bars) else int(vocab.bar_ids[vocab.meters.index("4/4")])


def model_continuations(network: NumpyLstm, vocab: Vocabulary, seeds: Sequence[np.ndarray], bars: int,
                        rng: np.random.Generator, max_tokens: int = 1500) -> list[np.ndarray]:
    """``bars`` bars after every seed from the raw network (one batch, grammar-masked, temperature 1)."""
    logits_rows, states = [], []
    for seed in seeds:
        logits, seed_state = network.run_sequence(seed)
        logits_rows.append(logits[-1])
        states.append(seed_state)
    state = LstmState.concatenate(states)
    logits = np.stack(logits_rows)
    grammar = BatchGrammar.from_prefixes(list(seeds), vocab)
    outputs: list[list[int]] = [[] for _ in seeds]
    bars_done = np.zeros(len(seeds), dtype=np.int64)
    active = np.ones(len(seeds), dtype=bool)
    no_bias = np.zeros(vocab.size, dtype=np.float32)
    for step in range(max_tokens):
        allowed = grammar.masks()
        if step == 0:  # open a bar in the seed's last meter, as the product's sampler does
            allowed[:] = False
            allowed[np.arange(len(seeds)), [last_bar_token(s, vocab) for s in seeds]] = True
        chosen, _ = choose_tokens(logits, allowed, no_bias, temperature=1.0, top_p=1.0, rng=rng)
        bars_done += (vocab.type_of[chosen] == T_BAR) & active
        finishing = active & ((chosen == EOS) | (bars_done > bars))
        for row in np.flatnonzero(active & ~finishing):
            outputs[row].append(int(chosen[row]))
        active &= ~finishing
        if not active.any():
            break
        grammar.advance(np.where(active, chosen, EOS))
        logits, state = network.step(np.where(active, chosen, EOS), state)
    return [np.array(o, dtype=np.int32) for o in outputs]


def sampler_continuations(network: NumpyLstm, vocab: Vocabulary, seeds: Sequence[np.ndarray], bars: int,
                          seed: int, app_steering: bool = False) -> list[np.ndarray]:
    """``bars`` bars after every seed from the product's sampler (uncurated), unsteered or as the app steers."""
    sampler = Sampler(network, vocab, oversample=1)
    outputs = []
    for index, seed_tokens in enumerate(seeds):
        seed_score = decode(seed_tokens, vocab=vocab)
        steering = assistant_default_steering(seed_score.notes) if app_steering else Steering()
        options = GenerationOptions(length_bars=bars, candidates=1, seed=seed + index, steering=steering)
        (row,) = sampler.sample_pool(GenerationRequest(index, seed_score, options), 1, threading.Event())
        outputs.append(np.asarray(row.tokens, dtype=np.int32))
    return outputs


def _judge(pairs: Sequence[tuple[np.ndarray, np.ndarray]], generated: Sequence[np.ndarray], vocab: Vocabulary
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Features of the real and generated continuations, both judged by the seed's key and meter."""
    real_features, generated_features = [], []
    for (seed_tokens, real_tokens), fake_tokens in zip(pairs, generated, strict=True):
        key, meter = seed_key(read_bars(seed_tokens, vocab)), last_bar_token(seed_tokens, vocab)
        real_features.append(continuation_features(read_bars(real_tokens, vocab), key, meter))
        generated_features.append(continuation_features(read_bars(fake_tokens, vocab), key, meter))
    return real_features, generated_features


def _verdict(features: dict[str, dict[str, float]]) -> dict[str, Any]:
    """In key and in meter "about as often" as real continuations: within RATE_TOLERANCE of the real rate."""
    rates = {}
    for name in ("in_scale_rate", "in_meter_rate"):
        gap = features[name]["real_mean"] - features[name]["generated_mean"]
        rates[name] = {"gap": gap, "ok": bool(abs(gap) <= RATE_TOLERANCE)}
    return {"tolerance": RATE_TOLERANCE, **rates, "ok": all(r["ok"] for r in rates.values())}


def _line(setting: str, features: dict[str, dict[str, float]]) -> str:
    scale, meter = features["in_scale_rate"], features["in_meter_rate"]
    overlap = np.nanmean([v["yang_lerch_overlap"] for v in features.values()])
    return (f"{setting}: in scale {scale['generated_mean']:.2f} vs {scale['real_mean']:.2f} real, in meter "
            f"{meter['generated_mean']:.2f} vs {meter['real_mean']:.2f}, mean Yang-Lerch overlap {overlap:.2f}")


def continuation_check(network: NumpyLstm, vocab: Vocabulary, pieces: Sequence[np.ndarray], max_pieces: int = 256,
                       seed: int = 7, plot_path: Path | None = None,
                       settings: Sequence[str] = SETTINGS) -> dict[str, Any]:
    """Run the check on held-out pieces of at least 8 bars; optionally save the plot (of the model setting)."""
    from .features_plot import plot_comparison

    pairs = spread_pairs(pieces, vocab, max_pieces)
    if len(pairs) < 2:
        return {"pieces": len(pairs), "summary": "too few held-out pieces of 8+ bars for the check"}
    seeds = [s for s, _ in pairs]
    report: dict[str, Any] = {"pieces": len(pairs), "seed_bars": SEED_BARS, "generated_bars": CONTINUATION_BARS,
                              "tolerance": RATE_TOLERANCE}
    lines = []
    for setting in settings:
        if setting == "model":
            generated = model_continuations(network, vocab, seeds, CONTINUATION_BARS, np.random.default_rng(seed))
        elif setting in ("sampler", "app"):
            generated = sampler_continuations(network, vocab, seeds, CONTINUATION_BARS, seed, setting == "app")
        else:
            raise ValueError(f"unknown continuation-check setting {setting!r}")
        real_features, generated_features = _judge(pairs, generated, vocab)
        features = compare(real_features, generated_features)
        report[setting] = {"features": features, "verdict": _verdict(features)}
        if plot_path is not None:
            target = plot_path if setting == settings[0] else plot_path.with_name(
                f"{plot_path.stem}_{setting}{plot_path.suffix}")
            plot_comparison(real_features, generated_features, features, target,
                            title=f"{setting}: 4 generated bars vs the real next 4 bars ({len(pairs)} held-out seeds)")
            report[setting]["plot"] = str(target)
        lines.append(_line(setting, features))
    report["summary"] = f"{len(pairs)} held-out seeds of {SEED_BARS} bars, {CONTINUATION_BARS} bars generated; " + (
        "; ".join(lines))
    return report
