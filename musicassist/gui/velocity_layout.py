"""Where the velocity lane draws each stem: notes that start together are spread apart.

A chord's notes share a start, so their stems would sit on one x and hide
each other. Each group of notes with one start is fanned out around that x,
lowest pitch leftmost, a few pixels apart, never further than halfway to
the next start so that neighbouring groups do not mix. Qt-free (plain
arithmetic on pixel positions) and tested without a widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from musicassist.core.score import Note

STEM_SPREAD = 7.0  # pixels between the stems of notes that start together


def stem_positions(notes: Sequence[Note], beat_to_x: Callable[[Fraction], float],
                   spread: float = STEM_SPREAD) -> list[tuple[float, Note]]:
    """(x, note) for every note: its start's x, fanned out within groups of equal start."""
    groups: dict[Fraction, list[Note]] = {}
    for note in notes:
        groups.setdefault(note.start, []).append(note)
    starts = sorted(groups)
    placed: list[tuple[float, Note]] = []
    for i, start in enumerate(starts):
        group = sorted(groups[start], key=lambda n: (n.pitch, n.velocity))
        x = beat_to_x(start)
        step = spread
        if len(group) > 1:
            room = [abs(beat_to_x(starts[j]) - x) / 2 for j in (i - 1, i + 1) if 0 <= j < len(starts)]
            if room:  # the fan may take at most half the gap to each neighbour
                step = min(spread, 2 * min(room) / len(group))
        middle = (len(group) - 1) / 2
        placed += [(x + (k - middle) * step, note) for k, note in enumerate(group)]
    return placed


def stem_near(placed: list[tuple[float, Note]], x: float, tolerance: float) -> Note | None:
    """The note whose stem is nearest ``x`` within ``tolerance`` pixels."""
    near = [(abs(px - x), note) for px, note in placed if abs(px - x) <= tolerance]
    return min(near, key=lambda pair: pair[0])[1] if near else None
