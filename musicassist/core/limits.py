"""The largest score MusicAssist opens, edits and saves, in one place.

Every reader checks these bounds against what a file *would* create before
building it (a MIDI delta time, a MusicXML duration, an ABC note length), and
every writer checks them against the score before writing, so that anything
MusicAssist accepts it can also save, and anything it saves it can read back.

The bounds are far beyond real music (a 125,000-note MIDI file of an hour
and a half sits well inside them) and small enough that every operation on a
score within them finishes in seconds:

- ``MAX_BEATS``: at the writer's 960 ticks per quarter note the whole piece
  stays under 0x0FFFFFFF ticks, the largest delta time a standard MIDI file
  can hold in its four-byte variable-length quantities.
- ``MAX_BARS``: bars are laid out one by one by the notation readers.
- ``MAX_TRACKS``: a MIDI file holds the conductor track plus one per Track,
  and the MIDI reader opens files of up to 1,024 tracks.
- ``MAX_NOTES``: the MIDI reader's event cap (two events per note).
"""

from __future__ import annotations

from fractions import Fraction

from .score import Score

MAX_BEATS = 200_000  # about 28 hours at 120 BPM
MAX_BARS = 50_000
MAX_TRACKS = 1_023  # plus the conductor track: 1,024 MIDI tracks
MAX_NOTES = 150_000


def size_problem(score: Score) -> str | None:
    """Why ``score`` is beyond the limits above, as the end of a sentence; None when it is within them."""
    if len(score.tracks) > MAX_TRACKS:
        return f"it has {len(score.tracks):,} tracks; MusicAssist handles at most {MAX_TRACKS:,}"
    if score.note_count > MAX_NOTES:
        return f"it has {score.note_count:,} notes; MusicAssist handles at most {MAX_NOTES:,}"
    # The last note start, not the last note end: this runs on every file read and every save, and
    # summing 125,000 Fractions costs half a second. Readers bound each note's length before building
    # it and the MIDI writer checks the ticks it writes.
    last_start = max((t.notes[-1].start for t in score.tracks if t.notes), default=0)
    if max(score.end, last_start) > MAX_BEATS:
        return f"it lasts more than {MAX_BEATS:,} beats, longer than MusicAssist handles"
    if score.bar_count > MAX_BARS:
        return f"it has {score.bar_count:,} bars; MusicAssist handles at most {MAX_BARS:,}"
    return None


def beats_problem(beats: Fraction | int | float) -> str | None:
    """The same sentence end for a length found before a score exists (e.g. in a file's header)."""
    if beats > MAX_BEATS:
        return f"it lasts more than {MAX_BEATS:,} beats, longer than MusicAssist handles"
    return None
