"""Token ids -> Score, for any int sequence: what does not fit the grammar is skipped.

Decode reads tokens through ``GrammarState`` (the same rules the sampler masks
with), so a sequence sampled under the grammar decodes with nothing skipped,
and garbage decodes to whatever valid music it contains. Reading stops at
EOS. A note cut off before its VEL token is dropped. Notes that would ring
past the last bar are shortened to the longest duration bin that fits, so the
score's length is exactly the number of BAR tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TempoMap

from .grammar import GrammarState
from .vocab import RESOLUTION, T_BAR, T_DUR, T_EOS, T_PITCH, T_VEL, CodecError, Vocabulary, default_vocabulary


@dataclass(frozen=True)
class DecodeStats:
    tokens: int  # tokens read (up to and including EOS)
    skipped: int  # tokens that did not fit the grammar and were ignored
    notes: int
    bars: int


def _as_token_array(tokens: Sequence[int] | np.ndarray) -> np.ndarray:
    try:
        array = np.asarray(tokens)
    except (ValueError, TypeError) as exc:
        raise CodecError("The model output is not a sequence of token numbers.") from exc
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        raise CodecError("The model output is not a sequence of token numbers.")
    return array.astype(np.int64, copy=False)


def decode_with_stats(
    tokens: Sequence[int] | np.ndarray,
    tempo_map: TempoMap | None = None,
    program: int = 0,
    channel: int = 0,
    name: str = "",
    vocab: Vocabulary | None = None,
) -> tuple[Score, DecodeStats]:
    """Score with one track, plus counts of what was read and skipped."""
    vocab = vocab or default_vocabulary()
    array = _as_token_array(tokens)
    state = GrammarState(vocab)
    type_of, value_of = vocab.type_of, vocab.value_of
    meter_changes: list[MeterChange] = []
    raw_notes: list[tuple[int, int, int, int]] = []  # start position, pitch, duration, velocity
    bar_start = 0
    bar_length = 0
    pending_pitch = pending_duration = 0
    read = 0
    for token in array.tolist():
        read += 1
        if not state.advance(token):
            continue
        kind = int(type_of[token])
        if kind == T_EOS:
            break
        if kind == T_BAR:
            bar_start += bar_length
            bar_length = int(vocab.bar_positions[token])
            meter_changes.append(MeterChange(state.bars - 1, vocab.meter_of(token)))
        elif kind == T_PITCH:
            pending_pitch = int(value_of[token])
        elif kind == T_DUR:
            pending_duration = int(value_of[token])
        elif kind == T_VEL:
            raw_notes.append((bar_start + state.position, pending_pitch, pending_duration, int(value_of[token])))
    end = bar_start + bar_length
    notes = []
    for start, pitch, duration, velocity in raw_notes:
        if start + duration > end:
            duration = vocab.longest_bin_within(end - start)
        notes.append(Note(Fraction(start, RESOLUTION), pitch, Fraction(duration, RESOLUTION), velocity, channel))
    track = Track(name=name, notes=tuple(notes), program=program, channel=channel)
    meter_map = MeterMap.from_changes(meter_changes) if meter_changes else MeterMap()
    score = Score(
        tracks=(track,),
        meter_map=meter_map,
        tempo_map=tempo_map or TempoMap(),
        length_bars=state.bars,
    )
    stats = DecodeStats(tokens=read, skipped=state.skipped, notes=len(notes), bars=state.bars)
    return score, stats


def decode(
    tokens: Sequence[int] | np.ndarray,
    tempo_map: TempoMap | None = None,
    program: int = 0,
    channel: int = 0,
    name: str = "",
    vocab: Vocabulary | None = None,
) -> Score:
    """A valid one-track Score from any int sequence; raises CodecError only for non-integer input."""
    score, _ = decode_with_stats(tokens, tempo_map, program, channel, name, vocab)
    return score
