"""The token grammar as a state machine: which token may come next.

One set of rules serves three users: ``decode`` (which skips any token the
grammar does not allow, so garbage never crashes it), the sampler (which masks
the model's logits with ``BatchGrammar.masks()`` so every sampled sequence
decodes with nothing skipped), and tests.

    sequence := [BOS] [STYLE] bar* [EOS]
    bar      := BAR_<meter> group*          positions strictly increase, < bar length
    group    := POS_k note+                 pitches strictly increase within a group
    note     := PITCH_p DUR_d VEL_v

``GrammarState`` is the scalar reference (pure Python, used by decode);
``BatchGrammar`` is the same machine over n rows with numpy, for sampling.
A token the grammar does not allow leaves the state unchanged and is counted
in ``skipped``. After EOS only PAD is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .vocab import (
    PAD,
    T_BAR,
    T_BOS,
    T_DUR,
    T_EOS,
    T_PAD,
    T_PITCH,
    T_POS,
    T_STYLE,
    T_VEL,
    CodecError,
    Vocabulary,
    default_vocabulary,
)

# Phases: what was read last.
START, AFTER_BOS, AFTER_STYLE, IN_BAR, AFTER_POS, AFTER_PITCH, AFTER_DUR, AFTER_VEL, END = range(9)
PHASE_NAMES = ("START", "AFTER_BOS", "AFTER_STYLE", "IN_BAR", "AFTER_POS", "AFTER_PITCH", "AFTER_DUR",
               "AFTER_VEL", "END")

# Token types each phase accepts, before the position/pitch/bar-count conditions.
_ACCEPTS: dict[int, frozenset[int]] = {
    START: frozenset({T_BOS, T_STYLE, T_BAR, T_EOS}),
    AFTER_BOS: frozenset({T_STYLE, T_BAR, T_EOS}),
    AFTER_STYLE: frozenset({T_BAR, T_EOS}),
    IN_BAR: frozenset({T_POS, T_BAR, T_EOS}),
    AFTER_POS: frozenset({T_PITCH}),
    AFTER_PITCH: frozenset({T_DUR}),
    AFTER_DUR: frozenset({T_VEL}),
    AFTER_VEL: frozenset({T_PITCH, T_POS, T_BAR, T_EOS}),
    END: frozenset({T_PAD}),
}
_NEXT_PHASE = {T_BOS: AFTER_BOS, T_STYLE: AFTER_STYLE, T_BAR: IN_BAR, T_POS: AFTER_POS,
               T_PITCH: AFTER_PITCH, T_DUR: AFTER_DUR, T_VEL: AFTER_VEL, T_EOS: END, T_PAD: END}
_NEXT_PHASE_TABLE = np.array([_NEXT_PHASE[kind] for kind in range(len(_NEXT_PHASE))], dtype=np.int8)


class GrammarState:
    """Scalar grammar state; ``allows``/``advance`` are the reference rules decode follows.

    ``max_bars`` forbids a BAR token once that many bars were read (the sampler
    then can only end the sequence); ``bar_token_ids`` limits which meters may
    start a bar (e.g. only the seed's meter).
    """

    def __init__(
        self,
        vocab: Vocabulary | None = None,
        max_bars: int | None = None,
        bar_token_ids: Iterable[int] | None = None,
    ) -> None:
        self.vocab = vocab or default_vocabulary()
        self.max_bars = max_bars
        self.bar_token_ids = None if bar_token_ids is None else frozenset(int(t) for t in bar_token_ids)
        self.phase = START
        self.bar_length = 0  # positions in the current bar
        self.position = -1  # last POS in this bar, -1 before the first
        self.last_pitch = -1  # last pitch at this position, -1 before the first
        self.bars = 0  # BAR tokens read
        self.skipped = 0  # tokens that did not fit and were ignored

    @classmethod
    def from_prefix(
        cls,
        tokens: Iterable[int],
        vocab: Vocabulary | None = None,
        max_bars: int | None = None,
        bar_token_ids: Iterable[int] | None = None,
    ) -> GrammarState:
        """State after reading a seed sequence (tokens that do not fit are skipped, as decode does)."""
        state = cls(vocab, max_bars, bar_token_ids)
        for token in tokens:
            state.advance(int(token))
        return state

    @property
    def finished(self) -> bool:
        return self.phase == END

    def allows(self, token: int) -> bool:
        vocab = self.vocab
        if not 0 <= token < vocab.size:
            return False
        kind = int(vocab.type_of[token])
        if kind not in _ACCEPTS[self.phase]:
            return False
        if kind == T_POS:
            value = int(vocab.value_of[token])
            return self.position < value < self.bar_length
        if kind == T_PITCH:
            return int(vocab.value_of[token]) > self.last_pitch
        if kind == T_BAR:
            if self.max_bars is not None and self.bars >= self.max_bars:
                return False
            return self.bar_token_ids is None or token in self.bar_token_ids
        return True

    def advance(self, token: int) -> bool:
        """Read one token; returns False (and counts it skipped) when it does not fit."""
        token = int(token)
        if not self.allows(token):
            self.skipped += 1
            return False
        kind = int(self.vocab.type_of[token])
        self.phase = _NEXT_PHASE[kind]
        if kind == T_BAR:
            self.bar_length = int(self.vocab.bar_positions[token])
            self.position = -1
            self.last_pitch = -1
            self.bars += 1
        elif kind == T_POS:
            self.position = int(self.vocab.value_of[token])
            self.last_pitch = -1
        elif kind == T_PITCH:
            self.last_pitch = int(self.vocab.value_of[token])
        return True

    def allowed_mask(self) -> np.ndarray:
        """(V,) bool of the tokens ``allows`` accepts, computed with the batched machine."""
        return BatchGrammar.repeat(self, 1).masks()[0]

    def copy(self) -> GrammarState:
        twin = GrammarState.__new__(GrammarState)
        twin.__dict__.update(self.__dict__)
        return twin


class BatchGrammar:
    """The same machine for n sequences at once: ``masks()`` is (n, V) bool, ``advance(ids)`` (n,)."""

    def __init__(
        self,
        n: int,
        vocab: Vocabulary | None = None,
        max_bars: int | None = None,
        bar_token_ids: Iterable[int] | None = None,
    ) -> None:
        self.vocab = vocab or default_vocabulary()
        self.n = n
        self.max_bars = max_bars
        self.bar_token_ids = None if bar_token_ids is None else frozenset(int(t) for t in bar_token_ids)
        v = self.vocab
        type_of = np.asarray(v.type_of)
        allowed_bars = np.zeros(v.size, dtype=bool)
        allowed_bars[v.bar_ids if self.bar_token_ids is None else sorted(self.bar_token_ids)] = True
        # Per-phase masks of the token types accepted, with the meter restriction folded in.
        self._base = np.zeros((len(PHASE_NAMES), v.size), dtype=bool)
        for phase, kinds in _ACCEPTS.items():
            self._base[phase] = np.isin(type_of, list(kinds))
            self._base[phase] &= (type_of != T_BAR) | allowed_bars
        self._pos_values = np.asarray(v.value_of[v.pos_ids])
        self._pitch_values = np.asarray(v.value_of[v.pitch_ids])
        self.phase = np.full(n, START, dtype=np.int8)
        self.bar_length = np.zeros(n, dtype=np.int32)
        self.position = np.full(n, -1, dtype=np.int32)
        self.last_pitch = np.full(n, -1, dtype=np.int32)
        self.bars = np.zeros(n, dtype=np.int32)
        self.skipped = np.zeros(n, dtype=np.int32)

    @classmethod
    def from_prefixes(
        cls,
        prefixes: list[np.ndarray] | np.ndarray,
        vocab: Vocabulary | None = None,
        max_bars: int | None = None,
        bar_token_ids: Iterable[int] | None = None,
    ) -> BatchGrammar:
        """One row per seed sequence (rows may differ in length)."""
        bar_ids = None if bar_token_ids is None else list(bar_token_ids)
        states = [GrammarState.from_prefix(p, vocab, max_bars, bar_ids) for p in prefixes]
        batch = cls(len(states), vocab, max_bars, bar_ids)
        for i, state in enumerate(states):
            batch.set_row(i, state)
        return batch

    @classmethod
    def repeat(cls, state: GrammarState, n: int) -> BatchGrammar:
        """n rows all starting from one scalar state (the usual sampler start: one seed, n candidates)."""
        batch = cls(n, state.vocab, max_bars=state.max_bars, bar_token_ids=state.bar_token_ids)
        for i in range(n):
            batch.set_row(i, state)
        return batch

    def select(self, rows: np.ndarray) -> None:
        """Keep only (or repeat) some rows, in place: every per-row array is indexed, whatever it is named."""
        rows = np.asarray(rows)
        per_row = [name for name, value in vars(self).items()
                   if isinstance(value, np.ndarray) and not name.startswith("_") and value.shape[:1] == (self.n,)]
        for name in per_row:
            setattr(self, name, getattr(self, name)[rows])
        self.n = int(rows.size)

    def set_row(self, i: int, state: GrammarState) -> None:
        self.phase[i] = state.phase
        self.bar_length[i] = state.bar_length
        self.position[i] = state.position
        self.last_pitch[i] = state.last_pitch
        self.bars[i] = state.bars
        self.skipped[i] = state.skipped

    @property
    def finished(self) -> np.ndarray:
        return self.phase == END

    def masks(self) -> np.ndarray:
        v = self.vocab
        masks = self._base[self.phase]  # fancy indexing copies
        pos_open = (self.phase == IN_BAR) | (self.phase == AFTER_VEL)
        pos_ok = (self._pos_values[None, :] > self.position[:, None]) & (
            self._pos_values[None, :] < self.bar_length[:, None]
        )
        masks[:, v.pos_ids] = pos_ok & pos_open[:, None]
        pitch_ok = self._pitch_values[None, :] > self.last_pitch[:, None]
        masks[:, v.pitch_ids] &= pitch_ok
        if self.max_bars is not None:
            masks[self.bars >= self.max_bars, v.bar_ids[0]:v.bar_ids[-1] + 1] = False
        return masks

    def advance(self, ids: np.ndarray) -> np.ndarray:
        """Read one token per row; returns the bool array of rows whose token fitted."""
        ids = np.asarray(ids)
        if ids.shape != (self.n,) or not np.issubdtype(ids.dtype, np.integer):
            raise CodecError(f"Expected {self.n} integer token ids, one per sequence.")
        v = self.vocab
        in_range = (ids >= 0) & (ids < v.size)
        safe = np.where(in_range, ids, PAD)
        fits = in_range & self.masks()[np.arange(self.n), safe]
        self.skipped += ~fits
        kinds = np.asarray(v.type_of)[safe]
        values = np.asarray(v.value_of)[safe]
        next_phase = _NEXT_PHASE_TABLE[kinds]
        self.phase = np.where(fits, next_phase, self.phase).astype(np.int8)
        is_bar = fits & (kinds == T_BAR)
        is_pos = fits & (kinds == T_POS)
        is_pitch = fits & (kinds == T_PITCH)
        self.bar_length = np.where(is_bar, np.asarray(v.bar_positions)[safe], self.bar_length)
        self.position = np.where(is_bar, -1, np.where(is_pos, values, self.position))
        self.last_pitch = np.where(is_bar | is_pos, -1, np.where(is_pitch, values, self.last_pitch))
        self.bars = self.bars + is_bar
        return fits

    def row_state(self, i: int) -> GrammarState:
        """Row i as a scalar state (for checks and for resuming one candidate)."""
        state = GrammarState(self.vocab, max_bars=self.max_bars, bar_token_ids=self.bar_token_ids)
        state.phase = int(self.phase[i])
        state.bar_length = int(self.bar_length[i])
        state.position = int(self.position[i])
        state.last_pitch = int(self.last_pitch[i])
        state.bars = int(self.bars[i])
        state.skipped = int(self.skipped[i])
        return state


__all__ = ["AFTER_VEL", "END", "IN_BAR", "PHASE_NAMES", "START", "BatchGrammar", "GrammarState"]
