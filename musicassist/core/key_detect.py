"""Guess the key of some notes: the Krumhansl-Kessler key-profile correlation.

Each note adds its duration to its pitch class; the 24 major and minor keys
are scored by the correlation of that distribution with the key's profile
(the profiles are the probe-tone ratings of Krumhansl & Kessler, 1982,
rotated to each tonic). The best correlation wins. Pure: stdlib only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .score import DRUM_CHANNEL, Note
from .timemaps import KeySignature

MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


@dataclass(frozen=True)
class KeyGuess:
    key: KeySignature
    correlation: float  # -1..1; how well the notes fit the key's profile


def pitch_class_durations(notes: Iterable[Note]) -> list[float]:
    """Total sounding length of each pitch class (drums ignored: their pitches are instruments)."""
    weights = [0.0] * 12
    for note in notes:
        if note.channel != DRUM_CHANNEL:
            weights[note.pitch % 12] += float(note.duration)
    return weights


def _correlation(xs: list[float], ys: tuple[float, ...]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    denominator = math.sqrt(sum(d * d for d in dx) * sum(d * d for d in dy))
    return sum(a * b for a, b in zip(dx, dy, strict=True)) / denominator if denominator else 0.0


def rank_keys(notes: Iterable[Note]) -> list[KeyGuess]:
    """All 24 keys, best fitting first; empty when there is nothing pitched to judge."""
    weights = pitch_class_durations(notes)
    if not any(weights):
        return []
    guesses = []
    for tonic in range(12):
        # Rotate the distribution so that the candidate tonic sits at index 0 of the profile.
        rotated = weights[tonic:] + weights[:tonic]
        for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
            guesses.append(KeyGuess(KeySignature(tonic, mode), _correlation(rotated, profile)))
    return sorted(guesses, key=lambda g: -g.correlation)


def detect_key(notes: Iterable[Note]) -> KeySignature | None:
    """The most likely key of ``notes``, or None when there are no pitched notes."""
    ranked = rank_keys(notes)
    return ranked[0].key if ranked else None
