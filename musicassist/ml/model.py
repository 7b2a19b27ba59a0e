"""The one Keras definition of the music LSTM, shared by training and sampling.

Layout (a fixed contract: the NumPy sampler reads these weights by layer name):
``embedding`` -> ``lstm_0`` -> ``dropout_0`` -> ``lstm_1`` -> ``dropout_1`` ... -> ``logits``.
The logits layer has no softmax; the loss is computed ``from_logits``.

With lookback (``ModelConfig.lookback``, bar lags such as (1, 2, 4); see ``lookback.py``) the
model has two more inputs: ``lookback`` (the candidate token per lag, embedded with the same
``embedding`` and fed to ``lstm_0`` beside the token) and ``lookback_flags`` (repeat-so-far
flags). A ``copy_gate`` dense layer reads the last LSTM output and the flags and adds one
learned boost per lag to that lag's candidate logit (layer ``copy``): repeating a bar, or a
transposed bar, becomes a single decision instead of something the LSTM must recall token by
token. ``lstm_0``'s kernel rows are ordered token embedding, then one embedding per lag, then
the flags. TensorFlow/Keras is imported inside the functions so importing this module is free.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    import keras


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the architecture (saved in every model's config.json)."""

    vocab_size: int
    embed_dim: int = 96
    units: tuple[int, ...] = (384, 384)
    dropout: float = 0.25
    lookback: tuple[int, ...] = ()  # bar lags of the lookback inputs; () = a plain token LSTM

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["units"] = list(self.units)
        data["lookback"] = list(self.lookback)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        return cls(vocab_size=int(data["vocab_size"]), embed_dim=int(data["embed_dim"]),
                   units=tuple(int(u) for u in data["units"]), dropout=float(data["dropout"]),
                   lookback=tuple(int(lag) for lag in data.get("lookback", ())))


def configure_threads(threads: int | None = None) -> None:
    """Use the machine's cores for one op at a time rather than oversubscribing (2-core CPUs)."""
    import os

    import tensorflow as tf

    count = threads or os.cpu_count() or 2
    try:
        tf.config.threading.set_intra_op_parallelism_threads(count)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process: keep whatever is in place


@functools.cache
def _copy_logits_class() -> type:
    """The ``copy`` layer, defined (and registered for checkpoint loading) on first use."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="musicassist")
    class CopyLogits(keras.layers.Layer):
        """logits + sum over lags of gate[lag] * one_hot(candidate[lag]); PAD candidates add nothing."""

        def __init__(self, vocab_size: int, lags: tuple[int, ...] = (), **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.vocab_size = int(vocab_size)
            self.lags = tuple(int(lag) for lag in lags)

        def call(self, inputs: list[Any]) -> Any:
            logits, gates, candidates = inputs
            one_hot = ops.one_hot(candidates, self.vocab_size, dtype=logits.dtype)  # (B, T, lags, V)
            valid = ops.cast(ops.greater(candidates, 0), logits.dtype)
            return logits + ops.sum(one_hot * ops.expand_dims(gates * valid, -1), axis=2)

        def compute_output_shape(self, input_shapes: list[Any]) -> Any:
            return input_shapes[0]

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "vocab_size": self.vocab_size, "lags": list(self.lags)}

    return CopyLogits


def custom_objects() -> dict[str, Any]:
    """What ``keras.saving.load_model`` needs to read a checkpoint of a lookback model."""
    return {"musicassist>CopyLogits": _copy_logits_class()}


def build_model(vocab_size: int, embed_dim: int, units: tuple[int, ...], dropout: float,
                lookback: tuple[int, ...] = ()) -> keras.Model:
    """Embedding, stacked LSTMs with dropout between them, a linear logits layer (and the lookback paths)."""
    import keras

    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=False, name="embedding")
    x = embedding(tokens)
    inputs: list[Any] = [tokens]
    if lookback:
        lags = len(lookback)
        candidates = keras.Input(shape=(None, lags), dtype="int32", name="lookback")
        flags = keras.Input(shape=(None, 2 * lags), dtype="float32", name="lookback_flags")
        inputs += [candidates, flags]
        looked = keras.layers.Reshape((-1, lags * embed_dim), name="lookback_embedding")(embedding(candidates))
        x = keras.layers.Concatenate(name="lookback_inputs")([x, looked, flags])
    for i, width in enumerate(units):
        x = keras.layers.LSTM(width, return_sequences=True, unit_forget_bias=True, name=f"lstm_{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    if lookback:
        gate_input = keras.layers.Concatenate(name="copy_gate_inputs")([x, flags])
        # Zero at the start: a model warm-started from a plain one computes exactly what that one did.
        gates = keras.layers.Dense(len(lookback), kernel_initializer="zeros", name="copy_gate")(gate_input)
        logits = _copy_logits_class()(vocab_size, lookback, name="copy")([logits, gates, candidates])
    return keras.Model(inputs if lookback else tokens, logits, name="music_lstm")


def build_from_config(config: ModelConfig) -> keras.Model:
    return build_model(config.vocab_size, config.embed_dim, config.units, config.dropout, config.lookback)


def model_lags(model: Any) -> tuple[int, ...]:
    """The lookback lags of a built model (() for a plain one)."""
    try:
        return tuple(model.get_layer("copy").lags)
    except ValueError:
        return ()


def warm_start(target: keras.Model, source: keras.Model) -> None:
    """Copy a plain model's weights into a lookback model of the same sizes, preserving its function.

    The new ``lstm_0`` kernel rows (lookback embeddings, flags) and the copy gate start at zero, so
    the new model's first predictions equal the old model's and training only has to learn to look back.
    """
    for layer in source.layers:
        if not layer.get_weights():
            continue
        mine = target.get_layer(layer.name)
        arrays = [np.asarray(w) for w in layer.get_weights()]
        theirs = mine.get_weights()
        if layer.name == "lstm_0" and theirs[0].shape != arrays[0].shape:
            kernel = np.zeros_like(theirs[0])
            kernel[: arrays[0].shape[0]] = arrays[0]
            arrays[0] = kernel
        mine.set_weights(arrays)


def parameter_count(config: ModelConfig) -> int:
    """Number of weights, computed without building the model (for the size budget)."""
    total = config.vocab_size * config.embed_dim
    lags = len(config.lookback)
    width_in = config.embed_dim * (1 + lags) + 2 * lags
    for width in config.units:
        total += 4 * width * (width_in + width + 1)
        width_in = width
    total += width_in * config.vocab_size + config.vocab_size
    if lags:
        total += (width_in + 2 * lags) * lags + lags
    return total
