"""Train the music LSTM: epochs of augmented windows, validation, checkpoints, resume, card and curve.

The loop is ours rather than one long ``model.fit`` so that every epoch can
draw fresh transpositions, validate on **whole** validation pieces (the same
measure ``evaluate`` reports), adjust the learning rate, and leave behind a
resumable checkpoint (``checkpoint/last.keras`` holds weights *and* Adam's
state; ``checkpoint/state.json`` the epoch counter and history). The best
weights so far are always in the output dir, so an interrupted run still
leaves a usable model.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import CODEC_VERSION, Vocabulary
from musicassist.core.errors import ModelError

from . import model_store
from .dataset import epoch_windows
from .evaluate import evaluate_model
from .lookback import LookbackSpec, sequence_features
from .model import (
    ModelConfig,
    build_from_config,
    configure_threads,
    custom_objects,
    model_lags,
    parameter_count,
    warm_start,
)
from .train_report import plot_curve, progress_callback, write_status

CHECKPOINT_DIR = "checkpoint"
CURVE_FILE = "training_curve.png"


@dataclass
class TrainConfig:
    """Optimisation settings (recorded in the card; sampling does not need them)."""

    seq_len: int = 256
    batch_size: int = 32
    learning_rate: float = 2e-3
    epochs: int = 8
    steps_per_epoch: int | None = None  # windows drawn per epoch = steps * batch (None: all)
    patience: int = 2  # epochs without validation gain before stopping
    lr_decay: float = 0.5  # learning-rate factor after an epoch without gain
    epoch_decay: float = 1.0  # learning-rate factor after every epoch (a gentle schedule for short runs)
    clipnorm: float = 1.0
    transpose_range: tuple[int, int] = (-5, 6)
    transpose_probability: float = 0.5  # share of pieces transposed each epoch (the rest keep their key)
    seed: int = 1234
    time_budget_s: float | None = None  # stop before an epoch that would overrun this


@dataclass
class TrainData:
    """Token sequences per split plus a description for the card."""

    train: list[np.ndarray]
    valid: list[np.ndarray]
    description: dict[str, Any] = field(default_factory=dict)


@dataclass
class _State:
    epoch: int = 0  # epochs completed
    best_val: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    learning_rate: float = 0.0
    elapsed_s: float = 0.0
    trained_tokens: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def _compile(model: Any, learning_rate: float, clipnorm: float) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=[])


def _load_checkpoint(out_dir: Path) -> tuple[Any, _State] | None:
    import keras

    ckpt = out_dir / CHECKPOINT_DIR
    if not (ckpt / "last.keras").is_file() or not (ckpt / "state.json").is_file():
        return None
    try:
        model = keras.saving.load_model(str(ckpt / "last.keras"), compile=True, custom_objects=custom_objects())
        state = _State(**json.loads((ckpt / "state.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ModelError(f"The training checkpoint in {ckpt} cannot be read; start again without --resume.") \
            from exc
    return model, state


def _save_checkpoint(model: Any, state: _State, out_dir: Path) -> None:
    ckpt = out_dir / CHECKPOINT_DIR
    ckpt.mkdir(parents=True, exist_ok=True)
    tmp = ckpt / ".last.tmp.keras"
    model.save(str(tmp), overwrite=True)
    os.replace(tmp, ckpt / "last.keras")
    model_store.atomic_write_json(ckpt / "state.json", asdict(state))


def _initial_model(vocab: Vocabulary, out_dir: Path, model_config: ModelConfig, config: TrainConfig,
                   init_dir: Path | None, resume: bool, log: Callable[[str], None]) -> tuple[Any, _State]:
    if resume:
        restored = _load_checkpoint(out_dir)
        if restored is not None:
            model, state = restored
            log(f"Resuming after epoch {state.epoch} (best validation {state.best_val:.4f} nats/token).")
            return model, state
        log(f"No checkpoint in {out_dir}; starting a new run.")
    if init_dir is not None:
        init_model, init_vocab, _card = model_store.load_model(init_dir)
        if init_vocab.names != vocab.names:
            raise ModelError(f"The model in {init_dir} uses a different vocabulary and cannot be fine-tuned.")
        model = build_from_config(model_config)
        if model_lags(init_model) == model_config.lookback:
            model.set_weights(init_model.get_weights())
            log(f"Fine-tuning the model from {init_dir}.")
        else:
            warm_start(model, init_model)
            log(f"Fine-tuning the model from {init_dir} with lookback over {list(model_config.lookback)} bars "
                "(new weights start at zero, so it begins exactly where that model was).")
    else:
        model = build_from_config(model_config)
    _compile(model, config.learning_rate, config.clipnorm)
    return model, _State(learning_rate=config.learning_rate)


def train(data: TrainData, vocab: Vocabulary, out_dir: Path, model_config: ModelConfig, config: TrainConfig,
          *, init_dir: Path | None = None, resume: bool = False, progress: bool = True,
          status_file: Path | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run (or resume) training into ``out_dir``; returns the model card written there."""
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    if not data.train or not data.valid:
        raise ModelError("Training needs pieces in both the training and the validation split.")
    configure_threads()
    out_dir.mkdir(parents=True, exist_ok=True)
    if init_dir is not None and not resume:
        # The starting model fixes the sizes; lookback can be added to a plain model (warm start).
        init_config = model_store.model_config_of(init_dir)
        model_config = ModelConfig(init_config.vocab_size, init_config.embed_dim, init_config.units,
                                   init_config.dropout, init_config.lookback or model_config.lookback)
    model, state = _initial_model(vocab, out_dir, model_config, config, init_dir, resume, say)
    model_config = ModelConfig(vocab.size, *_architecture(model))
    spec = LookbackSpec.from_vocab(vocab, model_config.lookback) if model_config.lookback else None
    features = None
    if spec is not None:
        started = time.monotonic()
        features = sequence_features(data.train, spec)
        say(f"Lookback features of {len(features)} training pieces in {time.monotonic() - started:.0f} s.")
    session_start = time.monotonic()
    stop_reason = "epoch limit"
    while state.epoch < config.epochs:
        epoch = state.epoch + 1
        last_duration = state.history[-1]["seconds"] if state.history else 0.0
        if config.time_budget_s and state.elapsed_s + last_duration > config.time_budget_s:
            stop_reason = "time budget"
            break
        started = time.monotonic()
        rng = np.random.default_rng(config.seed + epoch)  # same windows after a resume
        max_windows = config.steps_per_epoch * config.batch_size if config.steps_per_epoch else None
        windows = epoch_windows(data.train, vocab, config.seq_len, rng, config.transpose_range, max_windows,
                                config.transpose_probability, features, spec)
        model.optimizer.learning_rate.assign(state.learning_rate)
        say(f"Epoch {epoch}/{config.epochs}: {len(windows)} windows, {windows.token_count} tokens, "
            f"learning rate {state.learning_rate:.2e}")
        callbacks = ([progress_callback(epoch, config.epochs, status_file, state.elapsed_s,
                                        config.batch_size * config.seq_len)] if progress else [])
        fit = model.fit(windows.model_inputs(), windows.targets, sample_weight=windows.weights,
                        batch_size=config.batch_size, epochs=1, shuffle=True, verbose=0, callbacks=callbacks)
        train_seconds = time.monotonic() - started
        val = evaluate_model(model, vocab, data.valid)
        seconds = time.monotonic() - started
        state.epoch = epoch
        state.elapsed_s += seconds
        state.trained_tokens += windows.token_count
        improved = val.nll_per_token < state.best_val - 1e-4
        state.history.append({"epoch": epoch, "train_loss": float(fit.history["loss"][-1]),
                              "val_nll_per_token": val.nll_per_token, "val_accuracy": val.accuracy,
                              "val_bits_per_note": val.bits_per_note, "learning_rate": state.learning_rate,
                              "transpose_probability": config.transpose_probability,
                              "seconds": seconds, "tokens_per_second": windows.token_count / train_seconds})
        if improved:
            state.best_val, state.best_epoch, state.bad_epochs = val.nll_per_token, epoch, 0
            model_store.save_model(model, vocab, out_dir, model_config)
        else:
            state.bad_epochs += 1
            state.learning_rate *= config.lr_decay
        state.learning_rate *= config.epoch_decay
        _save_checkpoint(model, state, out_dir)
        plot_curve(state.history, out_dir / CURVE_FILE)
        say(f"Epoch {epoch}: train loss {state.history[-1]['train_loss']:.4f}, validation "
            f"{val.nll_per_token:.4f} nats/token ({val.bits_per_note:.2f} bits/note, accuracy "
            f"{val.accuracy:.3f}), {seconds:.0f} s" + ("  [best]" if improved else ""))
        write_status(status_file, state.history, config.epochs, state.elapsed_s, "training")
        if state.bad_epochs >= config.patience:
            stop_reason = "early stopping"
            break
    if state.best_epoch == 0:
        raise ModelError("Training stopped before finishing an epoch, so no model was saved.")
    card = _card(vocab, model_config, config, data, state, out_dir, stop_reason,
                 time.monotonic() - session_start, init_dir)
    model_store.write_card(out_dir, card)
    write_status(status_file, state.history, config.epochs, state.elapsed_s, f"finished ({stop_reason})")
    say(f"Done ({stop_reason}): best validation {state.best_val:.4f} nats/token at epoch {state.best_epoch}; "
        f"model in {out_dir}")
    return card


def _architecture(model: Any) -> tuple[int, tuple[int, ...], float, tuple[int, ...]]:
    embed = int(model.get_layer("embedding").output_dim)
    units: list[int] = []
    while True:
        try:
            units.append(int(model.get_layer(f"lstm_{len(units)}").units))
        except ValueError:
            break
    dropout = float(model.get_layer("dropout_0").rate) if units else 0.0
    return embed, tuple(units), dropout, model_lags(model)


def _card(vocab: Vocabulary, model_config: ModelConfig, config: TrainConfig, data: TrainData, state: _State,
          out_dir: Path, stop_reason: str, session_seconds: float, init_dir: Path | None) -> dict[str, Any]:
    weights = out_dir / model_store.WEIGHTS_FILE
    best = next(h for h in state.history if h["epoch"] == state.best_epoch)
    previous = model_store.read_card(out_dir)
    return {
        "name": out_dir.name,
        "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "codec_version": CODEC_VERSION,
        "vocab_size": vocab.size,
        "model": {**model_config.to_json(), "parameters": parameter_count(model_config),
                  "architecture": _describe(model_config)},
        "training": {**asdict(config), "epochs_run": state.epoch, "best_epoch": state.best_epoch,
                     "stopped_by": stop_reason, "seconds": round(state.elapsed_s, 1),
                     "this_session_seconds": round(session_seconds, 1), "trained_tokens": state.trained_tokens,
                     "tokens_per_second": round(state.trained_tokens / max(
                         sum(h["seconds"] for h in state.history), 1e-9), 1),
                     "fine_tuned_from": lineage(init_dir) if init_dir else None, "history": state.history},
        "data": data.description,
        "metrics": {**previous.get("metrics", {}), "valid": {
            "nll_per_token": best["val_nll_per_token"], "bits_per_note": best["val_bits_per_note"],
            "accuracy": best["val_accuracy"]}},
        "weights_file": model_store.WEIGHTS_FILE,
        "weights_sha256": model_store.sha256_of(weights),
        "weights_megabytes": round(weights.stat().st_size / 1e6, 2),
        "curve": CURVE_FILE,
    }


def _describe(config: ModelConfig) -> str:
    plain = f"embedding -> {len(config.units)} LSTM layers -> linear logits"
    if not config.lookback:
        return plain
    return (f"{plain}; lookback over {', '.join(map(str, config.lookback))} bars: the token each of those bars "
            "had at this point (transposed while the bar repeats transposed) is embedded beside the input, with "
            "repeat flags, and a learned copy gate adds a boost to its logit")


def lineage(init_dir: Path) -> dict[str, Any]:
    """What a fine-tuned model started from, kept in its card (the starting folder may later be replaced)."""
    card = model_store.read_card(init_dir)
    training = card.get("training", {})
    return {"model": str(init_dir), "name": card.get("name"), "weights_sha256": card.get("weights_sha256"),
            "data": card.get("data", {}).get("sources"),
            "converter_version": card.get("data", {}).get("converter_version"),
            **{key: training.get(key) for key in ("epochs_run", "seconds", "trained_tokens", "fine_tuned_from")}}


def corpus_data(sources: Sequence[str], user_dirs: Sequence[Path], progress: bool = True,
                workers: int = 2) -> tuple[TrainData, Any]:
    """Build/load the corpus and split it; returns the data and the Corpus (for evaluation)."""
    from .corpus import build_corpus
    from .corpus_sources import CONVERTER_VERSION

    corpus = build_corpus(list(sources), list(user_dirs), workers=workers, progress=progress)
    counts = corpus.counts()
    description = {
        "sources": list(sources) + [str(d) for d in user_dirs],
        "counts": {source: {split: row[split] for split in ("train", "valid", "test", "total")}
                   for source, row in counts.items()},
        "skipped": counts.get("all", {}).get("failures", {}),
        "converter_version": CONVERTER_VERSION,
        "split": "by piece: sha1(piece id) % 100 -> train < 90 <= valid < 95 <= test",
        "augmentation": "train only: each epoch a share of the pieces (training.transpose_probability) is "
                        "transposed by a random -5..+6 semitones that keeps every pitch in range",
    }
    data = TrainData([p.tokens for p in corpus.split("train")], [p.tokens for p in corpus.split("valid")],
                     description)
    return data, corpus
