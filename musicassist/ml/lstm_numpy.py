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

A lookback model (see ``lookback.py``) adds, per step: one more table row per lag
(the lag's candidate token through ``embedding @ kernel_0`` rows of that lag),
the flags times their kernel rows, and the copy gate's boost on each candidate's
logit. The ``LookbackTracker`` that computes candidates and flags is part of the
state, so callers step a lookback model exactly like a plain one.

No TensorFlow here: this module only needs NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lookback import LookbackSpec, LookbackTracker

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
    copy_gate_kernel: FloatArray | None = None  # (units_last + 2·lags, lags): lookback models only
    copy_gate_bias: FloatArray | None = None  # (lags,)

    @property
    def vocab_size(self) -> int:
        return int(self.embedding.shape[0])

    @property
    def lag_count(self) -> int:
        return 0 if self.copy_gate_bias is None else int(np.asarray(self.copy_gate_bias).shape[0])

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
        try:
            gate_kernel, gate_bias = model.get_layer("copy_gate").get_weights()
        except ValueError:
            gate_kernel = gate_bias = None
        return cls(embedding, tuple(layers), logits_kernel, logits_bias, gate_kernel, gate_bias)

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
        gate_kernel = gate_bias = None
        if "copy_gate" in arrays or "copy_gate/kernel" in arrays:
            gate_kernel, gate_bias = (np.asarray(a) for a in pick("copy_gate", ["kernel", "bias"]))
        return cls(np.asarray(embedding), tuple(layers), np.asarray(logits_kernel), np.asarray(logits_bias),
                   gate_kernel, gate_bias)


@dataclass
class LstmState:
    """Hidden and cell state of every layer for a batch: lists of (batch, units) arrays.

    A lookback model's state also holds its ``LookbackTracker``; ``NumpyLstm.step`` advances
    that tracker in place, so a state handed to ``step`` must not be used again (use ``select``
    to keep a copy, as the sampler does when it fans one prefix out).
    """

    hidden: list[FloatArray]
    cell: list[FloatArray]
    lookback: LookbackTracker | None = None

    @property
    def batch_size(self) -> int:
        return int(self.hidden[0].shape[0])

    def select(self, rows: np.ndarray) -> LstmState:
        """The state of some batch rows (repeat a row to fan one prefix out to many candidates)."""
        return LstmState([h[rows] for h in self.hidden], [c[rows] for c in self.cell],
                         None if self.lookback is None else self.lookback.select(rows))

    @classmethod
    def concatenate(cls, states: Sequence[LstmState]) -> LstmState:
        """One batch holding the rows of several states, in order."""
        layers = range(len(states[0].hidden))
        trackers = [s.lookback for s in states]
        return cls([np.concatenate([s.hidden[i] for s in states]) for i in layers],
                   [np.concatenate([s.cell[i] for s in states]) for i in layers],
                   LookbackTracker.concatenate([t for t in trackers if t is not None])
                   if trackers and all(t is not None for t in trackers) else None)


def _check_shapes(weights: LstmWeights) -> None:
    """ValueError naming the first array whose shape does not fit the others (a damaged weights file)."""
    vocab, embed = np.shape(weights.embedding) if np.ndim(weights.embedding) == 2 else (0, 0)
    if not vocab or not embed:
        raise ValueError("the embedding is not a (vocabulary, size) matrix")
    lags = weights.lag_count
    width_in = embed * (1 + lags) + 2 * lags
    for index, layer in enumerate(weights.layers):
        units = int(np.shape(layer.recurrent_kernel)[0]) if np.ndim(layer.recurrent_kernel) == 2 else 0
        expected = {"kernel": (width_in, 4 * units), "recurrent kernel": (units, 4 * units), "bias": (4 * units,)}
        for name, array in (("kernel", layer.kernel), ("recurrent kernel", layer.recurrent_kernel),
                            ("bias", layer.bias)):
            if not units or np.shape(array) != expected[name]:
                raise ValueError(f"lstm_{index} {name} has shape {np.shape(array)}, expected {expected[name]}")
        width_in = units
    if np.shape(weights.logits_kernel) != (width_in, vocab) or np.shape(weights.logits_bias) != (vocab,):
        raise ValueError(f"the logits layer has shapes {np.shape(weights.logits_kernel)} and "
                         f"{np.shape(weights.logits_bias)}, expected ({width_in}, {vocab}) and ({vocab},)")
    gate_shape = None if weights.copy_gate_kernel is None else np.shape(weights.copy_gate_kernel)
    if lags and gate_shape != (width_in + 2 * lags, lags):
        raise ValueError(f"the copy gate has shape {gate_shape}, expected ({width_in + 2 * lags}, {lags})")


def _halve_sigmoid_gates(matrix: FloatArray, units: int) -> FloatArray:
    """Scale the i, f, o gate columns by 0.5 so that one tanh yields all four gates."""
    scaled = np.array(matrix, dtype=np.float32, copy=True)
    scaled[..., : 2 * units] *= 0.5
    scaled[..., 3 * units :] *= 0.5
    return scaled


class NumpyLstm:
    """Batched inference of the music LSTM with the state carried between calls."""

    def __init__(self, weights: LstmWeights, lookback: LookbackSpec | None = None) -> None:
        if not weights.layers:
            raise ValueError("the network has no LSTM layer")
        _check_shapes(weights)
        if weights.lag_count != (len(lookback.lags) if lookback else 0):
            raise ValueError("the network's lookback lags do not match its copy gate")
        self.vocab_size = weights.vocab_size
        self.units = tuple(layer.units for layer in weights.layers)
        self.lookback = lookback if weights.lag_count else None
        first = weights.layers[0]
        embedding = np.asarray(weights.embedding, dtype=np.float32)
        embed = embedding.shape[1]
        kernel = np.asarray(first.kernel, dtype=np.float32)
        lags = weights.lag_count
        table = embedding @ kernel[:embed] + np.asarray(first.bias, np.float32)
        self._input_table = _halve_sigmoid_gates(table, first.units)  # (vocab, 4*units_0)
        # Lookback: one more table per lag (its candidate's embedding through its kernel rows), flag rows.
        self._lag_tables = [_halve_sigmoid_gates(embedding @ kernel[embed * (1 + j): embed * (2 + j)], first.units)
                            for j in range(lags)]
        self._flag_kernel = _halve_sigmoid_gates(kernel[embed * (1 + lags):], first.units)
        self._gate_kernel = (np.asarray(weights.copy_gate_kernel, dtype=np.float32)
                             if weights.copy_gate_kernel is not None else None)
        self._gate_bias = (np.asarray(weights.copy_gate_bias, dtype=np.float32)
                           if weights.copy_gate_bias is not None else None)
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

    @classmethod
    def from_keras(cls, model: Any, vocab: Any = None) -> NumpyLstm:
        """The NumPy twin of a Keras model built by ``model.build_model`` (lookback included)."""
        from musicassist.codec import default_vocabulary

        from .model import model_lags

        lags = model_lags(model)
        spec = LookbackSpec.from_vocab(vocab or default_vocabulary(), lags) if lags else None
        return cls(LstmWeights.from_keras(model), spec)

    def initial_state(self, batch_size: int = 1) -> LstmState:
        zeros = [np.zeros((batch_size, u), dtype=np.float32) for u in self.units]
        tracker = LookbackTracker(self.lookback, batch_size) if self.lookback else None
        return LstmState(zeros, [z.copy() for z in zeros], tracker)

    def _first_inputs(self, tokens: np.ndarray, candidates: np.ndarray | None, flags: np.ndarray | None
                      ) -> FloatArray:
        """Layer 0's pre-activations from the inputs (a fresh array: safe to modify in place)."""
        gates = self._input_table[tokens]  # fancy indexing copies
        if candidates is not None and flags is not None:
            for j, table in enumerate(self._lag_tables):
                gates += table[candidates[..., j]]
            gates += flags @ self._flag_kernel
        return gates

    def _copy_boost(self, logits: FloatArray, top: FloatArray, candidates: np.ndarray | None,
                    flags: np.ndarray | None) -> None:
        """Add each lag's learned gate to its candidate's logit, in place (rows: the leading axis)."""
        if candidates is None or flags is None or self._gate_kernel is None or self._gate_bias is None:
            return
        gates = np.concatenate([top, flags], axis=-1) @ self._gate_kernel
        gates += self._gate_bias
        rows = np.arange(logits.shape[0])
        for j in range(gates.shape[-1]):
            chosen = candidates[:, j]
            logits[rows, chosen] += np.where(chosen > 0, gates[:, j], np.float32(0.0))

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
        candidates = flags = None
        if state.lookback is not None:
            candidates, flags = state.lookback.advance(tokens)
        for index, units in enumerate(self.units):
            if index == 0:
                gates = self._first_inputs(tokens, candidates, flags)
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
        self._copy_boost(logits, x, candidates, flags)
        return logits, LstmState(hidden, cells, state.lookback)

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
        tracker = state.lookback.select(np.zeros(1, dtype=np.intp)) if state.lookback is not None else None
        candidates = flags = None
        if tracker is not None:
            features = [tracker.advance(ids[t:t + 1]) for t in range(ids.size)]
            candidates = np.concatenate([f[0] for f in features])
            flags = np.concatenate([f[1] for f in features])
        hidden_out: list[FloatArray] = []
        cell_out: list[FloatArray] = []
        layer_input: FloatArray | None = None
        for index, units in enumerate(self.units):
            if index == 0:
                projected = self._first_inputs(ids, candidates, flags)
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
        self._copy_boost(logits, layer_input, candidates, flags)
        return logits, LstmState(hidden_out, cell_out, tracker)


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
    limited = False
    for path in sorted(libraries):  # NumPy's and SciPy's wheels each bring an OpenBLAS: limit every one
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in _BLAS_THREAD_SETTERS:
            setter = getattr(library, symbol, None)
            if setter is not None:
                setter(ctypes.c_int(count))
                limited = True
                break
    return limited


def log_softmax(logits: FloatArray) -> FloatArray:
    """Row-wise log-probabilities, stable for large logits and for -inf (masked) entries."""
    top = np.max(logits, axis=-1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(logits: FloatArray) -> FloatArray:
    return np.exp(log_softmax(logits))
