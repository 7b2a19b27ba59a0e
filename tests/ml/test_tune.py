"""The tuner on a tiny random-weight lookback model: it moves a toy rule, keeps KL bounded, resumes, and
writes an ordinary model folder that the sampler loads (TensorFlow: a few seconds per test)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from musicassist.codec import default_vocabulary
from musicassist.core.generation import GenerationOptions, GenerationRequest
from musicassist.ml import tune_rewards
from musicassist.ml.realism import held_out_seeds
from musicassist.ml.tune_rollout import rollout
from tests.ml.test_sampler import seed_score
from tests.ml.tiny_music import tiny_corpus

TARGET_PITCH_CLASS = 7


def toy_term(segment, seed) -> float:
    """The share of the continuation's notes on one pitch class: a rule no random model follows."""
    del seed
    return float(np.mean(segment.pitch % 12 == TARGET_PITCH_CLASS)) if segment.pitch.size else 0.0


@pytest.fixture()
def toy_rule(monkeypatch):
    monkeypatch.setitem(tune_rewards.TERMS, "toy", toy_term)
    return {"toy": 1.0}


@pytest.fixture(scope="module")
def prior(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import keras

    from musicassist.ml import model_store
    from musicassist.ml.model import ModelConfig, build_from_config

    keras.utils.set_random_seed(11)
    vocab = default_vocabulary()
    config = ModelConfig(vocab_size=vocab.size, embed_dim=16, units=(24,), dropout=0.0, lookback=(1, 2))
    folder = tmp_path_factory.mktemp("models") / "tiny-prior"
    model_store.save_model(build_from_config(config), vocab, folder, config,
                           extra_config={"sampling": {"lookback_boost": 1.0}})
    return folder


@pytest.fixture(scope="module")
def seeds():
    pieces = [SimpleNamespace(id=f"p{i}", source="tiny", tokens=t) for i, t in enumerate(tiny_corpus(6, bars=9))]
    return held_out_seeds(pieces, default_vocabulary(), 6)


def settings(prior: Path, out: Path, weights: dict[str, float], **kwargs):
    from musicassist.ml.tune import TuneSettings

    base = {"kl": 0.05, "learning_rate": 3e-3, "seeds": 3, "per_seed": 4, "time_budget_minutes": 5.0,
            "max_iterations": 6, "checkpoint_minutes": 0.0}
    return TuneSettings(init=str(prior), out=out, weights=weights, **{**base, **kwargs})


def toy_share(sampler, seeds) -> float:
    trajectories = rollout(sampler, seeds, 4, rng_seed=99)
    return float(np.mean([toy_term(t.segment, t.seed) for t in trajectories]))


def test_the_tuner_moves_a_toy_rule_while_kl_stays_bounded(prior, seeds, toy_rule, tmp_path):
    from musicassist.ml.tune import Tuner, TuneState

    # A random tiny network has near-zero logits: a large step size moves it within a few iterations.
    tuner = Tuner(settings(prior, tmp_path / "tuned", toy_rule, learning_rate=0.05, kl=0.01))
    before = toy_share(tuner.sampler, seeds)
    state = TuneState()
    for iteration in range(6):
        state.history.append(tuner.step(seeds[:3], rng_seed=iteration))
    after = toy_share(tuner.sampler, seeds)
    assert after > before + 0.1, (before, after)
    kls = [h["kl"] for h in state.history]
    assert kls[0] == pytest.approx(0.0, abs=1e-6)  # the first batch is drawn from the prior itself
    assert 0.0 < max(kls) < 1.0


def test_tuning_writes_a_model_folder_that_resumes_and_samples(prior, seeds, toy_rule, tmp_path, monkeypatch):
    import json

    from musicassist.ml import model_store
    from musicassist.ml.sampler import load_sampler
    from musicassist.ml.tune import CHECKPOINT_DIR, STATE_FILE, load_state, tune

    monkeypatch.setenv("MUSICASSIST_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "tuned"
    tune(settings(prior, out, toy_rule, max_iterations=2), seeds=seeds[:4], log=lambda _m: None)
    assert load_state(out).iteration == 2
    first = model_store.load_weights_numpy(out)
    tune(settings(prior, out, toy_rule, max_iterations=3), resume=True, seeds=seeds[:4], log=lambda _m: None)
    state = load_state(out)
    assert state.iteration == 3 and [h["iteration"] for h in state.history] == [1, 2, 3]
    assert [s["from_iteration"] for s in state.sessions] == [1, 3]
    assert json.loads((out / CHECKPOINT_DIR / STATE_FILE).read_text())["settings"]["weights"] == toy_rule
    # The resumed run started from the checkpoint, not from the prior: one more small step away from it.
    prior_weights, resumed = model_store.load_weights_numpy(prior), model_store.load_weights_numpy(out)
    distance = lambda a, b: sum(float(np.abs(x - y).sum()) for k in a for x, y in zip(a[k], b[k]))  # noqa: E731
    assert distance(first, resumed) < distance(prior_weights, resumed)

    card = model_store.read_card(out)
    assert card["rl_tuning"]["rules"] == toy_rule and card["rl_tuning"]["iterations"] == 3
    assert card["rl_tuning"]["prior_weights_sha256"] == model_store.sha256_of(prior / model_store.WEIGHTS_FILE)
    assert (out / "tuning_curve.png").stat().st_size > 0 and "toy" in (out / "README.md").read_text()
    sampler = load_sampler(out)
    assert sampler.lookback_boost == 1.0  # the prior's sampling settings carry over
    request = GenerationRequest(1, seed_score(), GenerationOptions(length_bars=2, candidates=2, seed=3))
    assert len(sampler.generate(request, threading.Event(), lambda _: None, lambda _: None)) == 2


@pytest.mark.slow
def test_two_iterations_on_the_shipped_model_stay_close_to_it(seeds, tmp_path):
    from musicassist.ml.tune import Tuner

    weights = tune_rewards.resolve_weights(["folk melody"])
    tuner = Tuner(settings(Path("default"), tmp_path / "tuned", weights, learning_rate=2e-4, kl=0.3, seeds=2,
                           per_seed=2))
    figures = [tuner.step(seeds[:2], rng_seed=i) for i in range(2)]
    assert figures[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # the NumPy twin and Keras compute one distribution
    assert 0.0 < figures[1]["kl"] < 0.05
    assert all(np.isfinite(f["reward"]) and f["tokens"] > 0 for f in figures)
