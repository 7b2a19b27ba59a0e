"""Sampler speed, side by side in one run: the tutorial way against the batched NumPy sampler,
and every shipped model against the others.

(a) tutorial: one Keras ``model.predict`` per generated token over the last
    ``--window`` tokens (one candidate at a time, no state carried);
(b) this sampler: all candidates as one batch, LSTM state carried step to step.

Prints, per model, ms per generated token for both and their ratio, the median
time for 8 candidates x 4 bars of 4/4 (curated from 3x8 rows, and uncurated),
and the first model load plus warm-up measured in a fresh interpreter; then the
models' times as ratios to the first. The runs of the models alternate, so a
change in machine load hits them alike.
Targets on a 2-core CPU: ratio >= 50, 8x4 <= 0.3 s, load + warm-up <= 1 s.

    .venv/bin/python benchmarks/bench_sampler.py [--model DIR ...] [--threads N] [--runs 7]

Uses every model folder under ``models/`` (``plain``, the model without lookback,
first when present); without any, a freshly built model of the default size with
random weights (and says so: token counts then differ from real music, the
per-token figures do not).
"""

from __future__ import annotations

import argparse
import os
import sys

# BLAS threads must be fixed before NumPy loads; one thread per process measured best on 2 shared cores.
if __name__ == "__main__":
    _threads = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--threads=")), "1")
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json
import statistics
import subprocess
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from musicassist.core.generation import GenerationOptions, GenerationRequest  # noqa: E402
from musicassist.core.score import Note, Score, Track  # noqa: E402

SEED_MELODY = (  # four bars of a folk-like tune in 4/4: (start beat, pitch, length)
    (0, 67, 1), (1, 64, Fraction(1, 2)), (Fraction(3, 2), 65, Fraction(1, 2)), (2, 67, 1), (3, 72, 1),
    (4, 71, 1), (5, 69, Fraction(1, 2)), (Fraction(11, 2), 67, Fraction(1, 2)), (6, 65, 2),
    (8, 64, 1), (9, 65, 1), (10, 67, Fraction(3, 2)), (Fraction(23, 2), 69, Fraction(1, 2)),
    (12, 67, 1), (13, 65, 1), (14, 64, 2),
)


# The size `musicassist train` gives the shipped model (embedding 96, two LSTMs of 256).
FALLBACK_EMBED, FALLBACK_UNITS = 96, (256, 256)


def seed_score() -> Score:
    notes = tuple(Note(Fraction(s), p, Fraction(d), 80) for s, p, d in SEED_MELODY)
    return Score(tracks=(Track("melody", notes),), length_bars=4)


def prepare_model(model_arg: str | None, scratch: Path) -> tuple[Path, str]:
    """The model folder to measure, and a note saying which it is."""
    from musicassist.ml import model_store

    folder = Path(model_arg) if model_arg else model_store.default_model_dir()
    if (folder / model_store.CONFIG_FILE).is_file():
        return folder, f"model: {folder}"
    from musicassist.codec import default_vocabulary
    from musicassist.ml.model import ModelConfig, build_from_config

    vocab = default_vocabulary()
    config = ModelConfig(vocab_size=vocab.size, embed_dim=FALLBACK_EMBED, units=FALLBACK_UNITS, dropout=0.2)
    model_store.save_model(build_from_config(config), vocab, scratch / "fresh", config)
    return scratch / "fresh", (f"NOTE: no model in {folder}; measuring a freshly built model of the default "
                               f"size {config.embed_dim}/{list(config.units)} with random weights.")


def load_and_warm_up(folder: Path) -> None:
    """Run in a fresh interpreter: import, load, one warm-up generation; prints seconds as JSON."""
    started = time.perf_counter()
    from musicassist.ml.sampler import load_sampler

    sampler = load_sampler(folder)
    request = GenerationRequest(0, seed_score(), GenerationOptions(length_bars=1, candidates=2, seed=0))
    sampler.generate(request, threading.Event(), lambda _: None, lambda _: None)
    print(json.dumps({"seconds": time.perf_counter() - started, "load_seconds": sampler.load_seconds}))


def fresh_load_seconds(folder: Path, threads: str) -> dict[str, float]:
    """Load + warm-up as timed inside a fresh interpreter, and that whole process from the outside."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--load-only", str(folder), f"--threads={threads}"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    timings = dict(json.loads(result.stdout.strip().splitlines()[-1]))
    timings["process_seconds"] = time.perf_counter() - started
    return timings


def time_sampler(sampler: object, runs: int, oversample: int, offset: int = 0) -> tuple[float, float, float]:
    """Median wall and CPU seconds for 8 candidates x 4 bars, and ms per sampled token (all rows counted).

    CPU seconds are what the same run takes on an otherwise idle core: on a shared machine
    the wall time also counts the time other processes held the CPU.
    """
    from musicassist.ml.sampler import Sampler

    assert isinstance(sampler, Sampler)
    sampler.oversample = oversample
    times: list[float] = []
    cpu: list[float] = []
    tokens = 0
    for run in range(offset, offset + runs):
        request = GenerationRequest(run, seed_score(), GenerationOptions(length_bars=4, candidates=8, seed=run))
        started, started_cpu = time.perf_counter(), time.process_time()
        sampler.generate(request, threading.Event(), lambda _: None, lambda _: None)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    # Token counts come from the same seeds sampled again without timing.
    seconds = 0.0
    for run in range(offset, offset + runs):
        request = GenerationRequest(run, seed_score(), GenerationOptions(length_bars=4, candidates=8, seed=run))
        started = time.perf_counter()
        pool = sampler.sample_pool(request, 8 * oversample)
        seconds += time.perf_counter() - started
        tokens += sum(len(p.tokens) + 1 for p in pool)
    return statistics.median(times), statistics.median(cpu), 1000.0 * seconds / tokens


def time_tutorial(folder: Path, tokens: int, window: int) -> float:
    """ms per token of the common tutorial loop: model.predict on the last window, one token per call."""
    from musicassist.codec import encode
    from musicassist.ml import model_store
    from musicassist.ml.evaluate import model_inputs

    model, vocab, _card = model_store.load_model(folder)
    sequence = list(encode(seed_score(), eos=False))
    rng = np.random.default_rng(0)

    def next_token() -> int:
        window_tokens = np.array(sequence[-window:], dtype=np.int32)[None, :]
        logits = model.predict(model_inputs(model, window_tokens, vocab), verbose=0)[0, -1].astype(np.float64)
        probs = np.exp(logits - logits.max())
        return int(rng.choice(probs.size, p=probs / probs.sum()))

    for _ in range(3):  # warm-up: graph tracing
        next_token()
    started = time.perf_counter()
    for _ in range(tokens):
        sequence.append(next_token())
    return 1000.0 * (time.perf_counter() - started) / tokens


def default_models() -> list[Path]:
    from musicassist.ml import model_store
    from musicassist.paths import models_dir

    found = sorted(p for p in models_dir().iterdir() if (p / model_store.CONFIG_FILE).is_file())
    return sorted(found, key=lambda p: (p.name != "plain", p.name != "default", p.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model folder (repeat to compare; default: models/*)")
    parser.add_argument("--threads", default="1", help="BLAS threads (set before NumPy loads)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tutorial-tokens", type=int, default=60)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--load-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_only:
        load_and_warm_up(args.load_only)
        return 0
    from musicassist.ml.sampler import load_sampler

    print(f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS')}; cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as scratch:
        prepared = [prepare_model(m, Path(scratch)) for m in (args.model or default_models() or [None])]
        results = []
        for folder, note in prepared:
            load = fresh_load_seconds(folder, args.threads)
            sampler = load_sampler(folder)
            sampler.generate(GenerationRequest(0, seed_score(), GenerationOptions(length_bars=2, candidates=8)),
                             threading.Event(), lambda _: None, lambda _: None)  # warm-up
            results.append({"folder": folder, "note": note, "load": load, "sampler": sampler,
                            "curated": [], "plain": []})
        load_before = os.getloadavg()[0]
        for _round in range(args.runs):  # alternate the models so load changes hit them alike
            for result in results:
                result["curated"].append(time_sampler(result["sampler"], 1, oversample=3, offset=_round))
                result["plain"].append(time_sampler(result["sampler"], 1, oversample=1, offset=_round))
        for result in results:
            result["ms_tutorial"] = time_tutorial(result["folder"], args.tutorial_tokens, args.window)
    for result in results:
        curated = statistics.median(r[0] for r in result["curated"])
        curated_cpu = statistics.median(r[1] for r in result["curated"])
        ms_batched = statistics.median(r[2] for r in result["curated"])
        plain = statistics.median(r[0] for r in result["plain"])
        plain_cpu = statistics.median(r[1] for r in result["plain"])
        ms_plain = statistics.median(r[2] for r in result["plain"])
        load, ms_tutorial = result["load"], result["ms_tutorial"]
        result.update(curated_s=curated, ms_batched=ms_batched)
        print(f"\n{result['note']}")
        print(f"tutorial (model.predict per token, window {args.window}): {ms_tutorial:8.2f} ms/token")
        print(f"sampler (batch of 24 rows, NumPy step):          {ms_batched:8.3f} ms/token")
        print(f"ratio:                                           {ms_tutorial / ms_batched:8.1f} x   (target >= 50)")
        print(f"8 candidates x 4 bars, curated from 24 rows:     {curated:8.3f} s median of {args.runs}"
              f"   (CPU {curated_cpu:.3f} s; target <= 0.3)")
        print(f"8 candidates x 4 bars, no curation (8 rows):     {plain:8.3f} s median of {args.runs}"
              f"   (CPU {plain_cpu:.3f} s; {ms_plain:.3f} ms/token)")
        print(f"first model load + warm-up (fresh process):      {load['seconds']:8.2f} s"
              f"   (load alone {load['load_seconds']:.2f} s; whole process with Python start-up "
              f"{load['process_seconds']:.2f} s; target <= 1)")
    if len(results) > 1:
        first = results[0]
        print(f"\nside by side, as ratios to {first['folder'].name}:")
        for result in results[1:]:
            print(f"  {result['folder'].name}: 8x4 curated {result['curated_s'] / first['curated_s']:.2f}x the time, "
                  f"{result['ms_batched'] / first['ms_batched']:.2f}x the ms/token")
    print(f"machine load average during the sampler runs: {load_before:.1f} on {os.cpu_count()} cores"
          " (above the core count, wall times include waiting for the CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
