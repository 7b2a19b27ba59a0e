"""Guess the key of some notes: the one key finder of the app, the command line and the checks.

Each of the 24 major and minor keys gets a score:

* the correlation of the notes' pitch-class weights with the key's profile (the
  Bellman-Budge profiles, rotated to each tonic); a note
  weighs its duration times a metric weight (a note on a bar line counts more than
  one on a beat, which counts more than one off the beat: tonic and dominant notes
  sit on strong beats, passing notes between them);
* a bonus when the lowest note of the first onset is the key's tonic, and when the
  lowest note of the last onset is (much larger when the notes end a whole piece:
  pieces end on their tonic far more often than they start on it; a seed of a few
  bars usually stops mid-phrase);
* a small bonus for the two keys (major and relative minor) of the key signature
  written in the file, when the score carries one: a hint, not a rule, since files
  do not always mean it (the Essen ABC files write the tonic as ``K:`` and spell
  out every accidental, so a G minor tune reads as "one sharp").

The constants below were chosen on 450 labelled pieces of the music21 corpus
(``benchmarks/bench_steering.py`` prints the agreement and the confusions):
Krumhansl-Kessler alone agreed on 80.7% of whole pieces and 66.2% of 4-bar openings,
mostly by naming the dominant key. Pure: numpy and the core only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .score import DRUM_CHANNEL, Note, Score
from .timemaps import KeySignature

# Bellman-Budge profiles (tonic first): pitch-class durations counted in a corpus of tonal music. On the
# labelled set they beat Krumhansl-Kessler, Temperley, Aarden-Essen and Albrecht-Shanahan on 4-bar openings.
MAJOR_PROFILE = (16.80, 0.86, 12.95, 1.41, 13.49, 11.93, 1.25, 20.28, 1.80, 8.04, 0.62, 10.57)
MINOR_PROFILE = (18.16, 0.69, 12.99, 13.34, 1.07, 11.15, 1.38, 21.07, 7.49, 1.53, 0.92, 10.21)
DOWNBEAT_WEIGHT = 1.5  # a note starting on a bar line, against 1 off the beat
BEAT_WEIGHT = 1.5  # a note starting on a quarter-note beat
FIRST_BASS_BONUS = 0.1  # correlation points when the first onset's lowest note is the tonic
LAST_BASS_BONUS = 0.0  # ... when the last onset's lowest note is, for a passage (a seed stops mid-phrase)
FINAL_BASS_BONUS = 0.4  # ... when the last onset's lowest note is, for a whole piece
SIGNATURE_BONUS = 0.1  # ... for the two keys of the signature written in the file (a hint, not a rule)
_GRID = 1e-6  # tolerance when testing whether a start falls on a beat (starts are float quarters)


@dataclass(frozen=True)
class KeyGuess:
    key: KeySignature
    correlation: float  # the score: profile correlation (-1..1) plus the bonuses above


def pitch_class_durations(notes: Iterable[Note]) -> list[float]:
    """Total sounding length of each pitch class (drums ignored: their pitches are instruments)."""
    weights = [0.0] * 12
    for note in notes:
        if note.channel != DRUM_CHANNEL:
            weights[note.pitch % 12] += float(note.duration)
    return weights


def _profiles() -> np.ndarray:
    """(24, 12): row 2*t is t major, row 2*t+1 is t minor, each profile rotated to its tonic and centred."""
    rows = []
    for tonic in range(12):
        for profile in (MAJOR_PROFILE, MINOR_PROFILE):
            rotated = np.roll(np.asarray(profile, dtype=float), tonic)
            rows.append(rotated - rotated.mean())
    return np.array(rows)


_CENTRED = _profiles()
_KEYS = tuple(KeySignature(t, m) for t in range(12) for m in ("major", "minor"))
_TONICS = np.repeat(np.arange(12), 2)


def metric_weights(starts: np.ndarray, bar_length: float | None) -> np.ndarray:
    """Weight of each onset by where it falls: bar line, quarter beat, or elsewhere (starts in quarters)."""
    starts = np.asarray(starts, dtype=float)
    on_beat = np.abs(starts - np.round(starts)) < _GRID
    weights = np.where(on_beat, BEAT_WEIGHT, 1.0)
    if bar_length:
        in_bar = np.mod(starts, bar_length)
        downbeat = (in_bar < _GRID) | (bar_length - in_bar < _GRID)
        weights = np.where(downbeat, DOWNBEAT_WEIGHT, weights)
    return weights


def _bass_at(pitches: np.ndarray, starts: np.ndarray, which: str) -> int:
    onset = starts.min() if which == "first" else starts.max()
    return int(pitches[np.abs(starts - onset) < _GRID].min()) % 12


def key_scores(pitches: np.ndarray, starts: np.ndarray, durations: np.ndarray, *, bar_length: float | None = None,
               signature: KeySignature | None = None, ends_piece: bool = False) -> np.ndarray:
    """(24,) score of every key (order of ``all_keys()``); -inf for keys a written signature rules out."""
    pitches = np.asarray(pitches, dtype=np.int64)
    starts = np.asarray(starts, dtype=float)
    weights = np.asarray(durations, dtype=float) * metric_weights(starts, bar_length)
    histogram = np.bincount(pitches % 12, weights=weights, minlength=12)
    centred = histogram - histogram.mean()
    spread = float(np.sqrt((centred**2).sum()))
    norms = np.sqrt((_CENTRED**2).sum(axis=1))
    scores = _CENTRED @ centred / (norms * spread) if spread else np.zeros(24)
    scores = scores + FIRST_BASS_BONUS * (_bass_at(pitches, starts, "first") == _TONICS)
    last_bonus = FINAL_BASS_BONUS if ends_piece else LAST_BASS_BONUS
    scores = scores + last_bonus * (_bass_at(pitches, starts, "last") == _TONICS)
    if signature is not None:
        scores = scores + SIGNATURE_BONUS * np.array([k.sharps == signature.sharps for k in _KEYS])
    return np.asarray(scores, dtype=float)


def all_keys() -> tuple[KeySignature, ...]:
    """The 24 keys in the order ``key_scores`` scores them."""
    return _KEYS


def rank_key_arrays(pitches: np.ndarray, starts: np.ndarray, durations: np.ndarray, *,
                    bar_length: float | None = None, signature: KeySignature | None = None,
                    ends_piece: bool = False) -> list[KeyGuess]:
    """All keys a signature allows, best first; empty when there are no notes."""
    if len(pitches) == 0 or not np.any(np.asarray(durations) > 0):
        return []
    scores = key_scores(pitches, starts, durations, bar_length=bar_length, signature=signature,
                        ends_piece=ends_piece)
    order = sorted(range(24), key=lambda i: (-scores[i], i))
    return [KeyGuess(_KEYS[i], float(scores[i])) for i in order if np.isfinite(scores[i])]


def rank_keys(notes: Iterable[Note], *, bar_length: float | None = None, signature: KeySignature | None = None,
              ends_piece: bool = False) -> list[KeyGuess]:
    """All keys, best fitting first (drums ignored); empty when there is nothing pitched to judge.

    ``bar_length`` (quarters, bar lines at its multiples from beat 0) lets notes on bar
    lines weigh more; ``signature`` is the key written in the file, if any; ``ends_piece``
    says that the notes run to the end of a piece (its last bass note is then strong evidence).
    """
    pitched = [n for n in notes if n.channel != DRUM_CHANNEL]
    return rank_key_arrays(np.array([n.pitch for n in pitched], dtype=np.int64),
                           np.array([float(n.start) for n in pitched]),
                           np.array([float(n.duration) for n in pitched]),
                           bar_length=bar_length, signature=signature, ends_piece=ends_piece)


def detect_key(notes: Iterable[Note], *, bar_length: float | None = None, signature: KeySignature | None = None,
               ends_piece: bool = False) -> KeySignature | None:
    """The most likely key of ``notes``, or None when there are no pitched notes."""
    ranked = rank_keys(notes, bar_length=bar_length, signature=signature, ends_piece=ends_piece)
    return ranked[0].key if ranked else None


def detect_key_arrays(pitches: np.ndarray, starts: np.ndarray, durations: np.ndarray, *,
                      bar_length: float | None = None, signature: KeySignature | None = None,
                      ends_piece: bool = False) -> KeySignature | None:
    """``detect_key`` over plain arrays (starts and durations in quarters): what the ML checks call."""
    ranked = rank_key_arrays(pitches, starts, durations, bar_length=bar_length, signature=signature,
                             ends_piece=ends_piece)
    return ranked[0].key if ranked else None


def passage_key(score: Score, notes: Iterable[Note] | None = None, first_bar: int = 0,
                ends_piece: bool = False) -> KeySignature | None:
    """The key of some of ``score``'s notes (all of them by default), read as the score lays them out.

    The one key-finding operation of the window (the detected key of a selection),
    ``musicassist info`` (a whole piece, ``ends_piece``) and ``generate``: bar lines
    come from the score's meter at ``first_bar`` (notes count from that bar's start),
    the written key signature in force at that bar (``score.key_at``: a key change inside the
    piece counts from where it stands).
    """
    chosen = [n for n in (score.notes if notes is None else notes) if n.channel != DRUM_CHANNEL]
    origin = float(score.bar_start(first_bar)) if first_bar else 0.0
    bar_length = float(score.meter_map.time_signature_at_bar(first_bar).bar_beats)
    return detect_key_arrays(np.array([n.pitch for n in chosen], dtype=np.int64),
                             np.array([float(n.start) - origin for n in chosen]),
                             np.array([float(n.duration) for n in chosen]),
                             bar_length=bar_length, signature=score.key_at(score.bar_start(first_bar)),
                             ends_piece=ends_piece)
