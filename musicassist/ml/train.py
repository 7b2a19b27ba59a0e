"""Train the music LSTM: epochs of augmented windows, validation, checkpoints, resume, card and curve.

The loop is ours rather than one long ``model.fit`` so that every epoch can
draw fresh transpositions, validate on **whole** validation pieces (the same
measure ``evaluate`` reports), adjust the learning rate, and leave behind a
resumable checkpoint (``checkpoint/last.npz`` holds weights *and* Adam's
state; ``checkpoint/state.json`` the epoch counter and history). The best
weights so far are always in the output dir, so an interrupted run still
leaves a usable model.

The loop runs under a ``tf.distribute`` strategy (``distribute.py``): one device by default,
the GPUs of a machine, or several workers. ``TrainConfig.batch_size`` is the **global** batch
(split evenly over the replicas) and the loss is normalised by it, so the same learning rate
means the same update whatever the number of replicas; to train with a larger global batch on
more replicas, raise the learning rate in proportion (the linear scaling rule) yourself.
Only the chief (worker 0) writes checkpoints and the model folder.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import CODEC_VERSION, Vocabulary
from musicassist.core.errors import ModelError
from musicassist.io.atomic import atomic_writer

from . import model_store
from .distribute import (
    StartupWatchdog,
    StrategyPlan,
    broadcast_variables,
    gather_per_worker,
    make_strategy,
    split_batch,
    worker_failure,
)
from .distribute_data import input_rows, shard_epoch, shard_pieces, shards_of_pipeline
from .distribute_step import distributed_batches, make_optimizer, make_train_step
from .evaluate import evaluate_model
from .lookback import LookbackSpec, sequence_features
from .model import ModelConfig, build_from_config, configure_threads, model_lags, parameter_count, warm_start
from .train_report import StepProgress, plot_curve, write_status

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
    last_seconds: float = 0.0  # the chief's last epoch time, for a worker without its own history


CHECKPOINT_ARRAYS = "last.npz"  # model weights then Adam's variables, in their creation order
CHECKPOINT_MODEL = "model_config.json"


def _load_checkpoint(out_dir: Path) -> tuple[ModelConfig, list[np.ndarray], list[np.ndarray], _State] | None:
    ckpt = out_dir / CHECKPOINT_DIR
    if not (ckpt / CHECKPOINT_ARRAYS).is_file() or not (ckpt / "state.json").is_file():
        if (ckpt / "last.keras").is_file():
            raise ModelError(f"The checkpoint in {ckpt} was written by an older version of musicassist and "
                             "cannot be resumed; fine-tune from the model in that folder with --init instead.")
        return None
    try:
        config = ModelConfig.from_json(json.loads((ckpt / CHECKPOINT_MODEL).read_text(encoding="utf-8")))
        state = _State(**json.loads((ckpt / "state.json").read_text(encoding="utf-8")))
        with np.load(ckpt / CHECKPOINT_ARRAYS, allow_pickle=False) as arrays:
            weights = [arrays[f"w{i}"] for i in range(int(arrays["weight_count"]))]
            slots = [arrays[f"o{i}"] for i in range(int(arrays["optimizer_count"]))]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"The training checkpoint in {ckpt} cannot be read; start again without --resume.") \
            from exc
    return config, weights, slots, state


def _save_checkpoint(model: Any, optimizer: Any, model_config: ModelConfig, state: _State, out_dir: Path) -> None:
    """Weights, Adam's state, the architecture and the loop state; each file replaced atomically."""
    ckpt = out_dir / CHECKPOINT_DIR
    ckpt.mkdir(parents=True, exist_ok=True)
    weights = model.get_weights()
    slots = [np.asarray(v.numpy()) for v in optimizer.variables]
    arrays = {f"w{i}": w for i, w in enumerate(weights)} | {f"o{i}": o for i, o in enumerate(slots)}
    with atomic_writer(ckpt / CHECKPOINT_ARRAYS) as stream:
        np.savez(stream, weight_count=len(weights), optimizer_count=len(slots), **arrays)
    model_store.atomic_write_json(ckpt / CHECKPOINT_MODEL, model_config.to_json())
    model_store.atomic_write_json(ckpt / "state.json", asdict(state))


@dataclass
class _Start:
    """Where a run starts: architecture, weights (None: fresh), Adam's state (None: fresh), loop state."""

    config: ModelConfig
    weights: list[np.ndarray] | None
    slots: list[np.ndarray] | None
    state: _State
    message: str = ""


def _starting_point(vocab: Vocabulary, out_dir: Path, model_config: ModelConfig, config: TrainConfig,
                    init_dir: Path | None, resume: bool, say: Callable[[str], None]) -> _Start:
    """Read whatever the run starts from (checkpoint, model to fine-tune) before any variable is made."""
    if resume:
        restored = _load_checkpoint(out_dir)
        if restored is not None:
            ckpt_config, weights, slots, state = restored
            return _Start(ckpt_config, weights, slots, state,
                          f"Resuming after epoch {state.epoch} (best validation {state.best_val:.4f} nats/token).")
        say(f"No checkpoint in {out_dir}; starting a new run.")
    fresh = _State(learning_rate=config.learning_rate)
    if init_dir is None:
        return _Start(model_config, None, None, fresh)
    # The starting model fixes the sizes; lookback can be added to a plain model (warm start).
    init_config = model_store.model_config_of(init_dir)
    model_config = ModelConfig(init_config.vocab_size, init_config.embed_dim, init_config.units,
                               init_config.dropout, init_config.lookback or model_config.lookback)
    init_model, init_vocab, _card = model_store.load_model(init_dir)
    if init_vocab.names != vocab.names:
        raise ModelError(f"The model in {init_dir} uses a different vocabulary and cannot be fine-tuned.")
    if model_lags(init_model) == model_config.lookback:
        return _Start(model_config, init_model.get_weights(), None, fresh, f"Fine-tuning the model from {init_dir}.")
    staged = build_from_config(model_config)
    warm_start(staged, init_model)
    return _Start(model_config, staged.get_weights(), None, fresh,
                  f"Fine-tuning the model from {init_dir} with lookback over {list(model_config.lookback)} bars "
                  "(new weights start at zero, so it begins exactly where that model was).")


def ensure_validation(data: TrainData) -> TrainData:
    """A folder of 2+ pieces always validates: if the hash split gave no validation piece, one moves there.

    The piece moved is the longest but one (or the shortest of two), so training keeps the most music;
    the card says so (``data.validation``).
    """
    if data.valid:
        return data
    if len(data.train) < 2:
        raise ModelError("Training needs at least two pieces: one to learn from and one to validate on.")
    order = sorted(range(len(data.train)), key=lambda i: (len(data.train[i]), i))
    chosen = order[-2]
    note = (f"the hash split gave no validation piece, so training piece {chosen} of {len(data.train)} "
            f"({len(data.train[chosen])} tokens) was moved to validation")
    return TrainData([p for i, p in enumerate(data.train) if i != chosen], [data.train[chosen]],
                     {**data.description, "validation": note})


def train(data: TrainData, vocab: Vocabulary, out_dir: Path, model_config: ModelConfig, config: TrainConfig,
          *, init_dir: Path | None = None, resume: bool = False, progress: bool = True,
          status_file: Path | None = None, log: Callable[[str], None] | None = None,
          plan: StrategyPlan | None = None, data_shards: int | None = None,
          final_weights: list[np.ndarray] | None = None) -> dict[str, Any]:
    """Run (or resume) training into ``out_dir``; returns the model card written there.

    ``plan`` picks the tf.distribute strategy (default: one device). Only the chief writes
    ``out_dir``; other workers write nothing and return a short summary instead of the card.
    ``data_shards`` (default: one per worker) fixes how the pieces are dealt; a one-process run
    with as many shards as a cluster has workers computes the same batches as that cluster.
    ``final_weights``, when given, receives the weights after the last step (tests and benchmarks).
    """
    plan = plan or StrategyPlan("default")
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    data = ensure_validation(data)
    configure_threads()
    with StartupWatchdog(plan):  # until the workers have agreed on where to start
        strategy = make_strategy(plan)  # before any TensorFlow op: a multi-worker strategy sets up the runtime
        shards = data_shards or plan.worker_count
        if shards % plan.worker_count:
            raise ModelError(f"{shards} data shards cannot be shared evenly by {plan.worker_count} workers.")
        rows_per_shard = split_batch(config.batch_size, strategy.num_replicas_in_sync, shards)
        start = _starting_point(vocab, out_dir, model_config, config, init_dir, resume, say)
        model_config = start.config
        import keras

        keras.utils.set_random_seed(config.seed)  # the same first weights (and dropout) for the same seed
        with strategy.scope():
            model = build_from_config(model_config)
            if start.weights is not None:
                model.set_weights(start.weights)
            optimizer = make_optimizer(start.state.learning_rate, model)
            if start.slots is not None:
                for variable, value in zip(optimizer.variables, start.slots, strict=True):
                    variable.assign(value)
        broadcast_variables(strategy, [*model.weights, *optimizer.variables])
        state = _agreed_state(strategy, start.state, plan)
    if start.message:
        say(start.message)
    evaluator = build_from_config(model_config)  # a plain copy: validation and saving need no strategy
    spec = LookbackSpec.from_vocab(vocab, model_config.lookback) if model_config.lookback else None
    local_shards = shards_of_pipeline(plan.task_index, plan.worker_count, shards)
    pieces_of = {s: [data.train[i] for i in shard_pieces(len(data.train), s, shards)] for s in local_shards}
    features: dict[int, Any] = {}
    if spec is not None:
        started = time.monotonic()
        features = {s: sequence_features(pieces, spec) for s, pieces in pieces_of.items()}
        say(f"Lookback features of {sum(len(p) for p in pieces_of.values())} training pieces in "
            f"{time.monotonic() - started:.0f} s.")
    step = make_train_step(strategy, model, optimizer, config.batch_size, config.seq_len, config.clipnorm)
    writes = plan.is_chief
    session_start = time.monotonic()
    stop_reason = "epoch limit"
    while state.epoch < config.epochs:
        epoch = state.epoch + 1
        last_duration = state.history[-1]["seconds"] if state.history else state.last_seconds
        if config.time_budget_s and state.elapsed_s + last_duration > config.time_budget_s:
            stop_reason = "time budget"
            break
        try:
            outcome = _run_epoch(strategy, plan, step, optimizer, model, evaluator, vocab, data, config, state,
                                 epoch, shards, rows_per_shard, pieces_of, features, spec, progress,
                                 status_file if writes else None, say)
        except Exception as exc:
            if plan.kind == "multi_worker" and _is_peer_failure(exc):
                raise worker_failure(exc, epoch) from exc
            raise
        tokens, train_seconds, train_loss, (nll, accuracy, bits, seconds) = outcome
        state.epoch = epoch
        state.elapsed_s += seconds
        state.trained_tokens += tokens
        improved = nll < state.best_val - 1e-4
        state.history.append({"epoch": epoch, "train_loss": train_loss,
                              "val_nll_per_token": nll, "val_accuracy": accuracy,
                              "val_bits_per_note": bits, "learning_rate": state.learning_rate,
                              "transpose_probability": config.transpose_probability,
                              "seconds": seconds, "tokens_per_second": tokens / train_seconds})
        if improved:
            state.best_val, state.best_epoch, state.bad_epochs = nll, epoch, 0
            if writes:
                model_store.save_model(evaluator, vocab, out_dir, model_config)
        else:
            state.bad_epochs += 1
            state.learning_rate *= config.lr_decay
        state.learning_rate *= config.epoch_decay
        if writes:
            _save_checkpoint(model, optimizer, model_config, state, out_dir)
            plot_curve(state.history, out_dir / CURVE_FILE)
            write_status(status_file, state.history, config.epochs, state.elapsed_s, "training")
        say(f"Epoch {epoch}: train loss {train_loss:.4f}, validation "
            f"{nll:.4f} nats/token ({bits:.2f} bits/note, accuracy {accuracy:.3f}), {seconds:.0f} s"
            + ("  [best]" if improved else ""))
        if state.bad_epochs >= config.patience:
            stop_reason = "early stopping"
            break
    if state.best_epoch == 0:
        raise ModelError("Training stopped before finishing an epoch, so no model was saved.")
    if final_weights is not None:
        final_weights.extend(np.asarray(w) for w in model.get_weights())
    if not writes:
        say(f"Worker {plan.task_index} done ({stop_reason}); the chief wrote the model.")
        return {"training": {"epochs_run": state.epoch, "stopped_by": stop_reason, "history": state.history}}
    card = _card(vocab, model_config, config, data, state, out_dir, stop_reason,
                 time.monotonic() - session_start, init_dir, _distribution_card(plan, strategy, shards))
    model_store.write_card(out_dir, card)
    write_status(status_file, state.history, config.epochs, state.elapsed_s, f"finished ({stop_reason})")
    say(f"Done ({stop_reason}): best validation {state.best_val:.4f} nats/token at epoch {state.best_epoch}; "
        f"model in {out_dir}")
    return card


def _run_epoch(strategy: Any, plan: StrategyPlan, step: Any, optimizer: Any, model: Any, evaluator: Any,
               vocab: Vocabulary, data: TrainData, config: TrainConfig, state: _State, epoch: int, shards: int,
               rows_per_shard: int, pieces_of: dict[int, list[np.ndarray]], features: dict[int, Any],
               spec: LookbackSpec | None, progress: bool, status_file: Path | None, say: Callable[[str], None]
               ) -> tuple[int, float, float, tuple[float, float, float, float]]:
    """One epoch on this worker: its shards' windows, the agreed number of steps, then validation.

    Returns the global token count, training seconds, mean training loss and the chief's
    (validation nats/token, accuracy, bits/note, epoch seconds).
    """
    started = time.monotonic()
    parts = [shard_epoch(pieces, vocab, config.seq_len, config.seed, epoch, s, shards, rows_per_shard,
                         config.steps_per_epoch, config.transpose_range, config.transpose_probability,
                         features.get(s), spec) for s, pieces in pieces_of.items()]
    local = [min(part.count for part in parts) // rows_per_shard]
    steps = int(gather_per_worker(strategy, plan.worker_count, local).min())  # every worker runs as many steps
    if steps < 1:
        raise ModelError(f"Too little training music for a global batch of {config.batch_size} windows over "
                         f"{shards} data shards; lower --batch-size or --seq-len.")
    rows = input_rows(parts, steps, rows_per_shard)
    tokens = int(gather_per_worker(strategy, plan.worker_count, [rows.token_count]).sum())
    optimizer.learning_rate.assign(state.learning_rate)
    say(f"Epoch {epoch}/{config.epochs}: {steps} steps of {config.batch_size} windows, {tokens} tokens, "
        f"learning rate {state.learning_rate:.2e}")
    batches = iter(distributed_batches(strategy, rows, plan.task_index,
                                       config.batch_size // strategy.num_replicas_in_sync))
    bar = StepProgress(epoch, config.epochs, steps, status_file, state.elapsed_s, config.batch_size * config.seq_len,
                       enabled=progress)
    total_loss = 0.0
    for done in range(1, steps + 1):
        total_loss += float(step(next(batches)))
        bar.update(done, total_loss / done)
    train_seconds = time.monotonic() - started
    evaluator.set_weights(model.get_weights())
    val = evaluate_model(evaluator, vocab, data.valid) if plan.is_chief else None
    mine = [val.nll_per_token, val.accuracy, val.bits_per_note, time.monotonic() - started] if val else [0.0] * 4
    # The chief's figures decide for everyone, so every worker takes the same next step.
    chief = gather_per_worker(strategy, plan.worker_count, mine)[0]
    return tokens, train_seconds, total_loss / steps, (float(chief[0]), float(chief[1]), float(chief[2]),
                                                       float(chief[3]))


def _agreed_state(strategy: Any, state: _State, plan: StrategyPlan) -> _State:
    """Every worker continues from the chief's loop state (a worker's own disk may hold another)."""
    if plan.worker_count == 1:
        return state
    last = state.history[-1]["seconds"] if state.history else 0.0
    row = gather_per_worker(strategy, plan.worker_count, [
        state.epoch, state.best_val if math.isfinite(state.best_val) else 1e300, state.best_epoch,
        state.bad_epochs, state.learning_rate, state.elapsed_s, state.trained_tokens, last])[0]
    if plan.is_chief:
        return state
    best_val = float(row[1]) if row[1] < 1e300 else math.inf
    return _State(int(row[0]), best_val, int(row[2]), int(row[3]), float(row[4]), float(row[5]), int(row[6]),
                  [], last_seconds=float(row[7]))


def _is_peer_failure(exc: BaseException) -> bool:
    import tensorflow as tf

    return isinstance(exc, tf.errors.OpError)


def _distribution_card(plan: StrategyPlan, strategy: Any, shards: int) -> dict[str, Any]:
    return {"strategy": plan.describe(), "replicas": int(strategy.num_replicas_in_sync),
            "workers": plan.worker_count, "data_shards": shards,
            "global_batch": "training.batch_size windows per step, split evenly over the replicas"}


def _card(vocab: Vocabulary, model_config: ModelConfig, config: TrainConfig, data: TrainData, state: _State,
          out_dir: Path, stop_reason: str, session_seconds: float, init_dir: Path | None,
          distribution: dict[str, Any]) -> dict[str, Any]:
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
                     "fine_tuned_from": lineage(init_dir) if init_dir else None, "distribution": distribution,
                     "history": state.history},
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
    train_pieces, valid_pieces = corpus.split("train"), corpus.split("valid")
    if not train_pieces and len(corpus.split("test")) + len(valid_pieces) >= 2:
        # A handful of pieces can all hash outside "train": learn from the test pieces rather than refuse.
        train_pieces = corpus.split("test")
        description["small_folder"] = (f"no piece fell in the training split, so the {len(train_pieces)} test "
                                       "pieces are trained on (do not evaluate this model on its test split)")
        if not train_pieces:
            train_pieces, valid_pieces = valid_pieces[1:], valid_pieces[:1]
    data = ensure_validation(TrainData([p.tokens for p in train_pieces], [p.tokens for p in valid_pieces],
                                       description))
    return data, corpus
