"""``load_sampler`` on a saved model folder: same output as the in-memory Keras model, no TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from musicassist.codec import default_vocabulary
from musicassist.core.errors import ModelError
from musicassist.core.generation import GenerationOptions, GenerationRequest
from musicassist.ml import copy_check
from musicassist.ml.sampler import Sampler, load_sampler
from tests.ml.test_sampler import seed_score

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory):
    import keras

    from musicassist.ml import model_store
    from musicassist.ml.model import ModelConfig, build_from_config

    keras.utils.set_random_seed(5)
    vocab = default_vocabulary()
    config = ModelConfig(vocab_size=vocab.size, embed_dim=16, units=(24, 24), dropout=0.1)
    model = build_from_config(config)
    folder = tmp_path_factory.mktemp("models") / "small"
    model_store.save_model(model, vocab, folder, config)
    return model, folder


def candidates(sampler: Sampler) -> list:
    request = GenerationRequest(1, seed_score(), GenerationOptions(length_bars=2, candidates=3, seed=21))
    return sampler.generate(request, threading.Event(), lambda _: None, lambda _: None)


def test_loaded_folder_samples_exactly_like_the_keras_model_it_came_from(saved, monkeypatch, tmp_path):
    monkeypatch.setenv("MUSICASSIST_CACHE", str(tmp_path))
    model, folder = saved
    from_folder = load_sampler(folder)
    assert from_folder.name == "small" and from_folder.load_seconds > 0
    assert candidates(from_folder) == candidates(Sampler.from_keras(model, default_vocabulary()))


def test_loading_and_sampling_never_import_tensorflow(saved, tmp_path):
    _, folder = saved
    script = (
        "import sys, threading\n"
        "from musicassist.ml.sampler import load_sampler\n"
        "from musicassist.core.generation import GenerationRequest, GenerationOptions\n"
        "from tests.ml.test_sampler import seed_score\n"
        f"s = load_sampler(__import__('pathlib').Path({str(folder)!r}))\n"
        "s.generate(GenerationRequest(1, seed_score(), GenerationOptions(length_bars=1, candidates=2, seed=1)),"
        " threading.Event(), lambda _: None, lambda _: None)\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                            env={"MUSICASSIST_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=True)
    assert json.loads(result.stdout.strip().replace("'", '"')) == []


def test_a_saved_training_index_is_picked_up_with_the_model(saved, monkeypatch, tmp_path):
    _, folder = saved
    cache = tmp_path / "cache"
    monkeypatch.setenv("MUSICASSIST_CACHE", str(cache))
    copy_check.build_training_index(folder, cache, default_vocabulary(), [np.array([1, 30, 40, 2])])
    sampler = load_sampler(folder)
    assert sampler.training_index is not None and sampler.training_index.token_count == 5


def test_a_folder_without_a_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError):
        load_sampler(tmp_path)
