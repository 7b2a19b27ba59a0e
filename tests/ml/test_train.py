"""Training on a tiny corpus: the loss falls, the out dir is a loadable model with a card, resume continues."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from musicassist.codec import default_vocabulary
from musicassist.core.errors import ModelError
from musicassist.ml import model_store
from musicassist.ml.model import ModelConfig
from musicassist.ml.train import CHECKPOINT_DIR, CURVE_FILE, TrainConfig, TrainData, ensure_validation, train

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()
MODEL = ModelConfig(VOCAB.size, embed_dim=16, units=(48,), dropout=0.0)


def _data() -> TrainData:
    return TrainData(tiny_corpus(40, seed=10), tiny_corpus(6, seed=11), {"sources": ["tiny"]})


def _config(epochs: int) -> TrainConfig:
    return TrainConfig(seq_len=48, batch_size=16, learning_rate=1e-2, epochs=epochs, patience=5)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("run") / "tiny"
    card = train(_data(), VOCAB, out, MODEL, _config(3), progress=False, log=lambda _m: None)
    return out, card


def test_validation_loss_falls_well_below_the_uniform_guess(trained) -> None:
    _out, card = trained
    history = card["training"]["history"]
    assert len(history) == 3
    assert history[-1]["val_nll_per_token"] < history[0]["val_nll_per_token"]
    assert card["metrics"]["valid"]["nll_per_token"] < 0.5 * np.log(VOCAB.size)


def test_out_dir_holds_a_loadable_model_with_card_curve_and_hash(trained) -> None:
    out, card = trained
    model, vocab, saved_card = model_store.load_model(out)
    assert saved_card == json.loads(json.dumps(card))
    assert card["weights_sha256"] == model_store.sha256_of(out / model_store.WEIGHTS_FILE)
    assert card["vocab_size"] == vocab.size and card["codec_version"] == vocab.version
    assert card["model"]["units"] == [48] and card["data"]["sources"] == ["tiny"]
    assert (out / CURVE_FILE).stat().st_size > 1000
    assert (out / model_store.README_FILE).read_text().startswith("# Model `tiny`")
    assert model.get_layer("lstm_0").units == 48


def test_resume_continues_the_epoch_count(trained, tmp_path: Path) -> None:
    out, _card = trained
    resumed_dir = tmp_path / "resumed"
    resumed_dir.mkdir()
    for item in (out / CHECKPOINT_DIR).iterdir():
        (resumed_dir / CHECKPOINT_DIR).mkdir(exist_ok=True)
        (resumed_dir / CHECKPOINT_DIR / item.name).write_bytes(item.read_bytes())
    messages: list[str] = []
    card = train(_data(), VOCAB, resumed_dir, MODEL, _config(5), resume=True, progress=False,
                 log=messages.append)
    epochs = [h["epoch"] for h in card["training"]["history"]]
    assert epochs == [1, 2, 3, 4, 5]
    assert any("Resuming after epoch 3" in m for m in messages)
    state = json.loads((resumed_dir / CHECKPOINT_DIR / "state.json").read_text())
    assert state["epoch"] == 5


def test_fine_tuning_starts_from_the_given_model(trained, tmp_path: Path) -> None:
    out, card = trained
    tuned = train(_data(), VOCAB, tmp_path / "tuned", MODEL, _config(1), init_dir=out, progress=False,
                  log=lambda _m: None)
    # Starting from trained weights, one epoch is already as good as three from scratch (roughly).
    assert tuned["metrics"]["valid"]["nll_per_token"] < card["training"]["history"][0]["val_nll_per_token"]
    origin = tuned["training"]["fine_tuned_from"]
    assert origin["model"] == str(out) and origin["weights_sha256"] == card["weights_sha256"]
    assert origin["epochs_run"] == card["training"]["epochs_run"]


def test_model_files_get_ordinary_permissions(trained) -> None:
    # Written atomically, but not 0600 like a bare temporary file: a model folder may be shared.
    out, _card = trained
    umask = os.umask(0)
    os.umask(umask)
    for name in (model_store.WEIGHTS_FILE, model_store.CONFIG_FILE, model_store.CARD_FILE, model_store.README_FILE):
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_training_needs_two_pieces(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="at least two pieces"):
        train(TrainData(tiny_corpus(1), []), VOCAB, tmp_path, MODEL, _config(1), progress=False)


def test_a_small_folder_without_validation_pieces_still_trains_and_says_so(tmp_path: Path) -> None:
    pieces = tiny_corpus(6, seed=3, bars=12)
    card = train(TrainData(pieces, [], {"sources": ["mine"]}), VOCAB, tmp_path / "small", MODEL,
                 TrainConfig(seq_len=32, batch_size=4, learning_rate=1e-2, epochs=1), progress=False,
                 log=lambda _m: None)
    assert "moved to validation" in card["data"]["validation"]
    assert card["metrics"]["valid"]["nll_per_token"] > 0


def test_ensure_validation_keeps_every_piece_once() -> None:
    pieces = tiny_corpus(5, seed=4)
    data = ensure_validation(TrainData(pieces, []))
    assert len(data.train) == 4 and len(data.valid) == 1
    everything = sorted(p.tobytes() for p in [*data.train, *data.valid])
    assert everything == sorted(p.tobytes() for p in pieces)
    untouched = TrainData(pieces[:3], pieces[3:])
    assert ensure_validation(untouched) is untouched


def test_lstm_layers_keep_the_options_cudnn_accepts() -> None:
    # On a GPU Keras then runs the LSTMs with cuDNN kernels (and the NumPy sampler reads the same weights).
    from keras.src.backend.tensorflow.rnn import _do_lstm_arguments_support_cudnn

    from musicassist.ml.model import build_from_config

    model = build_from_config(ModelConfig(VOCAB.size, embed_dim=8, units=(16, 16), dropout=0.2, lookback=(1, 2)))
    lstms = [layer for layer in model.layers if layer.name.startswith("lstm_")]
    assert len(lstms) == 2
    for layer in lstms:
        assert layer.use_cudnn in ("auto", True) and layer.cell.recurrent_dropout == 0
        assert _do_lstm_arguments_support_cudnn(activation=layer.cell.activation,
                                                recurrent_activation=layer.cell.recurrent_activation,
                                                unroll=layer.unroll, use_bias=layer.cell.use_bias)
