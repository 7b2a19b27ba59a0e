"""Held-out likelihood of the LSTM and of the n-gram baselines on the same tokens.

The LSTM reads every held-out piece **whole**, from BOS to EOS, with its state
carried through the piece (pieces are batched by length and padded; PAD
targets are ignored), so no token is scored with a truncated context. Every
token after the first is predicted, exactly the set the n-gram models score.

Figures: cross-entropy in nats per token, bits per note (total bits divided
by the number of PITCH tokens: the cost of one note with its position,
duration and velocity), and next-token accuracy (argmax = target).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from musicassist.codec import PAD, Vocabulary

from .dataset import length_batches, padded_batch
from .ngram import evaluate_orders

if TYPE_CHECKING:  # pragma: no cover
    import keras


@dataclass(frozen=True)
class LikelihoodScore:
    nll_per_token: float
    bits_per_note: float
    accuracy: float
    tokens: int
    notes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def count_notes(sequences: Sequence[np.ndarray], vocab: Vocabulary) -> int:
    first, last = int(vocab.pitch_ids[0]), int(vocab.pitch_ids[-1])
    return int(sum(int(np.sum((np.asarray(s[1:]) >= first) & (np.asarray(s[1:]) <= last))) for s in sequences))


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def model_inputs(model: keras.Model, block: np.ndarray, vocab: Vocabulary | None = None
                 ) -> np.ndarray | list[np.ndarray]:
    """The model's inputs for a (rows, T) token block: the tokens, plus lookback features if it has them."""
    from .lookback import LookbackSpec, block_features
    from .model import model_lags

    lags = model_lags(model)
    if not lags:
        return block
    from musicassist.codec import default_vocabulary

    candidates, flags = block_features(block, LookbackSpec.from_vocab(vocab or default_vocabulary(), lags))
    return [block, candidates, flags]


def model_token_scores(model: keras.Model, sequences: Sequence[np.ndarray], max_batch_tokens: int = 24576,
                       vocab: Vocabulary | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Log-probability and argmax-correctness of every predicted token, in input order."""
    sequences = [np.asarray(s, dtype=np.int32) for s in sequences]
    log_probs: list[np.ndarray] = [np.zeros(0)] * len(sequences)
    correct: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(sequences)
    for batch in length_batches([len(s) for s in sequences], max_batch_tokens):
        block = padded_batch([sequences[i] for i in batch])
        logits = np.asarray(model.predict_on_batch(model_inputs(model, block[:, :-1], vocab)), dtype=np.float32)
        logp = _log_softmax(logits)
        targets = block[:, 1:]
        picked = np.take_along_axis(logp, targets[..., None].astype(np.int64), axis=-1)[..., 0]
        hits = logp.argmax(axis=-1) == targets
        for row, index in enumerate(batch):
            n = len(sequences[index]) - 1
            log_probs[index] = picked[row, :n].astype(np.float64)
            correct[index] = hits[row, :n]
    return np.concatenate(log_probs), np.concatenate(correct)


def score_from_log_probs(log_probs: np.ndarray, correct: np.ndarray | None, notes: int) -> LikelihoodScore:
    total = float(-log_probs.sum())
    tokens = len(log_probs)
    return LikelihoodScore(
        nll_per_token=total / max(tokens, 1),
        bits_per_note=total / math.log(2) / max(notes, 1),
        accuracy=float(np.mean(correct)) if correct is not None and len(correct) else float("nan"),
        tokens=tokens,
        notes=notes,
    )


def evaluate_model(model: keras.Model, vocab: Vocabulary, sequences: Sequence[np.ndarray]) -> LikelihoodScore:
    sequences = [s for s in sequences if len(s) > 1 and s[0] != PAD]
    log_probs, correct = model_token_scores(model, sequences, vocab=vocab)
    return score_from_log_probs(log_probs, correct, count_notes(sequences, vocab))


def evaluate_ngrams(train: Sequence[np.ndarray], test: Sequence[np.ndarray], vocab: Vocabulary,
                    orders: Sequence[int] = (1, 2, 3, 4, 5, 6)) -> dict[str, Any]:
    """Per-order KN figures plus the best order (lowest nats per token)."""
    notes = count_notes(test, vocab)
    per_order: dict[str, dict[str, Any]] = {}
    for score in evaluate_orders(train, test, vocab.size, orders):
        per_order[str(score.order)] = {
            "nll_per_token": score.nll_per_token,
            "bits_per_note": score.nll_per_token * score.tokens / math.log(2) / max(notes, 1),
            "accuracy": score.accuracy,
        }
    best = min(per_order, key=lambda k: per_order[k]["nll_per_token"])
    return {"per_order": per_order, "best_order": int(best), **{
        f"best_{k}": v for k, v in per_order[best].items()}}


def full_report(model: keras.Model, vocab: Vocabulary, train: Sequence[np.ndarray],
                test: Sequence[np.ndarray], split: str, orders: Sequence[int] = (1, 2, 3, 4, 5, 6),
                log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """The ``evaluate --json`` object: model figures, n-gram figures, and the relative gain."""
    log(f"Scoring the model on {len(test)} {split} pieces...")
    lstm = evaluate_model(model, vocab, test)
    log(f"Fitting n-gram baselines (orders {orders[0]}..{orders[-1]}) on {len(train)} training pieces...")
    ngrams = evaluate_ngrams(train, test, vocab, orders)
    best = ngrams["best_nll_per_token"]
    return {
        "split": split,
        "pieces": len(test),
        "tokens": lstm.tokens,
        "notes": lstm.notes,
        "nll_per_token": lstm.nll_per_token,
        "bits_per_note": lstm.bits_per_note,
        "accuracy": lstm.accuracy,
        "ngram_best_order": ngrams["best_order"],
        "ngram_best_nll_per_token": best,
        "ngram_best_bits_per_note": ngrams["best_bits_per_note"],
        "ngram_best_accuracy": ngrams["best_accuracy"],
        "improvement_over_ngram": 1.0 - lstm.nll_per_token / best,
        "ngram": ngrams["per_order"],
        "evaluation": "whole pieces, LSTM state carried from BOS; all tokens after BOS are predicted",
    }


def run_evaluation(model_name: str | None, sources: Sequence[str], folders: Sequence[Any], split: str,
                   orders: Sequence[int], continuation_pieces: int, plot: Any, update_card: bool,
                   progress: bool = True, realism_seeds: int = 0, likelihood: bool = True,
                   realism_plot: Any = None) -> dict[str, Any]:
    """What ``musicassist evaluate`` does: load model and corpus, score, check continuations, record.

    ``realism_seeds`` > 0 adds the realism report (``musicassist.ml.realism``) on that many held-out
    seeds; ``likelihood=False`` skips the likelihood figures (and TensorFlow) for a quick realism run.
    """
    import sys
    from pathlib import Path

    from . import model_store
    from .continuation_check import continuation_check
    from .corpus import build_corpus
    from .model import configure_threads

    def log(message: str) -> None:
        if progress:
            print(message, file=sys.stderr, flush=True)

    model_dir = model_store.resolve_model_dir(model_name)
    if likelihood:
        configure_threads()
        model, vocab, card = model_store.load_model(model_dir)
    else:  # the realism report and the continuation check run on the NumPy network alone
        vocab, card = model_store.read_vocabulary(model_dir), model_store.read_card(model_dir)
    corpus = build_corpus(list(sources), [Path(f) for f in folders], progress=progress)
    train = [p.tokens for p in corpus.split("train")]
    held_out = [p.tokens for p in corpus.split(split)]
    if not held_out or not train:
        from musicassist.core.errors import OptionError

        raise OptionError(f"The chosen data has no pieces in the '{split}' or the training split.")
    report = (full_report(model, vocab, train, held_out, split, orders, log) if likelihood
              else {"split": split, "pieces": len(held_out)})
    report["model"] = str(model_dir)
    if continuation_pieces > 0:
        log(f"Continuation check on up to {continuation_pieces} {split} pieces...")
        plot_path = Path(plot) if plot else (model_dir / "continuation_check.png" if update_card else None)
        network, _ = model_store.load_network(model_dir)
        check = continuation_check(network, vocab, held_out, continuation_pieces, plot_path=plot_path)
        report["continuation_check"] = check
    if realism_seeds > 0:
        from .realism import realism_report
        from .realism_report import plot_realism
        from .sampler import load_sampler

        log(f"Realism report on up to {realism_seeds} {split} seeds...")
        realism = realism_report(load_sampler(model_dir), corpus.split(split), realism_seeds, split=split, log=log)
        target = Path(realism_plot) if realism_plot else (model_dir / "realism.png" if update_card else None)
        if target is not None and "auc" in realism:
            realism["plot"] = str(plot_realism(realism, target))
        report["realism"] = realism
    from .tune_evaluate import tuning_comparison

    tuning = tuning_comparison(model_dir, report, split, model if likelihood else None, held_out, vocab)
    if tuning is not None:  # a tuned model: real vs prior vs tuned, KL to the prior (issue 16)
        log("Compared with the prior it was tuned from.")
        report["tuning"] = tuning
    if update_card:
        figures = {k: v for k, v in report.items() if k not in ("continuation_check", "model", "realism", "tuning")}
        if likelihood:
            card.setdefault("metrics", {})[split] = figures
        if "realism" in report:
            card["realism"] = report["realism"]
        if "continuation_check" in report:
            card["continuation_check"] = report["continuation_check"]
        card["data"] = {**card.get("data", {}), "evaluated_on": list(sources) + [str(f) for f in folders]}
        if tuning is not None:
            from .tune_report import write_card

            card["tuning_evaluation"] = tuning
            write_card(model_dir, card)
        else:
            model_store.write_card(model_dir, card)
        log(f"Recorded in {model_dir / model_store.CARD_FILE}.")
    return report
