"""Numeric note edits (the note properties dialog): set or shift pitch, start, length and velocity,
and move notes to the track on another channel.

``NoteChange`` holds what to change; ``None`` leaves a field alone. Absolute
changes set the value on every note; relative ones add to each note's own
value, so several notes keep their shape. Results outside what a note may
be (pitch 0..127, velocity 1..127, start >= 0, positive length) are refused
with a ``ScoreError`` naming the limit, rather than silently clamped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from .errors import ScoreError
from .score import Note, Score, Track


@dataclass(frozen=True)
class NoteChange:
    pitch: int | None = None
    start: Fraction | None = None
    duration: Fraction | None = None
    velocity: int | None = None
    relative: bool = False

    @property
    def is_empty(self) -> bool:
        return all(v is None or (self.relative and v == 0)
                   for v in (self.pitch, self.start, self.duration, self.velocity))


def _apply(old: int, value: int | None, relative: bool) -> int:
    return old if value is None else old + value if relative else value


def _apply_beats(old: Fraction, value: Fraction | None, relative: bool) -> Fraction:
    return old if value is None else old + value if relative else value


def changed_notes(notes: tuple[Note, ...] | list[Note], change: NoteChange) -> list[Note]:
    """``notes`` with ``change`` applied, in the same order (ScoreError when one would be invalid)."""
    out = []
    for note in notes:
        pitch = _apply(note.pitch, change.pitch, change.relative)
        velocity = _apply(note.velocity, change.velocity, change.relative)
        start = _apply_beats(note.start, change.start, change.relative)
        duration = _apply_beats(note.duration, change.duration, change.relative)
        if not 0 <= pitch <= 127:
            raise ScoreError(f"That would put a note at pitch {pitch}, outside 0..127.")
        if not 1 <= velocity <= 127:
            raise ScoreError(f"That would give a note velocity {velocity}, outside 1..127.")
        if start < 0:
            raise ScoreError("That would move a note before the beginning of the piece.")
        if duration <= 0:
            raise ScoreError("That would leave a note with no length.")
        out.append(replace(note, pitch=pitch, start=start, duration=duration, velocity=velocity))
    return out


def move_notes_to_channel(score: Score, track_index: int, notes: list[Note] | tuple[Note, ...],
                          channel: int) -> tuple[Score, int]:
    """Move ``notes`` of track ``track_index`` to the first track on ``channel`` (a new one when none is).

    A note sounds on its track's channel, so "this note on channel 3" means "in the
    track that plays on channel 3". Returns the score and the index of that track.
    """
    if not 0 <= channel <= 15:
        raise ScoreError(f"Channel {channel + 1} is outside 1..16.")
    source = score.track(track_index)
    if source.channel == channel:
        return score, track_index
    moving = set(notes)
    tracks = list(score.tracks)
    tracks[track_index] = source.with_notes(n for n in source.notes if n not in moving)
    target = next((i for i, t in enumerate(tracks) if t.channel == channel), None)
    moved = [replace(n, channel=channel) for n in notes]
    if target is None:
        tracks.append(Track(f"Channel {channel + 1}", tuple(moved), source.program, channel))
        target = len(tracks) - 1
    else:
        tracks[target] = tracks[target].with_notes([*tracks[target].notes, *moved])
    return replace(score, tracks=tuple(tracks)), target
