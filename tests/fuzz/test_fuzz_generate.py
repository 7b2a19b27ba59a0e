"""``musicassist generate`` with seeded random options, valid and absurd: exit 0 with readable files,
or exit 1/2 with one line, never a traceback, and nothing written on failure.

The sampler is the real one over a small random network (no TensorFlow), so a
case costs a fraction of a second. ``MUSICASSIST_FUZZ_GENERATE_CASES`` sets
the count (``make fuzz`` raises it).
"""

from __future__ import annotations

import os
import random
import time
from fractions import Fraction
from pathlib import Path

import pytest

from musicassist.cli.main import main
from musicassist.codec import default_vocabulary
from musicassist.core.score import DRUM_CHANNEL, Note, Score, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TempoMap, TimeSignature
from musicassist.io import read_score, write_score
from musicassist.ml import sampler as sampler_module
from musicassist.ml.sampler import Sampler
from tests.ml.test_sampler import random_network

from .mutations import CPU_SECONDS_BOUND, hang_guard

CASES = int(os.environ.get("MUSICASSIST_FUZZ_GENERATE_CASES", "50"))
# The first VALID values of each option are valid, the rest absurd; a case draws each option valid most of the
# time so that both sampling and every refusal get exercised.
VALID = 3
_CHOICES: dict[str, tuple[str, ...]] = {
    "--bars": ("1-2", "3-4", "1", "5-6", "0-1", "2-1", "1-99", "-1", "a-b", "1-2-3", "", "99999999999999999999"),
    "--length": ("1", "2", "3", "0", "-1", "65", "x", "1e3"),
    "--candidates": ("1", "2", "3", "0", "33", "-5"),
    "--temperature": ("1", "0.05", "5", "0.01", "nan", "inf", "-inf", "-1", "1e308", "x"),
    "--top-p": ("0.95", "1", "0.5", "0", "1.5", "nan", "-0.1"),
    "--seed": ("0", "7", str(2**63 - 1), "-1", str(2**63), str(2**100), "x"),
    "--scale": ("C:major", "auto", "A minor", "H:dorian", "", ":", "C" * 200),
    "--range": ("48-84", "C3-C6", "40-90", "60-60", "C5-C4", "0-127", "-1-200", "C-1-G9", "x", "Cb4-B#4"),
    "--density": ("4", "0.5", "256", "0", "-3", "nan", "inf", "1e300", "257"),
    "--track": ("1", "2", "1", "3", "0", "-1", "4", "99"),
    "--index": ("1", "1", "1", "2", "0", "x"),
}


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 bars: melody, bass and drums, 3/4 from bar 5."""
    melody = tuple(Note(Fraction(i), 60 + (2 * i) % 12, Fraction(1), 90) for i in range(22))
    bass = tuple(Note(Fraction(4 * i), 43, Fraction(2), 70, channel=1) for i in range(5))
    kit = tuple(Note(Fraction(i), 36, Fraction(1, 4), 100, DRUM_CHANNEL) for i in range(22))
    meters = MeterMap((MeterChange(0, TimeSignature(4, 4)), MeterChange(4, TimeSignature(3, 4))))
    score = Score(tracks=(Track("melody", melody, 0, 0), Track("bass", bass, 33, 1), Track("kit", kit, 0, 9)),
                  meter_map=meters, tempo_map=TempoMap.constant(100.0), length_bars=6)
    path = tmp_path_factory.mktemp("song") / "song.mid"
    write_score(score, path)
    return path


@pytest.fixture(autouse=True)
def random_sampler(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    vocab = default_vocabulary()
    monkeypatch.setattr(sampler_module, "load_sampler", lambda _folder=None: Sampler(random_network(), vocab))
    monkeypatch.setenv("MUSICASSIST_CACHE", str(tmp_path / "cache"))  # no corpus: no training index


def _options(rng: random.Random) -> list[str]:
    def value(option: str) -> str:
        choices = _CHOICES[option]
        return rng.choice(choices[:VALID] if rng.random() < 0.85 else choices[VALID:])

    argv = ["--bars", value("--bars"), "--length", value("--length")]
    for option in ("--candidates", "--temperature", "--top-p", "--seed", "--scale", "--range", "--density",
                   "--track", "--index"):
        if rng.random() < 0.3:
            argv += [option, value(option)]
    if rng.random() < 0.5:
        argv.append("--merge")
    if rng.random() < 0.2:
        argv.append("--json")
    return argv


def test_random_generate_options_give_files_or_one_line(song: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    problems = []
    exits = {0: 0, 1: 0, 2: 0}
    for case in range(CASES):
        rng = random.Random(case)
        options = _options(rng)
        out = tmp_path / f"out-{case}"
        started = time.process_time()
        try:
            with hang_guard():
                status = main(["generate", str(song), *options, "--out", str(out)])
        except SystemExit as exit_:  # argparse refuses a value its type cannot convert
            status = exit_.code if isinstance(exit_.code, int) else 1
        except Exception as exc:  # any other exception is what is looked for
            problems.append(f"case {case} {options}: {type(exc).__name__}: {exc}")
            continue
        cpu = time.process_time() - started
        captured = capsys.readouterr()
        exits[status] = exits.get(status, 0) + 1
        error_lines = captured.err.strip().splitlines()
        if status == 0:
            files = sorted(out.iterdir())
            if not files or any(read_score(f).bar_count < 1 for f in files):
                problems.append(f"case {case} {options}: exit 0 but files {files}")
        elif status not in (1, 2) or not error_lines or not error_lines[-1].startswith("musicassist: "):
            problems.append(f"case {case} {options}: exit {status}, stderr {captured.err!r}")
        elif len(error_lines) != 1 and not (status == 2 and error_lines[0].startswith("usage:")):
            problems.append(f"case {case} {options}: {len(error_lines)} lines of errors")
        elif out.exists():
            problems.append(f"case {case} {options}: exit {status} but {out.name} was written")
        if cpu > CPU_SECONDS_BOUND:
            problems.append(f"case {case} {options}: {cpu:.1f} s of CPU")
    print(f"\n{CASES} generate cases, exit statuses {exits}")
    assert not problems, "\n".join(problems)
