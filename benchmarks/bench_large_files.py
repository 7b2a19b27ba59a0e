"""Large valid files in bounded time (issue 12), measured side by side in one run.

Prints:
- MIDI -> MIDI of a 125,000-note piece (8 tracks, ~1,650 bars), in process: read, write and
  the sum (target: under 2 s), median of ``--runs``;
- MusicXML export: the largest score the writer accepts (8,000 notes) and the time it takes
  (target: under 20 s), and the sentence a 15,000-note score gets instead;
- the command as a composer runs it, in fresh interpreters: ``convert`` of the 125,000-note
  file, ``generate`` of 4 candidates, and ``generate --merge`` (4 whole pieces written, spliced
  from the input's bytes: ``io.midi_splice``), with the ratio ``merge / (convert + generate)``.

    .venv/bin/python benchmarks/bench_large_files.py [--runs 3] [--notes 125000]

Times are wall-clock on whatever else the machine is doing; CPU seconds are printed beside.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Note, Score, Track
from musicassist.io import read_score, write_score
from musicassist.io.music21_files import MAX_EXPORT_NOTES, musicxml_bytes

ROOT = Path(__file__).resolve().parent.parent


def big_score(notes: int, tracks: int = 8, seed: int = 1, chords: bool = True) -> Score:
    """Random tracks of sixteenth to half notes. With ``chords``, notes also start together and overlap,
    as in a large piano-roll piece; without, each part is one line of notes, as in a printed score."""
    rng = random.Random(seed)
    steps = (0, 1, 1, 2, 2, 4) if chords else (1, 2, 2, 4)
    built = []
    for number in range(tracks):
        beat, found = Fraction(0), []
        for _ in range(notes // tracks):
            step = Fraction(rng.choice(steps), 4)
            length = Fraction(rng.choice((1, 2, 3, 4, 6, 8)), 4) if chords else step
            found.append(Note(beat, rng.randint(36, 96), length, rng.randint(40, 120), number))
            beat += step
        built.append(Track(f"part {number + 1}", tuple(found), number, number))
    return Score(tracks=tuple(built))


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def command(*args: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds (of the child: on a shared machine the CPU figure is the steadier one)."""
    started, children = time.perf_counter(), os.times()
    result = subprocess.run([sys.executable, "-m", "musicassist.cli.main", *args], capture_output=True, text=True,
                            cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"musicassist {' '.join(args)} failed: {result.stderr.strip()}")
    after = os.times()
    cpu = (after.children_user - children.children_user) + (after.children_system - children.children_system)
    return time.perf_counter() - started, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--notes", type=int, default=125_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-large-"))
    big = folder / "big.mid"
    write_score(big_score(args.notes), big)
    score = read_score(big)
    print(f"{score.note_count:,} notes in {len(score.tracks)} tracks, {score.bar_count:,} bars "
          f"({big.stat().st_size / 2**20:.1f} MB)")

    reads, writes = [], []
    for _ in range(args.runs):
        reads.append(timed(lambda: read_score(big)))
        writes.append(timed(lambda: write_score(score, folder / "copy.mid")))
    read_wall, write_wall = statistics.median(r[0] for r in reads), statistics.median(w[0] for w in writes)
    read_cpu, write_cpu = statistics.median(r[1] for r in reads), statistics.median(w[1] for w in writes)
    print(f"MIDI -> MIDI: read {read_wall:.2f} s + write {write_wall:.2f} s = {read_wall + write_wall:.2f} s "
          f"(CPU {read_cpu + write_cpu:.2f} s; target under 2 s)")

    for label, notes, chords in (("one line per part", MAX_EXPORT_NOTES, False),
                                 ("chords and overlaps", MAX_EXPORT_NOTES, True),
                                 ("one line per part", 15_000, False)):
        candidate = big_score(notes, tracks=4, seed=2, chords=chords)
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            musicxml_bytes(candidate)
            outcome = "written"
        except MusicAssistError as refused:
            outcome = f"refused: {refused}"
        print(f"MusicXML export of {notes:,} notes, {label} ({candidate.bar_count} bars x 4 parts): "
              f"{time.perf_counter() - started:.1f} s (own CPU {time.process_time() - cpu_started:.1f} s, the "
              f"export runs in a child; target under 20 s or a refusal naming the limit): {outcome}")

    out = str(folder / "converted.mid")
    generate = ["generate", str(big), "--bars", "1-4", "--length", "4", "--candidates", "4", "--seed", "1"]
    convert = [command("convert", str(big), out) for _ in range(args.runs)]
    generated = [command(*generate, "--out", str(folder / f"g{i}")) for i in range(args.runs)]
    merges = [command(*generate, "--merge", "--out", str(folder / f"m{i}")) for i in range(args.runs)]
    for label, index in (("wall", 0), ("CPU", 1)):
        convert_s, generate_s, merge_s = (statistics.median(run[index] for run in runs)
                                          for runs in (convert, generated, merges))
        print(f"commands ({label}): convert {convert_s:.2f} s, generate {generate_s:.2f} s, generate --merge "
              f"{merge_s:.2f} s; merge / (convert + generate) = {merge_s / (convert_s + generate_s):.2f} "
              "(target at most 1)")


if __name__ == "__main__":
    main()
