"""Save and load a model directory: Keras weights, vocabulary + hyper-parameters, and a model card.

A model dir holds:

* ``model.weights.h5``  the Keras 3 weights of ``model.build_model`` (the one source of truth);
* ``config.json``       codec version, vocabulary json, ``ModelConfig``, and where each named
                         layer's arrays live inside the .h5 (Keras names the groups by class, not
                         by layer name, so the map is recorded at save time by matching values);
* ``card.json`` + ``README.md``  what the model is and how it was measured (sha256 of the weights).

``load_weights_numpy`` reads the .h5 with h5py only, so the sampler can start
without importing TensorFlow. Every file is written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from musicassist.codec import CODEC_VERSION, CodecError, Vocabulary
from musicassist.core.errors import ModelError
from musicassist.io.atomic import atomic_write_bytes
from musicassist.paths import models_dir

from .model import ModelConfig

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from .lstm_numpy import NumpyLstm

WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "config.json"
CARD_FILE = "card.json"
README_FILE = "README.md"
DEFAULT_MODEL_NAME = "default"
LAYER_ARRAYS = {"embedding": 1, "logits": 2, "copy_gate": 2}  # arrays per layer; every lstm_i has 3


def default_model_dir() -> Path:
    return models_dir() / DEFAULT_MODEL_NAME


def resolve_model_dir(name_or_path: str | Path | None) -> Path:
    """A path to a model dir, or the name of a shipped model (``default`` when None)."""
    if name_or_path is None:
        return default_model_dir()
    path = Path(name_or_path)
    if path.is_dir() or path.is_absolute() or len(path.parts) > 1:
        return path
    return models_dir() / path


def atomic_write_text(path: Path, text: str) -> None:
    """Atomic, with the permissions of any new file (a model folder may be shared with other users)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _named_layers(model: keras.Model) -> dict[str, list[np.ndarray]]:
    named: dict[str, list[np.ndarray]] = {}
    for layer in model.layers:
        if layer.name in ("embedding", "logits", "copy_gate") or layer.name.startswith("lstm_"):
            named[layer.name] = [np.asarray(w) for w in layer.get_weights()]
    return named


def _h5_layout(weights_path: Path, named: dict[str, list[np.ndarray]]) -> dict[str, list[str]]:
    """For each named layer, the .h5 dataset paths holding exactly its arrays, in get_weights order."""
    import h5py

    groups: dict[str, list[str]] = {}
    with h5py.File(weights_path, "r") as handle:
        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Dataset):
                groups.setdefault(name.rsplit("/", 1)[0], []).append(name)
        handle.visititems(visit)
        layout: dict[str, list[str]] = {}
        for layer, arrays in named.items():
            for paths in groups.values():
                ordered = sorted(paths, key=lambda p: int(p.rsplit("/", 1)[1]))
                if len(ordered) == len(arrays) and all(
                    handle[p].shape == a.shape and np.array_equal(handle[p][()], a)
                    for p, a in zip(ordered, arrays, strict=True)
                ):
                    layout[layer] = ordered
                    break
            else:
                raise ModelError(f"Could not locate the weights of layer {layer} in the saved file.")
    return layout


def strip_optimizer(weights_path: Path) -> bool:
    """Rewrite a Keras weights file without the optimizer's state (True if there was one).

    ``save_weights`` stores Adam's two moment arrays per weight beside the weights: twice the
    model's size, read by nobody (training resumes from its own checkpoint, sampling needs the
    weights only). A rewrite, not a delete: HDF5 does not give a deleted group's space back.
    """
    import h5py

    with h5py.File(weights_path, "r") as source:
        if "optimizer" not in source:
            return False
        tmp = weights_path.with_name(f".tmp-{secrets.token_hex(6)}.h5")
        try:
            with h5py.File(tmp, "w") as target:
                for key, value in source.attrs.items():
                    target.attrs[key] = value
                for name in source:
                    if name != "optimizer":
                        source.copy(source[name], target, name=name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, weights_path)
    return True


def save_model(model: keras.Model, vocab: Vocabulary, model_dir: Path, config: ModelConfig,
               extra_config: dict[str, Any] | None = None) -> Path:
    """Write weights + config.json atomically; returns the weights path. The card is written separately."""
    model_dir.mkdir(parents=True, exist_ok=True)
    # A fresh name, not a mkstemp file: h5py creates it with the umask's permissions instead of 0600.
    tmp = model_dir / f".tmp-{secrets.token_hex(6)}.weights.h5"
    try:
        model.save_weights(str(tmp), overwrite=True)
        strip_optimizer(tmp)
        layout = _h5_layout(tmp, _named_layers(model))
        os.replace(tmp, model_dir / WEIGHTS_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    atomic_write_json(model_dir / CONFIG_FILE, {
        "codec_version": vocab.version,
        "vocabulary": json.loads(vocab.to_json()),
        "model": config.to_json(),
        "weights_file": WEIGHTS_FILE,
        "weights_layout": layout,
        **(extra_config or {}),
    })
    return model_dir / WEIGHTS_FILE


def read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / CONFIG_FILE
    if not (model_dir / WEIGHTS_FILE).is_file() or not path.is_file():
        raise ModelError(f"No trained model was found in {model_dir}.")
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The model in {model_dir} is damaged (its config.json cannot be read).") from exc
    if config.get("codec_version") != CODEC_VERSION:
        raise ModelError(f"The model in {model_dir} was made for token codec {config.get('codec_version')}, "
                         f"but this program uses {CODEC_VERSION}; retrain it.")
    return config


def read_vocabulary(model_dir: Path) -> Vocabulary:
    try:
        return Vocabulary.from_json(json.dumps(read_config(model_dir)["vocabulary"]))
    except (CodecError, KeyError) as exc:
        raise ModelError(f"The vocabulary saved with the model in {model_dir} is damaged.") from exc


def read_card(model_dir: Path) -> dict[str, Any]:
    path = model_dir / CARD_FILE
    if not path.is_file():
        return {}
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"The model card in {model_dir} cannot be read.") from exc
    if not isinstance(card, dict):  # valid JSON but not a card: say so rather than use it
        raise ModelError(f"The model card in {model_dir} is damaged (it is not a JSON object).")
    return card


def load_weights_numpy(model_dir: Path | str | None = None) -> dict[str, list[np.ndarray]]:
    """``{"embedding": [E], "lstm_0": [K, R, b], ..., "logits": [W, b]}`` via h5py, no TensorFlow."""
    import h5py

    directory = resolve_model_dir(model_dir)
    layout = read_config(directory).get("weights_layout")
    if not isinstance(layout, dict) or not all(isinstance(p, list) for p in layout.values()):
        raise ModelError(f"The model in {directory} is damaged (its config.json does not say where the weights are).")
    try:
        with h5py.File(directory / WEIGHTS_FILE, "r") as handle:
            return {layer: [np.asarray(handle[p][()], dtype=np.float32) for p in paths]
                    for layer, paths in layout.items()}
    except (OSError, KeyError) as exc:
        raise ModelError(f"The weights file of the model in {directory} is damaged.") from exc


def load_network(model_dir: Path | str | None = None) -> tuple[NumpyLstm, Vocabulary]:
    """The NumPy network of a model folder (lookback included) and its vocabulary; no TensorFlow."""
    from .lookback import LookbackSpec
    from .lstm_numpy import LstmWeights, NumpyLstm

    directory = resolve_model_dir(model_dir)
    vocab = read_vocabulary(directory)  # ModelError when the folder holds no model
    lags = ModelConfig.from_json(read_config(directory)["model"]).lookback
    weights = LstmWeights.from_arrays(load_weights_numpy(directory))
    if weights.vocab_size != vocab.size:
        raise ModelError(f"The model in {directory} does not match its own vocabulary.")
    spec = LookbackSpec.from_vocab(vocab, lags) if lags else None
    try:
        return NumpyLstm(weights, spec), vocab
    except ValueError as exc:
        raise ModelError(f"The weights of the model in {directory} do not fit its config.json ({exc}).") from exc


def load_model(model_dir: Path | str | None = None) -> tuple[keras.Model, Vocabulary, dict[str, Any]]:
    """The Keras model with its weights, its vocabulary, and its card (empty dict if none)."""
    from .model import build_from_config

    directory = resolve_model_dir(model_dir)
    config = read_config(directory)
    vocab = read_vocabulary(directory)
    model_config = ModelConfig.from_json(config["model"])
    if model_config.vocab_size != vocab.size:
        raise ModelError(f"The model in {directory} does not match its own vocabulary.")
    model = build_from_config(model_config)
    try:
        model.load_weights(str(directory / WEIGHTS_FILE))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"The weights file of the model in {directory} is damaged.") from exc
    return model, vocab, read_card(directory)


def model_config_of(model_dir: Path) -> ModelConfig:
    return ModelConfig.from_json(read_config(model_dir)["model"])


def render_readme(card: dict[str, Any]) -> str:
    """A short human summary of the card (the card itself stays the machine-readable record)."""
    model = card.get("model", {})
    training = card.get("training", {})
    metrics = card.get("metrics", {})
    lines = [f"# Model `{card.get('name', '?')}`", "",
             f"Music LSTM for MusicAssist, token codec `{card.get('codec_version')}` "
             f"({card.get('vocab_size')} tokens).", "",
             "## Architecture", "",
             f"Embedding {model.get('embed_dim')} -> LSTM {model.get('units')} with dropout "
             f"{model.get('dropout')} -> linear logits"
             + (f", with lookback over {model.get('lookback')} bars" if model.get("lookback") else "")
             + f"; {model.get('parameters', 0):,} parameters, "
             f"weights {card.get('weights_megabytes')} MB (`{card.get('weights_file')}`, "
             f"sha256 `{card.get('weights_sha256')}`).", "",
             "## Training", "",
             f"{training.get('epochs_run')} epochs (best {training.get('best_epoch')}, stopped by "
             f"{training.get('stopped_by')}), {float(training.get('seconds', 0)) / 60:.0f} min on CPU at "
             f"{training.get('tokens_per_second')} tokens/s; windows of {training.get('seq_len')} tokens, "
             f"batch {training.get('batch_size')}, Adam lr {training.get('learning_rate')}. "
             f"Data: {', '.join(card.get('data', {}).get('sources', []))}; "
             f"{card.get('data', {}).get('split', '')}. Curve: `{card.get('curve')}`.", "",
             *([str(model["architecture"]) + ".", ""] if model.get("lookback") and model.get("architecture") else []),
             *_lineage_lines(training.get("fine_tuned_from")),
             "## Metrics", ""]
    for split, figures in metrics.items():
        if isinstance(figures, dict) and "nll_per_token" in figures:
            line = (f"- {split}: {figures['nll_per_token']:.4f} nats/token, "
                    f"{figures.get('bits_per_note', float('nan')):.3f} bits/note, "
                    f"accuracy {figures.get('accuracy', float('nan')):.3f}")
            if "ngram_best_nll_per_token" in figures:
                line += (f"; best n-gram (order {figures['ngram_best_order']}, interpolated Kneser-Ney) "
                         f"{figures['ngram_best_nll_per_token']:.4f} nats/token, so the LSTM is "
                         f"{100 * figures['improvement_over_ngram']:.1f}% lower")
            lines.append(line)
    continuation = card.get("continuation_check")
    if isinstance(continuation, dict) and continuation.get("summary"):
        lines += ["", "## Continuation check", "", str(continuation["summary"]) + "."]
        verdicts = {k: v["verdict"] for k, v in continuation.items() if isinstance(v, dict) and "verdict" in v}
        if verdicts:
            lines += ["", "Settings: `model` is the raw network at temperature 1 (only the first bar line given), "
                      "`sampler` the app's sampler unsteered (top-p 0.95, every bar in the seed's meter), `app` "
                      "the sampler with the assistant panel's default steering. Within "
                      f"{continuation.get('tolerance')} of the real in-scale and in-meter rates: "
                      + ", ".join(f"{k} {'yes' if v.get('ok') else 'no'}" for k, v in verdicts.items()) + "."]
    realism = card.get("realism")
    if isinstance(realism, dict) and realism:
        from .realism_report import realism_markdown

        lines += ["", "## Realism", "", realism_markdown(realism).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _lineage_lines(origin: object) -> list[str]:
    if not isinstance(origin, dict):
        return [f"Fine-tuned from `{origin}`.", ""] if origin else []
    minutes = float(origin.get("seconds") or 0) / 60
    return [f"Fine-tuned from {origin.get('model')}: {origin.get('epochs_run')} epochs, {minutes:.0f} min "
            f"(weights sha256 `{origin.get('weights_sha256')}`).", ""]


def write_card(model_dir: Path, card: dict[str, Any]) -> None:
    atomic_write_json(model_dir / CARD_FILE, card)
    atomic_write_text(model_dir / README_FILE, render_readme(card))
