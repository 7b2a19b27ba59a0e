"""Mutated real MIDI, MusicXML and ABC files: a refusal in one sentence or a valid score, never anything else.

``make test`` runs a slice of 400 cases (about 30 s; ``FUZZ_CASES`` below); ``make fuzz``
sets ``MUSICASSIST_FUZZ_CASES=10000``. A failing case is kept in the test's
temporary folder and named by its case number, which regenerates it exactly
(``mutations.mutate(case, seeds())``).
"""

from __future__ import annotations

import collections
import os
import resource
from pathlib import Path

import pytest

from .mutations import check_case, mutate, seeds

FUZZ_CASES = int(os.environ.get("MUSICASSIST_FUZZ_CASES", "400"))
FIRST_CASE = int(os.environ.get("MUSICASSIST_FUZZ_FIRST", "0"))
MEMORY_GROWTH_BOUND_KB = 1024 * 1024  # 1 GB


def test_mutated_files_are_refused_in_one_sentence_or_read_and_saved_back(tmp_path: Path) -> None:
    pool = seeds()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problems: list[str] = []
    counts: collections.Counter[str] = collections.Counter()
    slowest = (0.0, -1)
    for case in range(FIRST_CASE, FIRST_CASE + FUZZ_CASES):
        seed, data, done = mutate(case, pool)
        path = tmp_path / f"case-{case:05d}{seed.suffix}"
        path.write_bytes(data)
        outcome = check_case(path, with_musicxml=case % 7 == 0)
        counts[f"{seed.kind} {'accepted' if outcome.accepted else 'refused'}"] += 1
        slowest = max(slowest, (outcome.cpu_seconds, case))
        if outcome.problem is not None:
            problems.append(f"case {case} ({seed.name}, {done}, kept as {path.name}): {outcome.problem}")
        else:
            path.unlink()
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    print(f"\n{FUZZ_CASES} cases: {dict(sorted(counts.items()))}; slowest case {slowest[1]} took "
          f"{slowest[0]:.2f} s of CPU; peak memory grew {growth // 1024} MB")
    assert not problems, f"{len(problems)} of {FUZZ_CASES} cases broke the contract:\n" + "\n".join(problems[:40])
    assert growth < MEMORY_GROWTH_BOUND_KB, f"peak memory grew by {growth // 1024} MB"


@pytest.mark.parametrize("case", [0, 1, 2])
def test_a_case_number_gives_the_same_file_every_time(case: int) -> None:
    pool = seeds()
    assert mutate(case, pool) == mutate(case, pool)
