"""Score -> token ids: every bar of the score, its notes merged into one polyphonic stream.

Starts snap to the nearest 1/12 quarter, durations to the nearest duration
bin (and are shortened to the largest bin that still ends inside the score,
so that decode gives the same bar count back). A pickup (the meter map's
incomplete first bar) is written as a full bar that starts with a rest, as
the training corpus stores pickups: the codec has no short bars, so decoding
gives the padded bar back. Two notes of one pitch that
land on one grid position collapse into one (the longer wins); the counts
are in ``EncodeStats`` so the corpus builder can report them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from musicassist.core.score import Score

from .vocab import BOS, EOS, RESOLUTION, CodecError, Vocabulary, default_vocabulary


@dataclass(frozen=True)
class EncodeStats:
    notes_in: int  # notes in the chosen tracks
    notes_out: int  # notes written as tokens
    collided: int  # dropped because another note of the same pitch starts on the same grid position
    outside: int  # dropped because snapping moved the start past the score's last bar

    @property
    def dropped(self) -> int:
        return self.collided + self.outside


def _grid(beats: Fraction) -> int:
    """Nearest grid position (halves round up, so the result never depends on float rounding)."""
    scaled = beats * RESOLUTION
    return int((scaled + Fraction(1, 2)) // 1)


def _chosen_tracks(score: Score, track_indices: Sequence[int] | None) -> list[int]:
    if track_indices is None:
        return [i for i, t in enumerate(score.tracks) if not t.is_drums]
    for index in track_indices:
        score.track(index)  # raises a ScoreError naming the missing track
    return list(track_indices)


def _bar_layout(score: Score, vocab: Vocabulary) -> tuple[list[int], list[int]]:
    """BAR token and start position of every bar; unsupported meters raise CodecError."""
    bar_tokens: list[int] = []
    bar_starts: list[int] = []
    start = 0
    changes = score.meter_map.changes
    for i, change in enumerate(changes):
        if change.bar >= score.bar_count:
            break
        until = changes[i + 1].bar if i + 1 < len(changes) else score.bar_count
        until = min(until, score.bar_count)
        token = vocab.bar_id(change.time_signature)
        length = int(vocab.bar_positions[token])
        for _ in range(change.bar, until):
            bar_tokens.append(token)
            bar_starts.append(start)
            start += length
    return bar_tokens, bar_starts


def encode_with_stats(
    score: Score,
    track_indices: Sequence[int] | None = None,
    style: str | None = None,
    bos: bool = True,
    eos: bool = True,
    vocab: Vocabulary | None = None,
) -> tuple[np.ndarray, EncodeStats]:
    """Tokens (int32) plus counts of the notes kept and dropped."""
    vocab = vocab or default_vocabulary()
    bar_tokens, bar_starts = _bar_layout(score, vocab)
    end = bar_starts[-1] + int(vocab.bar_positions[bar_tokens[-1]]) if bar_tokens else 0

    # (start, pitch) -> (duration positions, velocity); the longer (then louder) note wins a collision.
    chosen: dict[tuple[int, int], tuple[int, int]] = {}
    notes_in = outside = 0
    meters = score.meter_map  # a pickup is preceded by the rest that fills its bar
    padding = meters.time_signature_at_bar(0).bar_beats - meters.pickup if meters.pickup else Fraction(0)
    for index in _chosen_tracks(score, track_indices):
        for note in score.tracks[index].notes:
            notes_in += 1
            start = _grid(note.start + padding)
            if start >= end:
                outside += 1
                continue
            length = vocab.duration_bin(max(1, _grid(note.duration)))
            if start + length > end:
                length = vocab.longest_bin_within(end - start)
            key = (start, note.pitch)
            if key not in chosen or (length, note.velocity) > chosen[key]:
                chosen[key] = (length, note.velocity)
    collided = notes_in - outside - len(chosen)

    tokens: list[int] = [BOS] if bos else []
    if style is not None:
        tokens.append(vocab.style_id(style))
    ordered = sorted(chosen.items())
    cursor = 0
    for bar, (bar_token, bar_start) in enumerate(zip(bar_tokens, bar_starts, strict=True)):
        tokens.append(bar_token)
        bar_end = bar_starts[bar + 1] if bar + 1 < len(bar_starts) else end
        last_position = -1
        while cursor < len(ordered) and ordered[cursor][0][0] < bar_end:
            (start, pitch), (length, velocity) = ordered[cursor]
            if start != last_position:
                tokens.append(vocab.pos_id(start - bar_start))
                last_position = start
            tokens += (vocab.pitch_id(pitch), vocab.dur_id(length), vocab.vel_id(velocity))
            cursor += 1
    if eos:
        tokens.append(EOS)
    stats = EncodeStats(notes_in=notes_in, notes_out=len(chosen), collided=collided, outside=outside)
    return np.asarray(tokens, dtype=np.int32), stats


def encode(
    score: Score,
    track_indices: Sequence[int] | None = None,
    style: str | None = None,
    bos: bool = True,
    eos: bool = True,
    vocab: Vocabulary | None = None,
) -> np.ndarray:
    """Token ids (int32) of the chosen tracks (default: all but drums) over all of the score's bars.

    Raises CodecError when a bar's time signature is not in the vocabulary.
    """
    tokens, _ = encode_with_stats(score, track_indices, style, bos, eos, vocab)
    return tokens


def check_encodable(score: Score, vocab: Vocabulary | None = None) -> None:
    """Raise CodecError (one plain sentence) if the score has a meter the codec cannot write."""
    _bar_layout(score, vocab or default_vocabulary())


__all__ = ["CodecError", "EncodeStats", "check_encodable", "encode", "encode_with_stats"]
