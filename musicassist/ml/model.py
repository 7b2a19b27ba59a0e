"""The one Keras definition of the music LSTM, shared by training and sampling.

Layout (a fixed contract: the NumPy sampler reads these weights by layer name):
``embedding`` -> ``lstm_0`` -> ``dropout_0`` -> ``lstm_1`` -> ``dropout_1`` ... -> ``logits``.
The logits layer has no softmax; the loss is computed ``from_logits``.
TensorFlow/Keras is imported inside the functions so importing this module is free.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import keras


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the architecture (saved in every model's config.json)."""

    vocab_size: int
    embed_dim: int = 96
    units: tuple[int, ...] = (384, 384)
    dropout: float = 0.25

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["units"] = list(self.units)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        return cls(vocab_size=int(data["vocab_size"]), embed_dim=int(data["embed_dim"]),
                   units=tuple(int(u) for u in data["units"]), dropout=float(data["dropout"]))


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


def build_model(vocab_size: int, embed_dim: int, units: tuple[int, ...], dropout: float) -> keras.Model:
    """Embedding, stacked LSTMs with dropout between them, and a linear logits layer."""
    import keras

    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=False, name="embedding")(tokens)
    for i, width in enumerate(units):
        x = keras.layers.LSTM(width, return_sequences=True, unit_forget_bias=True, name=f"lstm_{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(tokens, logits, name="music_lstm")


def build_from_config(config: ModelConfig) -> keras.Model:
    return build_model(config.vocab_size, config.embed_dim, config.units, config.dropout)


def parameter_count(config: ModelConfig) -> int:
    """Number of weights, computed without building the model (for the size budget)."""
    total = config.vocab_size * config.embed_dim
    width_in = config.embed_dim
    for width in config.units:
        total += 4 * width * (width_in + width + 1)
        width_in = width
    return total + width_in * config.vocab_size + config.vocab_size
