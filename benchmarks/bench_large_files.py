"""Large valid files in bounded time (issue 12), measured side by side in one run.

Prints:
- MIDI -> MIDI of a 125,000-note piece (8 tracks, ~1,650 bars), in process: read, write and
  the sum (target: under 2 s), median of ``--runs``;
- MusicXML export: the largest score the writer accepts (8,000 notes) and the time it takes
  (target: under 20 s), and the sentence a 15,000-note score gets instead;
- the command as a composer runs it, in fresh interpreters: ``convert`` of the 125,000-note
  file, ``generate`` of 4 candidates, and ``generate --merge`` (4 whole pieces written), with
  the ratio ``merge / (convert + generate)``.

    .venv/bin/python benchmarks/bench_large_files.py [--runs 3] [--notes 125000]

Times are wall-clock on whatever else the machine is doing; CPU seconds are printed beside.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Note, Score, Track
from musicassist.io import read_score, write_score
from musicassist.io.music21_files import MAX_EXPORT_NOTES, musicxml_bytes

ROOT = Path(__file__).resolve().parent.parent


def big_score(notes: int, tracks: int = 8, seed: int = 1) -> Score:
    """Random melodic tracks of sixteenth to half notes, some chords: like a large piano-roll piece."""
    rng = random.Random(seed)
    built = []
    for number in range(tracks):
        beat, found = Fraction(0), []
        for _ in range(notes // tracks):
            found.append(Note(beat, rng.randint(36, 96), Fraction(rng.choice((1, 2, 3, 4, 6, 8)), 4),
                              rng.randint(40, 120), number))
            beat += Fraction(rng.choice((0, 1, 1, 2, 2, 4)), 4)
        built.append(Track(f"part {number + 1}", tuple(found), number, number))
    return Score(tracks=tuple(built))


def timed(action) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def command(*args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "musicassist.cli.main", *args], capture_output=True, text=True,
                            cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"musicassist {' '.join(args)} failed: {result.stderr.strip()}")
    return time.perf_counter() - started


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

    largest = big_score(MAX_EXPORT_NOTES, tracks=4, seed=2)
    wall, cpu = timed(lambda: musicxml_bytes(largest))
    print(f"MusicXML export of {largest.note_count:,} notes ({largest.bar_count} bars x 4 parts): {wall:.1f} s "
          f"(CPU {cpu:.1f} s; target under 20 s)")
    try:
        musicxml_bytes(big_score(15_000, tracks=4, seed=3))
        print("MusicXML export of 15,000 notes: accepted")
    except MusicAssistError as refused:
        print(f"MusicXML export of 15,000 notes: refused: {refused}")

    out = str(folder / "converted.mid")
    generate = ["generate", str(big), "--bars", "1-4", "--length", "4", "--candidates", "4", "--seed", "1"]
    convert_s = statistics.median(command("convert", str(big), out) for _ in range(args.runs))
    generate_s = statistics.median(command(*generate, "--out", str(folder / f"g{i}")) for i in range(args.runs))
    merge_s = statistics.median(command(*generate, "--merge", "--out", str(folder / f"m{i}"))
                                for i in range(args.runs))
    print(f"commands: convert {convert_s:.2f} s, generate {generate_s:.2f} s, generate --merge {merge_s:.2f} s; "
          f"merge / (convert + generate) = {merge_s / (convert_s + generate_s):.2f} (target at most 1)")


if __name__ == "__main__":
    main()
