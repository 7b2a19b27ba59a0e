"""``musicassist tune``: fine-tune a model towards music-theory rules without forgetting what it learned.

Method (Jaques et al. 2017's KL-controlled fine-tuning, on-policy variant):

1. **Rollouts** with the NumPy twin through the sampler's own step loop
   (``tune_rollout``), from training-split seeds with the window's settings:
   ``per_seed`` continuations of each of ``seeds`` seeds per iteration.
2. **Reward** of each continuation = weighted rule terms (``tune_rewards``);
   **advantage** = reward minus the mean of the continuations of the same seed
   (a baseline per seed, no value network), scaled by the batch's spread.
3. **Policy gradient with an exact KL penalty**: the Keras model is run
   teacher-forced over seed + continuation; its logits go through the same
   temperature, bias and allowed set the rollout recorded, so the
   log-probabilities are those of the distribution actually sampled; the loss
   is ``-mean(advantage * log pi(token)) + kl * mean_t KL(pi_t || prior_t)``,
   the KL summed exactly over the vocabulary against the frozen prior's logits
   under the same masks.
4. After each Adam step the NumPy twin is rebuilt from the Keras weights.

Why this method on 2 CPU cores: Q-learning variants (the paper's Psi/G-learning)
need a target network and many more updates per sample; here one rollout batch
costs about a second in NumPy, and one gradient step over ~64 sequences of ~250
tokens a few seconds in TensorFlow, so an hour is a few hundred on-policy steps.
The exact per-token KL (not a sampled estimate) keeps the tuned model close to
the prior with low variance.

Checkpoints (weights + history) are written every ``checkpoint_minutes`` into
``OUT/checkpoint``; ``--resume`` continues from there. TensorFlow is imported inside
the functions.
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

from musicassist.codec import Vocabulary
from musicassist.codec.vocab import PAD
from musicassist.core.errors import ModelError, OptionError

from . import model_store, rules, tune_rewards
from .realism import HeldOutSeed
from .tune_rollout import Trajectory, rollout

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.json"
POLICY_WEIGHTS = "policy.weights.h5"


@dataclass
class TuneSettings:
    init: str
    out: Path
    weights: dict[str, float]
    kl: float = 0.5
    learning_rate: float = 2e-5
    seeds: int = 16  # seeds per iteration
    per_seed: int = 4  # continuations per seed
    time_budget_minutes: float = 55.0
    max_iterations: int = 100000
    checkpoint_minutes: float = 4.0
    train_seeds: int = 3000  # size of the pool of training-split seeds drawn from
    sources: list[str] = field(default_factory=lambda: ["bundled"])
    seed: int = 20261202


@dataclass
class TuneState:
    iteration: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    # One entry per run or resume: from which iteration, with which weights, KL and learning rate
    # (a resume may change them; Adam's moments restart with every session).
    sessions: list[dict[str, Any]] = field(default_factory=list)


def rule_rates(trajectories: Sequence[Trajectory], names: Sequence[str]) -> dict[str, float]:
    """Mean of each named rule over the batch (undefined values left out)."""
    out: dict[str, float] = {}
    for name in names:
        rule = {**rules.RULES, **rules.PART_WRITING, **rules.DEVELOPMENT}[name]
        values = np.array([rule(t.segment, t.seed) for t in trajectories], dtype=float)
        out[name] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return out


def advantages(rewards: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Reward minus its seed group's mean, divided by the batch's standard deviation of that difference."""
    centred = rewards.astype(float).copy()
    for group in np.unique(groups):
        inside = groups == group
        centred[inside] -= rewards[inside].mean()
    spread = centred.std()
    return centred / spread if spread > 1e-8 else centred * 0.0


@dataclass
class Batch:
    """Teacher-forcing arrays for the Keras model: which logits predicted which drawn token, and how."""

    block: np.ndarray  # (rows, T) seed + continuation minus its last token, PAD after the end
    index: np.ndarray  # (N, 2) (row, time) of the logits that predicted each drawn token
    targets: np.ndarray  # (N,)
    allowed: np.ndarray  # (N, V) bool
    bias: np.ndarray  # (N, V) float32
    row_of: np.ndarray  # (N,) which trajectory each drawn token belongs to


def make_batch(trajectories: Sequence[Trajectory]) -> Batch:
    inputs = [np.concatenate([t.prefix, t.actions[:-1]]) for t in trajectories]
    width = -(-max(len(s) for s in inputs) // 32) * 32  # few distinct shapes
    block = np.full((len(inputs), width), PAD, dtype=np.int32)
    index, row_of = [], []
    for row, (seq, t) in enumerate(zip(inputs, trajectories, strict=True)):
        block[row, :len(seq)] = seq
        times = np.arange(len(t.prefix) - 1, len(t.prefix) - 1 + len(t.actions))
        index.append(np.stack([np.full_like(times, row), times], axis=1))
        row_of.append(np.full(len(t.actions), row))
    return Batch(block, np.concatenate(index).astype(np.int32), np.concatenate([t.actions for t in trajectories]),
                 np.concatenate([t.allowed for t in trajectories]),
                 np.concatenate([t.bias for t in trajectories]).astype(np.float32), np.concatenate(row_of))


def masked_log_probs(logits: Any, index: Any, allowed: Any, bias: Any, temperature: float) -> Any:
    """log pi over the vocabulary at each drawn token, as the rollout's distribution (TF or NumPy logits)."""
    import tensorflow as tf

    picked = tf.gather_nd(logits, index)
    scaled = picked * (1.0 / temperature) + bias
    scaled = tf.where(allowed, scaled, tf.constant(-1e9, dtype=scaled.dtype))
    return tf.nn.log_softmax(scaled, axis=-1)


def compiled_steps(policy: Any, prior: Any, optimizer: Any, temperature: float) -> tuple[Any, Any]:
    """(prior log-probs, one policy-gradient step) as graph functions: the LSTMs run many times faster in a
    graph than eagerly, and shapes are padded to multiples of 32 so retracing stays rare."""
    import tensorflow as tf

    optimizer.build(policy.trainable_variables)

    @tf.function(reduce_retracing=True)
    def prior_log_probs(inputs: Any, index: Any, allowed: Any, bias: Any) -> Any:
        return masked_log_probs(prior(list(inputs), training=False), index, allowed, bias, temperature)

    @tf.function(reduce_retracing=True)
    def train_step(inputs: Any, index: Any, allowed: Any, bias: Any, targets: Any, prior_logp: Any,
                   token_adv: Any, kl: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            logp = masked_log_probs(policy(list(inputs), training=False), index, allowed, bias, temperature)
            chosen = tf.gather(logp, targets[:, None], batch_dims=1)[:, 0]
            kl_tokens = tf.reduce_sum(tf.where(allowed, tf.exp(logp) * (logp - prior_logp), 0.0), axis=-1)
            pg_loss = -tf.reduce_mean(token_adv * chosen)
            kl_loss = tf.reduce_mean(kl_tokens)
            loss = pg_loss + kl * kl_loss
        variables = policy.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return pg_loss, kl_loss

    return prior_log_probs, train_step


class Tuner:
    """The prior (frozen), the policy (Keras + its NumPy twin in a Sampler) and the optimizer."""

    def __init__(self, settings: TuneSettings, log: Callable[[str], None] = lambda _m: None) -> None:
        import keras

        from .evaluate import model_inputs
        from .model import build_from_config, configure_threads
        from .sampler import load_sampler

        self.settings = settings
        self.log = log
        self._model_inputs = model_inputs
        configure_threads()
        self.prior_dir = model_store.resolve_model_dir(settings.init)
        self.prior, self.vocab, self.prior_card = model_store.load_model(self.prior_dir)
        self.config = model_store.model_config_of(self.prior_dir)
        self.policy = build_from_config(self.config)
        self.policy.set_weights(self.prior.get_weights())
        self.prior.trainable = False
        self.sampler = load_sampler(self.prior_dir)
        self.sampler.training_index = None  # the corpus-copy check is not part of the reward
        self.optimizer = keras.optimizers.Adam(settings.learning_rate, clipnorm=1.0)
        self.temperature = 1.0  # the window's temperature (GenerationOptions default)
        self._prior_log_probs, self._train_step = compiled_steps(self.policy, self.prior, self.optimizer,
                                                                 self.temperature)

    def load_policy_weights(self, path: Path) -> None:
        self.policy.load_weights(str(path))
        self._refresh_twin()

    def _refresh_twin(self) -> None:
        from .lstm_numpy import NumpyLstm

        self.sampler.network = NumpyLstm.from_keras(self.policy, self.vocab)

    def step(self, seeds: Sequence[HeldOutSeed], rng_seed: int) -> dict[str, float]:
        """One rollout batch, one gradient step; the iteration's figures."""
        import tensorflow as tf

        settings = self.settings
        began = time.perf_counter()
        trajectories = rollout(self.sampler, seeds, settings.per_seed, rng_seed)
        rolled = time.perf_counter()
        rewards = np.array([tune_rewards.reward(t.segment, t.seed, settings.weights) for t in trajectories])
        groups = np.array([t.group for t in trajectories])
        adv = advantages(rewards, groups)
        batch = make_batch(trajectories)
        given = self._model_inputs(self.policy, batch.block, self.vocab)
        inputs = tuple(given) if isinstance(given, list) else (given,)
        arrays = (tf.constant(batch.index), tf.constant(batch.allowed), tf.constant(batch.bias))
        prior_logp = self._prior_log_probs(inputs, *arrays)
        pg_loss, kl_loss = self._train_step(inputs, *arrays, tf.constant(batch.targets.astype(np.int32)), prior_logp,
                                            tf.constant(adv[batch.row_of], dtype=tf.float32),
                                            tf.constant(settings.kl, dtype=tf.float32))
        self._refresh_twin()
        figures = {"reward": float(rewards.mean()), "kl": float(kl_loss), "pg_loss": float(pg_loss),
                   "tokens": float(len(batch.targets)), "rollout_s": rolled - began,
                   "seconds": time.perf_counter() - began}
        names = [tune_rewards.TERM_RULE[name] for name in settings.weights if name in tune_rewards.TERM_RULE]
        figures.update(rule_rates(trajectories, names))
        return figures


def training_seeds(settings: TuneSettings, vocab: Vocabulary) -> list[HeldOutSeed]:
    from .realism import held_out_pieces, held_out_seeds

    pieces = held_out_pieces(settings.sources, split="train")
    seeds = held_out_seeds(pieces, vocab, settings.train_seeds)
    if len(seeds) < settings.seeds:
        raise OptionError(f"Only {len(seeds)} training pieces of 8+ bars: too few to tune on.")
    return seeds


def _save_state(out: Path, tuner: Tuner, state: TuneState, settings: TuneSettings) -> None:
    folder = out / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{state.iteration}.weights.h5"
    tuner.policy.save_weights(str(tmp))
    tmp.replace(folder / POLICY_WEIGHTS)
    model_store.atomic_write_json(folder / STATE_FILE, {"state": asdict(state),
                                                        "settings": _settings_json(settings)})


def _settings_json(settings: TuneSettings) -> dict[str, Any]:
    data = asdict(settings)
    data["out"] = str(settings.out)
    return data


def load_state(out: Path) -> TuneState:
    path = out / CHECKPOINT_DIR / STATE_FILE
    if not path.is_file() or not (out / CHECKPOINT_DIR / POLICY_WEIGHTS).is_file():
        raise ModelError(f"No tuning checkpoint to resume in {out}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["state"]
        return TuneState(int(data["iteration"]), float(data["seconds"]), list(data["history"]),
                         list(data.get("sessions", [])))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"The tuning checkpoint in {out} is damaged.") from exc


def progress_line(state: TuneState, figures: dict[str, float], budget_s: float, spent_s: float) -> str:
    rates = " ".join(f"{k}={v:.3f}" for k, v in figures.items()
                     if k not in ("reward", "kl", "pg_loss", "tokens", "rollout_s", "seconds") and not math.isnan(v))
    done = min(1.0, spent_s / budget_s) if budget_s > 0 else 1.0
    bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
    return (f"[{bar}] it {state.iteration} {spent_s / 60:.1f}/{budget_s / 60:.0f} min  reward {figures['reward']:+.3f} "
            f"KL {figures['kl']:.4f}  {rates}  ({figures['seconds']:.1f} s)")


def tune(settings: TuneSettings, resume: bool = False, log: Callable[[str], None] = print,
         seeds: Sequence[HeldOutSeed] | None = None) -> Path:
    """Run the tuning loop within the time budget, then write the model folder; returns it."""
    from .tune_report import write_tuned_model

    tuner = Tuner(settings, log)
    state = TuneState()
    if resume:
        state = load_state(settings.out)
        tuner.load_policy_weights(settings.out / CHECKPOINT_DIR / POLICY_WEIGHTS)
        log(f"Resuming at iteration {state.iteration} ({state.seconds / 60:.1f} min so far).")
    state.sessions.append({"from_iteration": state.iteration + 1, "weights": dict(settings.weights),
                           "kl": settings.kl, "learning_rate": settings.learning_rate})
    pool = list(seeds) if seeds is not None else training_seeds(settings, tuner.vocab)
    rng = np.random.default_rng(settings.seed + state.iteration)
    budget_s = settings.time_budget_minutes * 60
    started = time.perf_counter()
    last_checkpoint = started
    session_start = state.seconds
    while state.iteration < settings.max_iterations:
        spent = time.perf_counter() - started
        if spent >= budget_s:
            break
        chosen = rng.choice(len(pool), size=min(settings.seeds, len(pool)), replace=False)
        figures = tuner.step([pool[int(i)] for i in chosen], settings.seed + 1009 * state.iteration)
        state.iteration += 1
        state.seconds = session_start + time.perf_counter() - started
        state.history.append({"iteration": state.iteration, **figures})
        log(progress_line(state, figures, budget_s, time.perf_counter() - started))
        if time.perf_counter() - last_checkpoint >= settings.checkpoint_minutes * 60:
            _save_state(settings.out, tuner, state, settings)
            last_checkpoint = time.perf_counter()
    _save_state(settings.out, tuner, state, settings)
    return write_tuned_model(tuner, state, settings)


def main_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
