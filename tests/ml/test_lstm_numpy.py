"""The NumPy LSTM against the Keras model it is built from: same next-token probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from musicassist.ml.lstm_numpy import LstmWeights, NumpyLstm, limit_blas_threads, log_softmax, softmax

VOCAB = 60


@pytest.fixture(scope="module")
def keras_model():
    """A small model of the real architecture with weights scaled up so the gates saturate sometimes."""
    import keras

    from musicassist.ml.model import build_model

    keras.utils.set_random_seed(7)
    model = build_model(VOCAB, 12, (24, 20), 0.3)
    rng = np.random.default_rng(7)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([w * 3.0 + rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights])
    return model


@pytest.fixture(scope="module")
def tokens() -> np.ndarray:
    return np.random.default_rng(1).integers(0, VOCAB, size=70)


def test_probabilities_match_keras_within_1e4(keras_model, tokens):
    expected = softmax(np.asarray(keras_model.predict(tokens[None, :], verbose=0)[0], dtype=np.float64))
    logits, _ = NumpyLstm(LstmWeights.from_keras(keras_model)).run_sequence(tokens)
    assert expected.max(axis=1).mean() > 5 / VOCAB  # peaked distributions, not near-uniform
    np.testing.assert_allclose(softmax(logits.astype(np.float64)), expected, atol=1e-4)


def test_batched_steps_match_the_keras_model_row_by_row(keras_model):
    """Different sequences in one batch: each row equals Keras on that row alone (state carried)."""
    rng = np.random.default_rng(2)
    batch = rng.integers(0, VOCAB, size=(3, 40))
    network = NumpyLstm(LstmWeights.from_keras(keras_model))
    state = network.initial_state(3)
    for t in range(batch.shape[1]):
        logits, state = network.step(batch[:, t], state)
    expected = softmax(np.asarray(keras_model.predict(batch, verbose=0)[:, -1], dtype=np.float64))
    np.testing.assert_allclose(softmax(logits.astype(np.float64)), expected, atol=1e-4)


def test_prefix_then_steps_equals_one_long_sequence(keras_model, tokens):
    network = NumpyLstm(LstmWeights.from_keras(keras_model))
    whole, _ = network.run_sequence(tokens)
    _, state = network.run_sequence(tokens[:50])
    state = state.select(np.zeros(4, dtype=np.intp))  # fan the prefix out to four rows
    for token in tokens[50:]:
        logits, state = network.step(np.full(4, token), state)
    for row in logits:
        np.testing.assert_allclose(row, whole[-1], atol=1e-5)


def test_weights_read_from_a_saved_model_dir_without_tensorflow_match(keras_model, tokens, tmp_path: Path):
    from musicassist.codec import Vocabulary
    from musicassist.ml import model_store
    from musicassist.ml.model import ModelConfig

    # model_store checks shapes against a vocabulary only at load_model; the numpy path reads arrays.
    config = ModelConfig(vocab_size=VOCAB, embed_dim=12, units=(24, 20), dropout=0.3)
    model_store.save_model(keras_model, Vocabulary(), tmp_path / "m", config)
    from_file = NumpyLstm(LstmWeights.from_arrays(model_store.load_weights_numpy(tmp_path / "m")))
    direct = NumpyLstm(LstmWeights.from_keras(keras_model))
    np.testing.assert_array_equal(from_file.run_sequence(tokens)[0], direct.run_sequence(tokens)[0])


def test_from_arrays_accepts_slash_separated_names():
    rng = np.random.default_rng(0)
    arrays = {
        "embedding/embeddings": rng.normal(size=(5, 3)),
        "lstm_0/kernel": rng.normal(size=(3, 8)), "lstm_0/recurrent_kernel": rng.normal(size=(2, 8)),
        "lstm_0/bias": rng.normal(size=8),
        "logits/kernel": rng.normal(size=(2, 5)), "logits/bias": rng.normal(size=5),
    }
    weights = LstmWeights.from_arrays(arrays)
    assert weights.vocab_size == 5 and [layer.units for layer in weights.layers] == [2]


def test_log_softmax_handles_masked_entries():
    logits = np.array([[0.0, -np.inf, 1000.0], [1.0, 1.0, -np.inf]])
    out = log_softmax(logits)
    assert out[0, 1] == -np.inf and out[0, 2] == pytest.approx(0.0)
    np.testing.assert_allclose(np.exp(out[1, :2]), [0.5, 0.5])


def test_blas_thread_limit_reaches_numpys_openblas():
    import ctypes

    assert limit_blas_threads(1)
    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    counts = []
    for path in paths:  # NumPy's own OpenBLAS and any other loaded (SciPy's) are all limited
        library = ctypes.CDLL(path)
        getter = next((getattr(library, name) for name in ("scipy_openblas_get_num_threads64_",
                                                           "scipy_openblas_get_num_threads",
                                                           "openblas_get_num_threads") if hasattr(library, name)),
                      None)
        if getter is not None:
            counts.append(getter())
    assert counts and all(count == 1 for count in counts)
