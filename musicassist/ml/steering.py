"""Steering while sampling: the composer's constraints as logit masks and biases.

``plan_steering`` turns a ``Steering`` (scale, register, density, polyphony,
locked notes) into arrays over the vocabulary and checks up front that the
constraints can be met at all (an impossible one is an ``OptionError`` before
any sampling). ``SteeringTracker`` follows every candidate of a batch through
the continuation (bar, notes in the bar, when each pitch stops sounding, which
locked note is next) and, each step, gives two masks on top of the grammar:

* ``strict``: must hold (register, strict scale, locked notes, notes may not
  ring past the last bar, no early end, a token budget per bar);
* ``soft`` (a list, most important first): wanted, but each is dropped for a
  row if nothing would be left (maximum polyphony, density ceiling, density
  floor) — they can conflict with each other or with locked notes, and a
  candidate must always have a next token.

``logit_bias`` adds, per row, the biases of ``steering_bias`` on top of the
plan's: the repetition cap (keeps a masked line from freezing on one pitch) and
the density tilt towards a target in notes per bar.

Positions here count 1/12 quarters from the start of the continuation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicassist.codec.grammar import AFTER_DUR, AFTER_PITCH, AFTER_POS, AFTER_VEL, IN_BAR
from musicassist.codec.vocab import RESOLUTION, T_BAR, T_DUR, T_PITCH, T_POS, T_VEL, Vocabulary
from musicassist.core.errors import OptionError
from musicassist.core.generation import Steering
from musicassist.core.timemaps import PITCH_CLASS_NAMES, TimeSignature

from .steering_bias import REPEAT_CAPS, density_tilt, gap_bias, length_bias, repeat_cap

# Logits subtracted from out-of-scale pitches under a soft scale (e^0.25 = 1.3 times less likely): a nudge,
# not a rule (ticking "only notes of the scale" makes it one). Chosen on the validation split with the
# continuation check's "app" setting (256 seeds) so that default continuations are in key as often as real
# music, chromatic notes included. Shipped model of 2026-11-29: penalty 0 / 0.25 / 0.5 / 0.75 / 1 gave
# 0.940 / 0.955 / 0.967 / 0.978 / 0.984 of notes in scale against 0.958 for the real continuations (the
# model of 2026-11-22 needed 1.0: 0.862 at 0). Re-run the check when the shipped model changes.
SOFT_SCALE_PENALTY = 0.25
TOKENS_PER_BAR_LIMIT = 400  # a runaway bar is closed after this many tokens (keeps sampling bounded)


@dataclass(frozen=True)
class LockedEvent:
    """A pinned note on the token grid: bar of the continuation, position in it, and its tokens."""

    bar: int
    position: int
    pitch: int
    duration_id: int
    velocity_id: int


@dataclass(frozen=True)
class SteeringPlan:
    """Everything the per-step masks need, precomputed for one request."""

    length_bars: int
    bar_positions: int
    allowed_pitches: np.ndarray  # (128,) bool: register and, when strict, the scale
    bias: np.ndarray  # (V,) float32 added to the logits (soft scale)
    density_bounds: tuple[int, int] | None  # fewest and most notes per bar
    max_polyphony: int | None
    locks: tuple[LockedEvent, ...]  # in token order: (bar, position, pitch)
    density_target: float | None = None  # notes per bar the density tilt aims at (None: no tilt)

    @property
    def total_positions(self) -> int:
        return self.length_bars * self.bar_positions


def _scale_name(steering: Steering) -> str:
    assert steering.scale is not None
    return f"{PITCH_CLASS_NAMES[steering.scale.tonic]} {steering.scale.mode}"


def _note_name(pitch: int) -> str:
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _plan_locks(steering: Steering, vocab: Vocabulary, allowed: np.ndarray, bar_positions: int,
                length_bars: int) -> tuple[LockedEvent, ...]:
    total = bar_positions * length_bars
    events: dict[tuple[int, int], LockedEvent] = {}
    for note in steering.locked:
        start = round(note.start * RESOLUTION)
        beat = f"{float(note.start):g}"
        if start >= total:
            raise OptionError(
                f"A locked note at beat {beat} lies after the {length_bars} bars to generate."
            )
        if not steering.lowest <= note.pitch <= steering.highest:
            raise OptionError(f"The locked note {_note_name(note.pitch)} is outside the chosen pitch range.")
        if not allowed[note.pitch]:
            raise OptionError(
                f"The locked note {_note_name(note.pitch)} is not in the scale of {_scale_name(steering)}."
            )
        length = vocab.duration_bin(max(1, round(note.duration * RESOLUTION)))
        if start + length > total:
            length = vocab.longest_bin_within(total - start)
        event = LockedEvent(start // bar_positions, start % bar_positions, note.pitch,
                            vocab.dur_id(length), vocab.vel_id(note.velocity))
        events[(start, note.pitch)] = event  # two locks on one grid slot and pitch are one note
    return tuple(sorted(events.values(), key=lambda e: (e.bar, e.position, e.pitch)))


def _check_locks_against_limits(locks: tuple[LockedEvent, ...], vocab: Vocabulary, bar_positions: int,
                                density: tuple[int, int] | None, max_polyphony: int | None) -> None:
    if density is not None:
        per_bar: dict[int, int] = {}
        for event in locks:
            per_bar[event.bar] = per_bar.get(event.bar, 0) + 1
        for bar, count in per_bar.items():
            if count > density[1]:
                raise OptionError(
                    f"Bar {bar + 1} of the continuation has {count} locked notes, more than the "
                    f"density allows ({density[1]})."
                )
    if max_polyphony is not None:
        spans = [(e.bar * bar_positions + e.position, int(vocab.value_of[e.duration_id])) for e in locks]
        for start, _ in spans:
            sounding = sum(1 for s, d in spans if s <= start < s + d)
            if sounding > max_polyphony:
                raise OptionError(
                    f"{sounding} locked notes sound at once, more than the {max_polyphony} allowed."
                )


def density_bounds(steering: Steering) -> tuple[int, int] | None:
    """Fewest and most notes per bar for a density target and its tolerance (None: no target)."""
    if steering.density is None:
        return None
    low_value = steering.density * (1.0 - steering.density_tolerance)
    high_value = steering.density * (1.0 + steering.density_tolerance)
    # Steering refuses a NaN or infinite density, but not a NaN tolerance; int() of either would raise.
    if not (np.isfinite(low_value) and np.isfinite(high_value)):
        raise OptionError("The density and its tolerance must be finite numbers.")
    low, high = int(np.floor(low_value)), int(np.ceil(high_value))
    return max(0, low), max(1, high, low)


def plan_steering(steering: Steering, vocab: Vocabulary, meter: TimeSignature, length_bars: int) -> SteeringPlan:
    """Validate the constraints against each other and precompute the masks; OptionError if impossible."""
    bar_positions = int(vocab.bar_positions[vocab.bar_id(meter)])
    pitches = np.arange(128)
    allowed = (pitches >= steering.lowest) & (pitches <= steering.highest)
    bias = np.zeros(vocab.size, dtype=np.float32)
    if steering.scale is not None:
        in_scale = np.isin(pitches % 12, sorted(steering.scale.scale_pitch_classes))
        if steering.scale_strict:
            allowed &= in_scale
            if not allowed.any():
                raise OptionError(
                    f"No note of {_scale_name(steering)} lies between {_note_name(steering.lowest)} and "
                    f"{_note_name(steering.highest)}."
                )
        else:
            bias[vocab.pitch_ids[~in_scale]] = -SOFT_SCALE_PENALTY
    bounds = density_bounds(steering)
    locks = _plan_locks(steering, vocab, allowed, bar_positions, length_bars)
    _check_locks_against_limits(locks, vocab, bar_positions, bounds, steering.max_polyphony)
    allowed.setflags(write=False)
    bias.setflags(write=False)
    return SteeringPlan(length_bars, bar_positions, allowed, bias, bounds, steering.max_polyphony, locks,
                        steering.density)


class SteeringTracker:
    """Per-candidate progress through the continuation, updated after every sampled token.

    The grammar's own state (phase, position in the bar, last pitch) is passed in
    each step rather than duplicated here.
    """

    def __init__(self, plan: SteeringPlan, vocab: Vocabulary, batch_size: int) -> None:
        self.plan = plan
        self.vocab = vocab
        n = batch_size
        self.bar = np.full(n, -1, dtype=np.int32)  # continuation bar, -1 before its first BAR token
        self.notes_in_bar = np.zeros(n, dtype=np.int32)
        self.tokens_in_bar = np.zeros(n, dtype=np.int32)
        self.ends = np.zeros((n, 128), dtype=np.int32)  # when each pitch stops sounding
        self.current_pitch = np.zeros(n, dtype=np.int32)
        self.next_lock = np.zeros(n, dtype=np.int32)
        self.placing_lock = np.zeros(n, dtype=bool)  # the note being written is the next locked one
        self.retriggers = np.zeros(n, dtype=bool)  # a pitch was struck again while still sounding
        # The melodic line (highest pitch of each onset) for the repetition cap: its last pitch, how many
        # times in a row it was struck, and the highest pitch of the onset being written.
        self.line_pitch = np.full(n, -1, dtype=np.int32)
        self.run = np.zeros(n, dtype=np.int32)
        self.onset_top = np.full(n, -1, dtype=np.int32)
        self.notes_total = np.zeros(n, dtype=np.int32)
        self.natural_density: float | None = None  # the seed's notes per bar (the density tilt starts from it)
        self.repeat_hazard = np.asarray(REPEAT_CAPS, dtype=float)
        locks = plan.locks
        self._lock_bar = np.array([e.bar for e in locks] + [plan.length_bars], dtype=np.int32)
        self._lock_pos = np.array([e.position for e in locks] + [0], dtype=np.int32)
        self._lock_pitch = np.array([e.pitch for e in locks] + [0], dtype=np.int32)
        self._lock_dur = np.array([e.duration_id for e in locks] + [0], dtype=np.int64)
        self._lock_vel = np.array([e.velocity_id for e in locks] + [0], dtype=np.int64)
        self._pos_values = np.asarray(vocab.value_of[vocab.pos_ids])
        self._dur_values = np.asarray(vocab.value_of[vocab.dur_ids])
        self._pitch_slice = slice(int(vocab.pitch_ids[0]), int(vocab.pitch_ids[-1]) + 1)
        self._pos_slice = slice(int(vocab.pos_ids[0]), int(vocab.pos_ids[-1]) + 1)
        self._dur_slice = slice(int(vocab.dur_ids[0]), int(vocab.dur_ids[-1]) + 1)
        self._bar_slice = slice(int(vocab.bar_ids[0]), int(vocab.bar_ids[-1]) + 1)

    def select(self, rows: np.ndarray) -> None:
        """Keep only some rows (candidates that finished leave the batch)."""
        for name in ("bar", "notes_in_bar", "tokens_in_bar", "ends", "current_pitch", "next_lock",
                     "placing_lock", "retriggers", "line_pitch", "run", "onset_top", "notes_total"):
            setattr(self, name, getattr(self, name)[rows])

    def absolute_position(self, position: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Grid position from the start of the continuation (the bar start before the first POS)."""
        return self.bar[rows] * self.plan.bar_positions + np.maximum(position, 0)

    def masks(self, phase: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The strict mask (batch, V) and the soft masks, most important first, for the next token.

        A soft mask is applied to a row only if the row keeps at least one token, so when two
        wishes collide (a bar still short of notes while everything left would be too crowded)
        the earlier one wins: polyphony, then the density ceiling, then the density floor.
        """
        plan, vocab = self.plan, self.vocab
        n = phase.shape[0]
        strict = np.ones((n, vocab.size), dtype=bool)
        strict[:, vocab.EOS] = False  # the composer asked for K bars: run to the (K+1)-th bar line
        strict[:, self._pitch_slice] &= plan.allowed_pitches
        here = self.absolute_position(position)
        remaining = plan.total_positions - here
        strict[:, self._dur_slice] &= self._dur_values[None, :] <= remaining[:, None]
        may_move = (phase == IN_BAR) | (phase == AFTER_VEL)
        self._lock_masks(strict, phase, position)
        runaway = may_move & (self.tokens_in_bar >= TOKENS_PER_BAR_LIMIT) & (self._lock_bar[self.next_lock]
                                                                              > self.bar)
        if runaway.any():
            strict[runaway] = False
            strict[runaway, self._bar_slice] = True
        soft: list[np.ndarray] = []
        if plan.max_polyphony is not None:
            soft.append(self._polyphony_mask(phase, here, may_move))
        if plan.density_bounds is not None:
            low, high = plan.density_bounds
            ceiling = np.ones((n, vocab.size), dtype=bool)
            full = may_move & (self.notes_in_bar >= high)
            ceiling[full, self._pos_slice] = False
            ceiling[full, self._pitch_slice] = False
            floor = np.ones((n, vocab.size), dtype=bool)
            floor[may_move & (self.notes_in_bar < low), self._bar_slice] = False
            soft += [ceiling, floor]
        return strict, soft

    def _lock_masks(self, strict: np.ndarray, phase: np.ndarray, position: np.ndarray) -> None:
        lock = self.next_lock
        in_lock_bar = self._lock_bar[lock] == self.bar  # sentinel lock bar = K never matches
        if in_lock_bar.any():
            lock_pos = self._lock_pos[lock]
            rows = np.flatnonzero(in_lock_bar)
            strict[rows, self._bar_slice] = False  # cannot leave the bar before its locked note
            strict[rows, self._pos_slice] &= self._pos_values[None, :] <= lock_pos[rows, None]
            at_lock = rows[(position[rows] == lock_pos[rows]) & ((phase[rows] == AFTER_POS)
                                                                 | (phase[rows] == AFTER_VEL))]
            if at_lock.size:
                strict[at_lock, self._pos_slice] = False
                pitch_values = np.arange(128)
                strict[at_lock, self._pitch_slice] &= pitch_values[None, :] <= self._lock_pitch[lock[at_lock],
                                                                                                None]
        forced = np.flatnonzero(self.placing_lock & ((phase == AFTER_PITCH) | (phase == AFTER_DUR)))
        if forced.size:
            keep = np.where(phase[forced] == AFTER_PITCH, self._lock_dur[lock[forced]],
                            self._lock_vel[lock[forced]])
            strict[forced] = False
            strict[forced, keep] = True

    def _polyphony_mask(self, phase: np.ndarray, here: np.ndarray, may_move: np.ndarray) -> np.ndarray:
        limit = self.plan.max_polyphony
        assert limit is not None
        soft = np.ones((phase.shape[0], self.vocab.size), dtype=bool)
        rows = np.flatnonzero(may_move)
        if rows.size == 0:
            return soft
        ends = self.ends[rows]
        sounding_now = (ends > here[rows, None]).sum(axis=1)
        after_note = phase[rows] == AFTER_VEL
        crowded = rows[after_note & (sounding_now >= limit)]
        soft[crowded, self._pitch_slice] = False
        # A new position q is only worth opening if fewer than `limit` notes still sound at q.
        bar_start = (self.bar[rows] * self.plan.bar_positions)[:, None]
        targets = bar_start + self._pos_values[None, :]  # (rows, positions)
        sounding_then = (ends[:, :, None] > targets[:, None, :]).sum(axis=1)
        soft[rows, self._pos_slice] &= sounding_then < limit
        return soft

    def advance(self, tokens: np.ndarray, position_after: np.ndarray) -> None:
        """Record the sampled tokens; ``position_after`` is the grammar's position once they are read."""
        vocab = self.vocab
        kinds = vocab.type_of[tokens]
        values = vocab.value_of[tokens]
        is_bar = kinds == T_BAR
        self._close_onsets(is_bar | (kinds == T_POS))
        self.bar += is_bar
        self.notes_in_bar[is_bar] = 0
        self.tokens_in_bar[is_bar] = 0
        self.tokens_in_bar[~is_bar] += 1
        is_pitch = kinds == T_PITCH
        if is_pitch.any():
            struck = np.flatnonzero(is_pitch)
            still_sounding = self.ends[struck, values[struck]] > self.absolute_position(position_after[struck], struck)
            self.retriggers[struck[still_sounding]] = True
            self.current_pitch[is_pitch] = values[is_pitch]
            self.notes_in_bar[is_pitch] += 1
            self.notes_total[is_pitch] += 1
            self.onset_top[is_pitch] = np.maximum(self.onset_top[is_pitch], values[is_pitch])
            lock = self.next_lock
            hits = (is_pitch & (self._lock_bar[lock] == self.bar) & (self._lock_pos[lock] == position_after)
                    & (self._lock_pitch[lock] == values))
            self.placing_lock |= hits
        is_dur = np.flatnonzero(kinds == T_DUR)
        if is_dur.size:
            starts = self.absolute_position(position_after[is_dur], is_dur)
            self.ends[is_dur, self.current_pitch[is_dur]] = starts + values[is_dur]
        placed = self.placing_lock & (kinds == T_VEL)
        if placed.any():
            self.next_lock += placed
            self.placing_lock &= ~placed

    def _close_onsets(self, closing: np.ndarray) -> None:
        """An onset is complete (a new POS or BAR follows): extend or restart the melodic line's run."""
        rows = np.flatnonzero(closing & (self.onset_top >= 0))
        if rows.size:
            top = self.onset_top[rows]
            same = top == self.line_pitch[rows]
            self.run[rows] = np.where(same, self.run[rows] + 1, 1)
            self.line_pitch[rows] = top
            self.onset_top[rows] = -1

    def logit_bias(self, logits: np.ndarray, allowed: np.ndarray, phase: np.ndarray, position: np.ndarray,
                   temperature: float, extra: np.ndarray | None = None) -> np.ndarray:
        """The plan's bias (plus ``extra``, e.g. a model's own boost), the density tilt, then the repetition cap.

        Returned as (batch, V), added to the logits after temperature, as ``choose_tokens`` does.
        The cap comes last so that it bounds the probability actually drawn from.
        """
        plan = self.plan
        n = phase.shape[0]
        bias = np.repeat(plan.bias[None, :], n, axis=0)
        if extra is not None:
            bias += extra.astype(np.float32)
        may_move = (phase == IN_BAR) | (phase == AFTER_VEL)
        if plan.density_target is not None:
            self._density_bias(bias, phase, position, may_move)
        choosing_pitch = ((phase == AFTER_POS) | (phase == AFTER_VEL)) & (self.line_pitch >= 0)
        rows = np.flatnonzero(choosing_pitch)
        if rows.size:
            repeat_tokens = self._pitch_slice.start + self.line_pitch[rows]
            caps = self.repeat_hazard[np.minimum(self.run[rows], self.repeat_hazard.size - 1)]
            scaled = logits[rows] * np.float32(1.0 / temperature) + bias[rows]
            extra = repeat_cap(scaled, logits[rows] + bias[rows], allowed[rows], repeat_tokens, caps, temperature)
            bias[rows, repeat_tokens] += extra.astype(np.float32)
        return bias

    def _density_bias(self, bias: np.ndarray, phase: np.ndarray, position: np.ndarray,
                      may_move: np.ndarray) -> None:
        """Tilt the gap to the next onset (POS, BAR, chord note) and the note length towards the target."""
        plan = self.plan
        assert plan.density_target is not None
        rows = np.flatnonzero((may_move | (phase == AFTER_PITCH)) & (self.bar >= 0))
        if not rows.size:
            return
        here = np.maximum(position[rows], 0)
        tilt = density_tilt(plan.density_target, self.natural_density, self.notes_total[rows],
                            self.bar[rows] + here / plan.bar_positions)
        moving = may_move[rows]
        if moving.any():
            at, t = rows[moving], tilt[moving]
            pos_bias, bar_bias, chord_bias = gap_bias(t, here[moving], self._pos_values, plan.bar_positions)
            bias[at, self._pos_slice] += pos_bias.astype(np.float32)
            bias[at, self._bar_slice] += bar_bias[:, None].astype(np.float32)
            chord = phase[at] == AFTER_VEL
            bias[at[chord], self._pitch_slice] += chord_bias[chord, None].astype(np.float32)
        if (~moving).any():  # choosing a length: shorter notes make room for more of them
            bias[rows[~moving], self._dur_slice] += length_bias(tilt[~moving], self._dur_values).astype(np.float32)

    def progress(self, position: np.ndarray) -> np.ndarray:
        """Grid positions reached by each row (for progress reports)."""
        return np.clip(self.absolute_position(position), 0, self.plan.total_positions)

