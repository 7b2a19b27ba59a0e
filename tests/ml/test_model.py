"""The model definition, the model dir (save/load, numpy weights without TensorFlow) and the shipped model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from musicassist.codec import default_vocabulary
from musicassist.core.errors import ModelError
from musicassist.ml import model_store
from musicassist.ml.dataset import padded_batch
from musicassist.ml.model import ModelConfig, build_from_config, parameter_count

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()
CONFIG = ModelConfig(VOCAB.size, embed_dim=12, units=(16, 24), dropout=0.1)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[object, Path]:
    model = build_from_config(CONFIG)
    directory = tmp_path_factory.mktemp("model")
    model_store.save_model(model, VOCAB, directory, CONFIG)
    return model, directory


def test_layers_follow_the_sampler_contract() -> None:
    model = build_from_config(CONFIG)
    names = [layer.name for layer in model.layers]
    assert names == ["tokens", "embedding", "lstm_0", "dropout_0", "lstm_1", "dropout_1", "logits"]
    assert model.get_layer("logits").activation.__name__ == "linear"  # logits, no softmax
    kernel, recurrent, bias = model.get_layer("lstm_1").get_weights()
    assert kernel.shape == (16, 4 * 24) and recurrent.shape == (24, 4 * 24) and bias.shape == (4 * 24,)
    assert model.count_params() == parameter_count(CONFIG)


def test_save_load_round_trip_gives_identical_predictions(saved) -> None:
    model, directory = saved
    tokens = padded_batch(tiny_corpus(3, seed=3, bars=4))
    loaded, vocab, card = model_store.load_model(directory)
    assert vocab.names == VOCAB.names
    assert card == {}  # no card written yet
    np.testing.assert_array_equal(model.predict_on_batch(tokens), loaded.predict_on_batch(tokens))


def test_numpy_weights_match_keras_and_drive_the_numpy_lstm(saved) -> None:
    from musicassist.ml.lstm_numpy import LstmWeights, NumpyLstm

    model, directory = saved
    arrays = model_store.load_weights_numpy(directory)
    assert sorted(arrays) == ["embedding", "logits", "lstm_0", "lstm_1"]
    for name, values in arrays.items():
        for mine, theirs in zip(values, model.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)
    sequence = tiny_corpus(1, seed=4, bars=3)[0]
    numpy_logits, _ = NumpyLstm(LstmWeights.from_arrays(arrays)).run_sequence(sequence)
    keras_logits = model.predict_on_batch(sequence[None, :])[0]
    np.testing.assert_allclose(numpy_logits, keras_logits, atol=1e-4)


def test_numpy_weights_load_without_tensorflow(saved) -> None:
    _model, directory = saved
    code = ("import sys; from musicassist.ml.model_store import load_weights_numpy; "
            f"w = load_weights_numpy({str(directory)!r}); "
            "print(len(w), 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["4", "False", "False"]


def test_missing_or_mismatched_models_raise_model_errors(saved, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="No trained model"):
        model_store.load_model(tmp_path)
    _model, directory = saved
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / model_store.WEIGHTS_FILE).write_bytes((directory / model_store.WEIGHTS_FILE).read_bytes())
    config = json.loads((directory / model_store.CONFIG_FILE).read_text())
    config["codec_version"] = "remi-old"
    (broken / model_store.CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ModelError, match="codec"):
        model_store.load_model(broken)


def test_card_and_readme_are_written_together(tmp_path: Path) -> None:
    card = {"name": "x", "codec_version": "v", "vocab_size": 3, "model": {"parameters": 10},
            "metrics": {"test": {"nll_per_token": 1.0, "bits_per_note": 2.0, "accuracy": 0.5,
                                 "ngram_best_order": 5, "ngram_best_nll_per_token": 1.3,
                                 "improvement_over_ngram": 0.23}}}
    model_store.write_card(tmp_path, card)
    assert model_store.read_card(tmp_path) == card
    readme = (tmp_path / model_store.README_FILE).read_text()
    assert "23.0% lower" in readme and "order 5" in readme


@pytest.mark.slow
def test_shipped_default_model_loads_and_predicts_a_distribution() -> None:
    directory = model_store.default_model_dir()
    model, vocab, card = model_store.load_model(directory)
    assert card["weights_sha256"] == model_store.sha256_of(directory / model_store.WEIGHTS_FILE)
    assert (directory / model_store.WEIGHTS_FILE).stat().st_size <= 30e6
    assert card["metrics"]["test"]["improvement_over_ngram"] >= 0.10
    from musicassist.ml.evaluate import model_inputs

    sequence = tiny_corpus(1, seed=5, bars=4)[0]
    logits = model.predict_on_batch(model_inputs(model, sequence[None, :], vocab))[0]
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    assert logits.shape == (len(sequence), vocab.size)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-5)
    # A trained model has learned the grammar: after a PITCH the likeliest token is a DUR.
    pitch_positions = np.flatnonzero(np.isin(sequence, vocab.pitch_ids))
    assert np.all(np.isin(logits[pitch_positions].argmax(axis=-1), vocab.dur_ids))


def test_saved_weights_leave_the_optimizer_state_out(tmp_path: Path) -> None:
    import h5py
    import keras

    model = build_from_config(CONFIG)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    tokens = padded_batch(tiny_corpus(4, seed=8, bars=4))
    model.fit(tokens[:, :-1], tokens[:, 1:], epochs=1, verbose=0)  # Adam now holds moments for every weight
    model_store.save_model(model, VOCAB, tmp_path, CONFIG)
    with h5py.File(tmp_path / model_store.WEIGHTS_FILE, "r") as handle:
        assert "optimizer" not in handle and "layers" in handle
    loaded, _vocab, _card = model_store.load_model(tmp_path)
    np.testing.assert_array_equal(model.predict_on_batch(tokens), loaded.predict_on_batch(tokens))


def test_parameter_count_of_a_lookback_model_matches_keras() -> None:
    from musicassist.ml.model import ModelConfig

    config = ModelConfig(VOCAB.size, embed_dim=16, units=(24, 20), dropout=0.0, lookback=(1, 2, 4))
    assert build_from_config(config).count_params() == parameter_count(config)
