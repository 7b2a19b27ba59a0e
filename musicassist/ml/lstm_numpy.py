"""The music LSTM's forward pass in NumPy: one batched cell step, and a whole prefix.

The sampler calls the network once per generated token for a small batch.
Going through Keras for that costs milliseconds of framework overhead per
call; the same arithmetic in NumPy (float32 BLAS) costs a fraction of that and
carries the recurrent state from step to step, so nothing is ever re-run.

The weights come from the one Keras definition in ``model.py`` (layers
``embedding``, ``lstm_0``.., ``logits``; Keras gate order i, f, c, o in the
kernel columns; sigmoid/tanh activations). Two exact rewrites make the step
cheap:

* layer 0's input is an embedding row, so ``embedding @ kernel_0 + bias_0`` is
  precomputed once as a (vocab, 4·units) table and the input matmul becomes a
  row lookup;
* ``sigmoid(x) = 0.5·tanh(x/2) + 0.5``: the i, f, o columns of every kernel
  and bias are halved ahead of time (exact in floating point), so one ``tanh``
  over all four gates replaces three sigmoids and a tanh.

No TensorFlow here: this module only needs NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FloatArray = np.ndarray  # float32 arrays; kept as an alias so signatures read as intent


@dataclass(frozen=True)
class LstmLayerWeights:
    kernel: FloatArray  # (inputs, 4*units), Keras gate order i, f, c, o
    recurrent_kernel: FloatArray  # (units, 4*units)
    bias: FloatArray  # (4*units,)

    @property
    def units(self) -> int:
        return int(self.recurrent_kernel.shape[0])


@dataclass(frozen=True)
class LstmWeights:
    """Plain arrays of the embedding -> LSTM stack -> logits network."""

    embedding: FloatArray  # (vocab, embed_dim)
    layers: tuple[LstmLayerWeights, ...]
    logits_kernel: FloatArray  # (units_last, vocab)
    logits_bias: FloatArray  # (vocab,)

    @property
    def vocab_size(self) -> int:
        return int(self.embedding.shape[0])

    @classmethod
    def from_keras(cls, model: Any) -> LstmWeights:
        """Read the weights of a model built by ``model.build_model`` (layers found by name)."""
        embedding = model.get_layer("embedding").get_weights()[0]
        layers = []
        index = 0
        while True:
            try:
                layer = model.get_layer(f"lstm_{index}")
            except ValueError:
                break
            kernel, recurrent, bias = layer.get_weights()
            layers.append(LstmLayerWeights(kernel, recurrent, bias))
            index += 1
        logits_kernel, logits_bias = model.get_layer("logits").get_weights()
        return cls(embedding, tuple(layers), logits_kernel, logits_bias)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any]) -> LstmWeights:
        """Build from a flat mapping such as ``{"embedding": E, "lstm_0": (K, R, b), "logits": (W, b)}``.

        Also accepts slash-separated keys (``"lstm_0/kernel"``, ``"logits/bias"``...), which is
        how weight files name their datasets.
        """
        def pick(layer: str, names: Sequence[str]) -> list[Any]:
            if layer in arrays:
                value = arrays[layer]
                if isinstance(value, Mapping):
                    return [value[n] for n in names]
                seq = list(value) if isinstance(value, list | tuple) else [value]
                return seq[: len(names)]
            return [arrays[f"{layer}/{n}"] for n in names]

        embedding = pick("embedding", ["embeddings"])[0]
        layers = []
        index = 0
        while f"lstm_{index}" in arrays or f"lstm_{index}/kernel" in arrays:
            kernel, recurrent, bias = pick(f"lstm_{index}", ["kernel", "recurrent_kernel", "bias"])
            layers.append(LstmLayerWeights(kernel, recurrent, bias))
            index += 1
        logits_kernel, logits_bias = pick("logits", ["kernel", "bias"])
        return cls(np.asarray(embedding), tuple(layers), np.asarray(logits_kernel), np.asarray(logits_bias))


@dataclass
class LstmState:
    """Hidden and cell state of every layer for a batch: lists of (batch, units) arrays."""

    hidden: list[FloatArray]
    cell: list[FloatArray]

    @property
    def batch_size(self) -> int:
        return int(self.hidden[0].shape[0])

    def select(self, rows: np.ndarray) -> LstmState:
        """The state of some batch rows (repeat a row to fan one prefix out to many candidates)."""
        return LstmState([h[rows] for h in self.hidden], [c[rows] for c in self.cell])


def _halve_sigmoid_gates(matrix: FloatArray, units: int) -> FloatArray:
    """Scale the i, f, o gate columns by 0.5 so that one tanh yields all four gates."""
    scaled = np.array(matrix, dtype=np.float32, copy=True)
    scaled[..., : 2 * units] *= 0.5
    scaled[..., 3 * units :] *= 0.5
    return scaled


class NumpyLstm:
    """Batched inference of the music LSTM with the state carried between calls."""

    def __init__(self, weights: LstmWeights) -> None:
        self.vocab_size = weights.vocab_size
        self.units = tuple(layer.units for layer in weights.layers)
        if not self.units:
            raise ValueError("the network has no LSTM layer")
        first = weights.layers[0]
        embedding = np.asarray(weights.embedding, dtype=np.float32)
        table = embedding @ np.asarray(first.kernel, dtype=np.float32) + np.asarray(first.bias, np.float32)
        self._input_table = _halve_sigmoid_gates(table, first.units)  # (vocab, 4*units_0)
        self._input_kernels: list[FloatArray] = []  # layers 1.. (layer 0 uses the table)
        self._biases: list[FloatArray] = []
        self._recurrent: list[FloatArray] = []
        for index, layer in enumerate(weights.layers):
            self._recurrent.append(_halve_sigmoid_gates(layer.recurrent_kernel, layer.units))
            if index > 0:
                self._input_kernels.append(_halve_sigmoid_gates(layer.kernel, layer.units))
                self._biases.append(_halve_sigmoid_gates(layer.bias, layer.units))
        self._logits_kernel = np.ascontiguousarray(weights.logits_kernel, dtype=np.float32)
        self._logits_bias = np.asarray(weights.logits_bias, dtype=np.float32)

    def initial_state(self, batch_size: int = 1) -> LstmState:
        zeros = [np.zeros((batch_size, u), dtype=np.float32) for u in self.units]
        return LstmState(zeros, [z.copy() for z in zeros])

    @staticmethod
    def _cell(gates: FloatArray, cell: FloatArray, units: int) -> tuple[FloatArray, FloatArray]:
        """Finish one LSTM step from pre-activations whose sigmoid gates were pre-halved."""
        np.tanh(gates, out=gates)
        sig_if = gates[:, : 2 * units]
        sig_if *= 0.5
        sig_if += 0.5
        out_gate = gates[:, 3 * units :]
        out_gate *= 0.5
        out_gate += 0.5
        new_cell = gates[:, units : 2 * units] * cell
        new_cell += gates[:, :units] * gates[:, 2 * units : 3 * units]
        new_hidden = np.tanh(new_cell)
        new_hidden *= out_gate
        return new_hidden, new_cell

    def step(self, tokens: np.ndarray, state: LstmState) -> tuple[FloatArray, LstmState]:
        """Feed one token per batch row; return the next-token logits (batch, vocab) and the new state."""
        hidden: list[FloatArray] = []
        cells: list[FloatArray] = []
        x: FloatArray | None = None
        for index, units in enumerate(self.units):
            if index == 0:
                gates = self._input_table[tokens]  # fancy indexing copies: safe to modify in place
            else:
                gates = x @ self._input_kernels[index - 1]
                gates += self._biases[index - 1]
            gates += state.hidden[index] @ self._recurrent[index]
            x, c = self._cell(gates, state.cell[index], units)
            hidden.append(x)
            cells.append(c)
        assert x is not None
        logits = x @ self._logits_kernel
        logits += self._logits_bias
        return logits, LstmState(hidden, cells)

    def run_sequence(self, tokens: Sequence[int] | np.ndarray,
                     state: LstmState | None = None) -> tuple[FloatArray, LstmState]:
        """Run one sequence (batch 1) layer by layer; return logits after every token (T, vocab).

        Layer by layer lets the input projections of a whole layer be one matmul; only the
        recurrent part walks the time steps.
        """
        ids = np.asarray(tokens, dtype=np.int64)
        if ids.ndim != 1 or ids.size == 0:
            raise ValueError("run_sequence needs a non-empty 1-D token sequence")
        state = state or self.initial_state(1)
        hidden_out: list[FloatArray] = []
        cell_out: list[FloatArray] = []
        layer_input: FloatArray | None = None
        for index, units in enumerate(self.units):
            if index == 0:
                projected = self._input_table[ids]
            else:
                assert layer_input is not None
                projected = layer_input @ self._input_kernels[index - 1]
                projected += self._biases[index - 1]
            h, c = state.hidden[index], state.cell[index]
            outputs = np.empty((ids.size, units), dtype=np.float32)
            recurrent = self._recurrent[index]
            for t in range(ids.size):
                gates = projected[t : t + 1] + h @ recurrent
                h, c = self._cell(gates, c, units)
                outputs[t] = h[0]
            hidden_out.append(h)
            cell_out.append(c)
            layer_input = outputs
        assert layer_input is not None
        logits = layer_input @ self._logits_kernel
        logits += self._logits_bias
        return logits, LstmState(hidden_out, cell_out)


_BLAS_THREAD_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                        "openblas_set_num_threads64_", "openblas_set_num_threads")


def limit_blas_threads(count: int) -> bool:
    """Best effort: make NumPy's OpenBLAS use ``count`` threads from now on (True if it worked).

    The sampler's matrices are small (a batch of ~24 rows): on a 2-core machine that is
    shared with a GUI, TensorFlow or other processes, OpenBLAS threads spin-wait on each
    other and one thread was measured several times faster than two. Environment variables
    only work before NumPy loads, hence this call into the loaded library.
    """
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            libraries = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return False  # not Linux: leave the library's default
    for path in sorted(libraries):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in _BLAS_THREAD_SETTERS:
            setter = getattr(library, symbol, None)
            if setter is not None:
                setter(ctypes.c_int(count))
                return True
    return False


def log_softmax(logits: FloatArray) -> FloatArray:
    """Row-wise log-probabilities, stable for large logits and for -inf (masked) entries."""
    top = np.max(logits, axis=-1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(logits: FloatArray) -> FloatArray:
    return np.exp(log_softmax(logits))
