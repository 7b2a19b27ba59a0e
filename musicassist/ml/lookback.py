"""Lookback features: what the bars one, two and four bars ago did at this point, and whether we repeat them.

Music repeats itself a bar or a phrase later, often transposed. An LSTM can
only learn that by memorising the earlier bar in its state; Magenta's Lookback
RNN showed that handing the network "what happened N bars ago at this point"
as an input works much better. In a REMI token stream a bar is a run of tokens
that starts with a BAR token, so the point "k tokens into this bar" lines up
with "k tokens into the bar N bars ago". For every token read and every lag N
this module gives:

* the **candidate**: the token that followed that point N bars ago, i.e. what
  an exact repeat would write next (the following BAR token when that bar ended
  there). While the bar so far repeats the lag bar *transposed* (same positions,
  durations and velocities, every pitch moved by one constant interval), a
  candidate pitch is moved by the same interval. PAD where there is no such bar
  or point;
* two **flags**: "this bar so far repeats the lag bar, maybe transposed" and
  "... exactly".

The model embeds the candidates like tokens and adds a learned boost to each
candidate's logit (a copy gate), so repeating costs it almost nothing when the
music calls for it. ``LookbackTracker`` computes the features step by step for
a batch (the sampler); ``block_features`` runs the same tracker over whole
padded sequences (training and evaluation), so the two can never disagree.
NumPy only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicassist.codec import PAD, Vocabulary
from musicassist.codec.vocab import T_BAR, T_BOS

DEFAULT_LAGS: tuple[int, ...] = (1, 2, 4)
_UNSET = 1 << 20  # "no transposition interval seen yet in this bar"


@dataclass(frozen=True)
class LookbackSpec:
    """The lags (in bars) and the vocabulary facts the tracker needs."""

    lags: tuple[int, ...]
    type_of: np.ndarray  # token type code per id
    first_pitch: int  # id of PITCH_0; pitch ids are contiguous
    last_pitch: int

    @classmethod
    def from_vocab(cls, vocab: Vocabulary, lags: Sequence[int] = DEFAULT_LAGS) -> LookbackSpec:
        lags = tuple(int(lag) for lag in lags)
        if not lags or min(lags) < 1 or list(lags) != sorted(set(lags)):
            raise ValueError("lookback lags must be distinct positive bar counts in increasing order")
        return cls(lags, vocab.type_of, int(vocab.pitch_ids[0]), int(vocab.pitch_ids[-1]))

    @functools.cached_property
    def lag_columns(self) -> np.ndarray:
        return np.asarray(self.lags, dtype=np.intp)

    @property
    def flag_count(self) -> int:
        return 2 * len(self.lags)


class LookbackTracker:
    """Incremental lookback features for a batch of token streams (one row per stream)."""

    def __init__(self, spec: LookbackSpec, batch_size: int, capacity: int = 512) -> None:
        self.spec = spec
        lags = len(spec.lags)
        self.history = np.zeros((batch_size, max(capacity, 16)), dtype=np.int32)
        self.length = np.zeros(batch_size, dtype=np.int64)  # tokens read per row
        # bar_start[:, j]: index of the BAR token that opened the bar j bars back (-1: none)
        self.bar_start = np.full((batch_size, max(spec.lags) + 1), -1, dtype=np.int64)
        self.matched = np.zeros((batch_size, lags), dtype=bool)
        self.interval = np.full((batch_size, lags), _UNSET, dtype=np.int64)
        self.last_candidates: np.ndarray | None = None  # what the last advance returned (the sampler's boost)


    @property
    def batch_size(self) -> int:
        return int(self.length.shape[0])

    def select(self, rows: np.ndarray) -> LookbackTracker:
        """A tracker holding only (or repeating) some rows; the arrays are copied."""
        chosen = LookbackTracker.__new__(LookbackTracker)
        chosen.spec = self.spec
        used = int(self.length[rows].max()) if len(rows) else 0
        chosen.history = self.history[rows, : max(used * 2, 16)]
        chosen.length = self.length[rows]
        chosen.bar_start = self.bar_start[rows]
        chosen.matched = self.matched[rows]
        chosen.interval = self.interval[rows]
        chosen.last_candidates = None if self.last_candidates is None else self.last_candidates[rows]
        return chosen

    @classmethod
    def concatenate(cls, trackers: Sequence[LookbackTracker]) -> LookbackTracker:
        joined = LookbackTracker.__new__(LookbackTracker)
        joined.spec = trackers[0].spec
        width = max(t.history.shape[1] for t in trackers)
        joined.history = np.concatenate([np.pad(t.history, ((0, 0), (0, width - t.history.shape[1])))
                                         for t in trackers])
        joined.length = np.concatenate([t.length for t in trackers])
        joined.bar_start = np.concatenate([t.bar_start for t in trackers])
        joined.matched = np.concatenate([t.matched for t in trackers])
        joined.interval = np.concatenate([t.interval for t in trackers])
        joined.last_candidates = (np.concatenate([t.last_candidates for t in trackers])
                                  if all(t.last_candidates is not None for t in trackers) else None)
        return joined

    def advance(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Read one token per row; return the candidates (batch, lags) int32 and flags (batch, 2·lags) float32.

        Runs once per sampled token for the whole batch, so every lag is handled at once as a
        second array axis: a few dozen NumPy calls per step whatever the lags.
        """
        first, last = self.spec.first_pitch, self.spec.last_pitch
        tokens = np.asarray(tokens, dtype=np.int64)
        rows = np.arange(tokens.shape[0])[:, None]
        index = self.length.copy()
        if int(index.max(initial=0)) >= self.history.shape[1]:
            self.history = np.pad(self.history, ((0, 0), (0, self.history.shape[1])))
        self.history[rows[:, 0], index] = tokens
        self.length += 1
        kind = self.spec.type_of[tokens]
        is_bar = kind == T_BAR
        restart = kind == T_BOS
        if restart.any():
            self.bar_start[restart] = -1
        if is_bar.any():
            self.bar_start[is_bar, 1:] = self.bar_start[is_bar, :-1]
            self.bar_start[is_bar, 0] = index[is_bar]
            self.interval[is_bar] = _UNSET
        current = self.bar_start[:, :1]
        offset = index[:, None] - current  # tokens into this bar (0 at its BAR token)
        lag_start = self.bar_start[:, self.spec.lag_columns]  # (batch, lags)
        lag_end = self.bar_start[:, self.spec.lag_columns - 1]  # where the bar after the lag bar starts
        exists = (current >= 0) & (lag_start >= 0)
        point = lag_start + offset
        lined_up = exists & (point < lag_end)
        then = self.history[rows, np.where(lined_up, point, 0)]
        column = tokens[:, None]
        both_pitch = (column >= first) & (column <= last) & (then >= first) & (then <= last)
        step = column - then
        unset = self.interval == _UNSET
        same = np.where(both_pitch, unset | (self.interval == step), column == then)
        matched = lined_up & same & (is_bar[:, None] | self.matched)
        self.interval = np.where(matched & both_pitch & unset, step, self.interval)
        self.matched = matched
        following = point + 1
        reachable = exists & (following <= lag_end)  # == lag_end: the bar line that ended that bar
        candidate = self.history[rows, np.where(reachable, following, 0)].astype(np.int64)
        move = matched & (self.interval != _UNSET) & (candidate >= first) & (candidate <= last)
        candidate = np.where(move, candidate + self.interval, candidate)
        off_range = move & ((candidate < first) | (candidate > last))
        candidates = np.where(reachable & ~off_range, candidate, PAD).astype(np.int32)
        exact = matched & ((self.interval == _UNSET) | (self.interval == 0))
        flags = np.concatenate([matched, exact], axis=1).astype(np.float32)
        self.last_candidates = candidates
        return candidates, flags

    def repeat_boost(self, size: int, boost: float) -> np.ndarray | None:
        """(batch, size) logit bias: ``boost`` on the token that carries on a bar the row is repeating.

        A sampling-time lever on top of what the model learned: it makes repeating the seed's bars
        (exactly or transposed) more likely while a repeat is under way, and nothing otherwise.
        """
        if not boost or self.last_candidates is None:
            return None
        bias = np.zeros((self.batch_size, size), dtype=np.float32)
        rows = np.arange(self.batch_size)
        for column in range(self.matched.shape[1]):
            chosen = self.last_candidates[:, column]
            on = self.matched[:, column] & (chosen > 0)
            bias[rows[on], chosen[on]] = np.float32(boost)  # one boost even when several lags agree
        return bias


def block_features(block: np.ndarray, spec: LookbackSpec) -> tuple[np.ndarray, np.ndarray]:
    """Features after every token of a (rows, T) block: candidates (rows, T, lags), flags (rows, T, 2·lags)."""
    block = np.asarray(block)
    rows, length = block.shape
    tracker = LookbackTracker(spec, rows, capacity=length + 1)
    candidates = np.zeros((rows, length, len(spec.lags)), dtype=np.int32)
    flags = np.zeros((rows, length, spec.flag_count), dtype=np.float32)
    for t in range(length):
        candidates[:, t], flags[:, t] = tracker.advance(block[:, t])
    return candidates, flags


def sequence_features(sequences: Sequence[np.ndarray], spec: LookbackSpec,
                      max_rows: int = 512) -> list[tuple[np.ndarray, np.ndarray]]:
    """Features of every sequence (in order), computed in batches of similar length."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    result: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros((0, 0), np.int32), np.zeros((0, 0), np.float32))] \
        * len(sequences)
    for start in range(0, len(order), max_rows):
        chosen = order[start:start + max_rows]
        width = max(len(sequences[i]) for i in chosen)
        block = np.full((len(chosen), max(width, 1)), PAD, dtype=np.int32)
        for row, i in enumerate(chosen):
            block[row, :len(sequences[i])] = sequences[i]
        candidates, flags = block_features(block, spec)
        for row, i in enumerate(chosen):
            n = len(sequences[i])
            result[i] = (candidates[row, :n].copy(), flags[row, :n].copy())
    return result


def transpose_candidates(candidates: np.ndarray, semitones: int, spec: LookbackSpec) -> np.ndarray:
    """Candidates of a piece moved by ``semitones`` (pitch candidates only; out of range becomes PAD)."""
    if semitones == 0:
        return candidates
    is_pitch = (candidates >= spec.first_pitch) & (candidates <= spec.last_pitch)
    moved = np.where(is_pitch, candidates + semitones, candidates)
    still = (moved >= spec.first_pitch) & (moved <= spec.last_pitch)
    return np.where(is_pitch & ~still, PAD, moved).astype(np.int32)
