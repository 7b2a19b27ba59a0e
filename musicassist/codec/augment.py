"""Token-level transforms used for training data: transposition by semitones."""

from __future__ import annotations

import numpy as np

from .vocab import Vocabulary, default_vocabulary


def augment_transpose(tokens: np.ndarray, semitones: int, vocab: Vocabulary | None = None) -> np.ndarray | None:
    """The sequence with every PITCH token shifted, or None if any pitch would leave 0..127.

    Shifting all pitches by one amount keeps pitches increasing within a
    position, so a grammatical sequence stays grammatical.
    """
    vocab = vocab or default_vocabulary()
    tokens = np.asarray(tokens)
    if semitones == 0:
        return tokens.copy()
    first, last = int(vocab.pitch_ids[0]), int(vocab.pitch_ids[-1])
    is_pitch = (tokens >= first) & (tokens <= last)
    shifted = tokens[is_pitch] + semitones
    if shifted.size and (shifted.min() < first or shifted.max() > last):
        return None
    out = tokens.copy()
    out[is_pitch] = shifted
    return out


def pitch_range(tokens: np.ndarray, vocab: Vocabulary | None = None) -> tuple[int, int] | None:
    """Lowest and highest MIDI pitch in a sequence (None without notes): the room to transpose."""
    vocab = vocab or default_vocabulary()
    tokens = np.asarray(tokens)
    first = int(vocab.pitch_ids[0])
    pitches = tokens[(tokens >= first) & (tokens <= int(vocab.pitch_ids[-1]))] - first
    if pitches.size == 0:
        return None
    return int(pitches.min()), int(pitches.max())
