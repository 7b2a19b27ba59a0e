"""The tuned model folder: weights (no optimizer state), config, card, README and the tuning curve.

A tuned model is an ordinary model folder (the sampler, ``generate --model`` and
the window load it like any other); its ``config.json`` keeps the prior's
sampling settings, and its card records the prior's weights hash, the rules and
weights, the KL coefficient, the method and the before/after figures.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import model_store, tune_rewards

if TYPE_CHECKING:
    from .tune import Tuner, TuneSettings, TuneState

CURVE_FILE = "tuning_curve.png"
METHOD = ("on-policy policy gradient with an exact per-token KL penalty to the frozen prior (KL-controlled "
          "fine-tuning as in Jaques et al. 2017, without Q-learning): rollouts with the NumPy sampler and the "
          "window's settings from training-split seeds, several continuations per seed, advantage = reward minus "
          "the seed's mean, log-probabilities teacher-forced through Keras under the masks, biases and top-p "
          "nucleus recorded at sampling time")
WHY = ("on 2 CPU cores one rollout batch costs about a second in NumPy and one gradient step a few seconds in "
       "TensorFlow, so an hour gives a few hundred on-policy updates; a per-seed baseline needs no value network, "
       "and the exact KL over the vocabulary (not a sampled estimate) keeps the model near the prior with low "
       "variance, which Psi/G-learning would need a target network and far more updates to match")


def smoothed(values: list[float], width: int = 10) -> np.ndarray:
    array = np.array(values, dtype=float)
    if array.size < width:
        return array
    kernel = np.ones(width) / width
    return np.convolve(np.nan_to_num(array, nan=float(np.nanmean(array))), kernel, mode="valid")


def plot_curve(history: list[dict[str, float]], rule_names: list[str], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    panels = ((axes[0], "reward", "reward (mean per continuation)"), (axes[1], "kl", "KL(tuned || prior) per token"))
    for ax, key, title in panels:
        values = [h[key] for h in history]
        ax.plot(range(1, len(values) + 1), values, alpha=0.3)
        line = smoothed(values)
        ax.plot(np.arange(len(line)) + (len(values) - len(line)) + 1, line)
        ax.set_title(title)
        ax.set_xlabel("iteration")
    for name in rule_names:
        line = smoothed([h.get(name, math.nan) for h in history])
        axes[2].plot(np.arange(len(line)) + 1, line, label=name)
    axes[2].set_title("rule rates (moving mean of 10 iterations)")
    axes[2].legend(fontsize=7)
    axes[2].set_xlabel("iteration")
    fig.tight_layout()
    tmp = path.with_name(f".tmp-{path.name}")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)
    return path


def write_tuned_model(tuner: Tuner, state: TuneState, settings: TuneSettings) -> Path:
    out = settings.out
    prior_config = model_store.read_config(tuner.prior_dir)
    tuning = {"prior": tuner.prior_dir.name, "prior_weights_sha256": model_store.sha256_of(
        tuner.prior_dir / model_store.WEIGHTS_FILE), "rules": dict(settings.weights), "kl": settings.kl}
    model_store.save_model(tuner.policy, tuner.vocab, out, tuner.config,
                           extra_config={"sampling": prior_config.get("sampling", {}), "tuning": tuning})
    rule_names = [tune_rewards.TERM_RULE[n] for n in settings.weights if n in tune_rewards.TERM_RULE]
    curve = plot_curve(state.history, rule_names, out / CURVE_FILE) if state.history else None
    card = model_store.read_card(out) if (out / model_store.CARD_FILE).is_file() else {}
    weights_path = out / model_store.WEIGHTS_FILE
    first, last = state.history[:10], state.history[-10:]
    card.update({
        "name": out.name,
        "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "codec_version": tuner.vocab.version,
        "vocab_size": tuner.vocab.size,
        "model": {**tuner.config.to_json(), "architecture": tuner.prior_card.get("model", {}).get("architecture")},
        "weights_file": model_store.WEIGHTS_FILE,
        "weights_sha256": model_store.sha256_of(weights_path),
        "weights_megabytes": round(weights_path.stat().st_size / 1e6, 2),
        "rl_tuning": {
            **tuning, "method": METHOD, "why": WHY, "learning_rate": settings.learning_rate,
            "seeds_per_iteration": settings.seeds, "continuations_per_seed": settings.per_seed,
            "iterations": state.iteration, "seconds": round(state.seconds, 1),
            "time_budget_minutes": settings.time_budget_minutes, "curve": CURVE_FILE if curve else None,
            "first_10_iterations": _means(first), "last_10_iterations": _means(last), "sessions": state.sessions,
        },
    })
    write_card(out, card)
    return out


def _means(history: list[dict[str, float]]) -> dict[str, float]:
    keys = {k for h in history for k in h if k != "iteration"}
    return {k: float(np.nanmean([h.get(k, math.nan) for h in history])) for k in sorted(keys)} if history else {}


def write_card(out: Path, card: dict[str, Any]) -> None:
    from .tune_card import render_tuned_readme

    model_store.atomic_write_json(out / model_store.CARD_FILE, card)
    model_store.atomic_write_text(out / model_store.README_FILE, render_tuned_readme(card))
