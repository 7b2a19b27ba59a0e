"""Measure how many corpus pieces match the reference converters: ``python -m tests.differential.measure abc 400``.

Prints one line per mismatch and the totals; ``make differential`` runs it on the full sample.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from musicassist.core.errors import MusicAssistError
from musicassist.io import music21_files

from .corpus_cases import abc_cases, musicxml_cases
from .reference import Refused, abc2midi_notes, compare, musescore_notes, score_notes

ABC_TOLERANCE = 0.002  # seconds
XML_TOLERANCE = 0.001


def measure_abc(limit: int) -> Counter[str]:
    totals: Counter[str] = Counter()
    for label, tune in abc_cases(limit):
        outcome = abc_outcome(tune.text)
        totals[outcome.split(":")[0]] += 1
        if not outcome.startswith(("match", "both refuse")):
            print(f"{label}: {outcome}", flush=True)
    return totals


def abc_outcome(text: str) -> str:
    try:
        reference = abc2midi_notes(text)
    except Refused as refused:
        reference = None
        refusal = str(refused)
    try:
        ours = score_notes(music21_files.read_abc_tune(text))
    except MusicAssistError as error:
        return f"both refuse: {error}" if reference is None else f"we refuse: {error}"
    if reference is None:
        return f"abc2midi refuses: {refusal}"
    difference = compare(ours, reference, ABC_TOLERANCE)
    return f"differ: {difference}" if difference else "match"


def measure_musicxml(limit: int) -> Counter[str]:
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for path in musicxml_cases(limit):
            outcome = musicxml_outcome(path, Path(folder))
            totals[outcome.split(":")[0]] += 1
            if outcome != "match":
                print(f"{path.name}: {outcome}", flush=True)
    return totals


def musicxml_outcome(path: Path, work: Path) -> str:
    try:
        reference = musescore_notes(path, work)
    except Refused as refused:
        return f"musescore refuses: {refused}"
    try:
        data = path.read_bytes()
        score = (music21_files.read_mxl(data, 16 * 2**20) if path.suffix == ".mxl"
                 else music21_files.read_musicxml(data))
    except MusicAssistError as error:
        return f"we refuse: {error}"
    difference = compare(score_notes(score, by_track=True), reference, XML_TOLERANCE)
    return f"differ: {difference}" if difference else "match"


if __name__ == "__main__":
    kind, count = sys.argv[1], int(sys.argv[2])
    result = measure_abc(count) if kind == "abc" else measure_musicxml(count)
    print(dict(result))
