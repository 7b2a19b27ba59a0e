"""Piano-roll painting speed: a score of 10,000 notes painted offscreen into a QImage.

Two painters, side by side in one run, on the same image size and geometry:

- ``naive``: what a first version does: every note of every track, with a
  brush change and one ``drawRect`` call per note (no culling, no batching).
- ``musicassist``: ``RollPainter`` as the window uses it: grid, dimmed other
  tracks, the edited track coloured by velocity, a selection, ghost notes,
  cursor and playhead; notes found by bisect on the start-sorted index
  (viewport culling) and drawn in one ``drawRects`` call per colour.

Views: ``typical`` (default zoom, 1400x800, in the middle of the piece) and
``zoomed-out`` (every one of the 10,000 notes on screen, the worst case).
The target is a paint under 16 ms (60 frames a second). Prints the median of
several paints per case and the speed-up ratio.
Run: ``.venv/bin/python benchmarks/bench_paint.py``.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtGui import QGuiApplication, QImage, QPainter

from musicassist.core.score import BarRange, Note, Score, Track
from musicassist.gui.roll_geometry import RollGeometry
from musicassist.gui.roll_painter import Ghost, RollPainter, RollScene, paint_naively

NOTE_COUNT = 10_000
WIDTH, HEIGHT = 1400, 800
REPEATS = 25
TARGET_MS = 16.0


def big_score() -> Score:
    """Two tracks, 10,000 notes in all, about four notes per beat (a busy piano piece)."""
    rng = random.Random(5)
    melody, accompaniment = [], []
    beat = Fraction(0)
    while len(melody) + len(accompaniment) < NOTE_COUNT:
        melody.append(Note(beat, rng.randint(64, 88), Fraction(rng.choice((1, 2, 3))), rng.randint(30, 127)))
        if beat.denominator == 1:  # a chord on every beat
            root = rng.randint(40, 56)
            accompaniment += [Note(beat, root + step, Fraction(1), rng.randint(40, 90)) for step in (0, 4, 7)]
        beat += Fraction(1, 2)
    notes = (melody + accompaniment)[:NOTE_COUNT]
    return Score(tracks=(Track("Melody", tuple(n for n in notes if n.pitch >= 64)),
                         Track("Chords", tuple(n for n in notes if n.pitch < 64), channel=1)))


def median_ms(paint: Callable[[QPainter], None]) -> float:
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for _ in range(REPEATS):
        painter = QPainter(image)
        started = time.perf_counter()
        paint(painter)
        painter.end()  # flushes the raster engine: part of the cost
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    QGuiApplication(sys.argv[:1])
    score = big_score()
    assert score.note_count == NOTE_COUNT
    middle = score.end / 2
    melody = score.tracks[0].notes
    selection = frozenset(n for n in melody if middle <= n.start < middle + 8)
    ghost = Ghost(tuple(n.moved(-middle - 8) for n in melody if middle + 8 <= n.start < middle + 24), middle + 8)
    typical = RollGeometry(pixels_per_beat=60, key_height=12, scroll_x=float(middle) * 60, scroll_y=400)
    zoomed_out = RollGeometry(pixels_per_beat=WIDTH / float(score.end), key_height=HEIGHT / 128)
    scene = RollScene(score, 0, selection, ghost, BarRange(10, 14), middle, float(middle) + 3, Fraction(1, 4))
    painter = RollPainter()
    print(f"{NOTE_COUNT} notes, {score.bar_count} bars, image {WIDTH}x{HEIGHT}, median of {REPEATS} paints")
    print(f"{'view':<12} {'naive ms':>10} {'musicassist ms':>15} {'ratio':>7}  under {TARGET_MS:g} ms?")
    for name, geometry in (("typical", typical), ("zoomed-out", zoomed_out)):
        naive = median_ms(lambda p, g=geometry: paint_naively(p, g, score, WIDTH, HEIGHT))
        ours = median_ms(lambda p, g=geometry: painter.paint(p, g, scene, WIDTH, HEIGHT))
        verdict = "yes" if ours < TARGET_MS else "NO"
        print(f"{name:<12} {naive:>10.2f} {ours:>15.2f} {naive / ours:>6.1f}x  {verdict}")


if __name__ == "__main__":
    main()
