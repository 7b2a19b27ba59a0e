"""Pure edits of a score's key signatures: the opening key and the key changes inside the piece.

The opening key is ``Score.key`` (None when the piece has no written key); the
changes after it are ``Score.key_changes`` by beat. Beat 0 always means the
opening key, so setting a key at beat 0 changes ``Score.key`` and the opening
key cannot be moved or deleted while changes follow it (it could be cleared,
but then "the key from here on" would have nothing to return to). Notes never
move: a key signature is notation, the sampler's and the key finder's hint.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from .errors import ScoreError
from .score import Score
from .timemaps import KeyChange, KeySignature


def key_change_at(score: Score, beat: Fraction) -> KeyChange | None:
    return next((c for c in score.key_changes if c.beat == beat), None)


def set_key(score: Score, beat: Fraction, key: KeySignature) -> Score:
    """``key`` from ``beat`` on: the opening key at beat 0, else a new change or the one there changed."""
    beat = Fraction(beat)
    if beat < 0:
        raise ScoreError("A key change cannot come before the beginning of the piece.")
    if beat == 0:
        return replace(score, key=key)
    kept = tuple(c for c in score.key_changes if c.beat != beat)
    return replace(score, key_changes=(*kept, KeyChange(beat, key)))


def delete_key(score: Score, beat: Fraction) -> Score:
    if beat == 0:
        raise ScoreError("The opening key cannot be deleted; change it instead.")
    if key_change_at(score, beat) is None:
        raise ScoreError("There is no key change there.")
    return replace(score, key_changes=tuple(c for c in score.key_changes if c.beat != beat))


def move_key(score: Score, beat: Fraction, to_beat: Fraction) -> Score:
    """The key change at ``beat`` moved to ``to_beat`` (after the first beat); one there is replaced."""
    change = key_change_at(score, beat)
    if beat == 0:
        raise ScoreError("The opening key stays at the beginning.")
    if change is None:
        raise ScoreError("There is no key change there.")
    if to_beat <= 0:
        raise ScoreError("Only the opening key sits on the first beat.")
    return set_key(delete_key(score, beat), to_beat, change.key)
