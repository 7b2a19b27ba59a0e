"""Training speed under tf.distribute: 1 process vs 2 workers, the all-reduce cost, and before/after on one CPU.

    python benchmarks/bench_distributed.py                    # 1 process vs 2 workers + all-reduce cost
    python benchmarks/bench_distributed.py --compare-git REV  # one CPU: train.py at REV vs now, alternating

Data: the bundled chorales from the corpus cache (built by ``python -m musicassist.ml.corpus``);
model: the ``train`` command's defaults (96-wide embedding, two 256-unit LSTMs, lookback 1,2,4),
256-token windows, global batch 32, a few steps per epoch. The first epoch includes tracing, so
speeds are the later epochs'. Everything runs at the caller's nice level; run it ``nice``'d.

Honest note printed with the figures: two workers on one 2-core machine share the same cores,
so they cannot be faster than one process; their figure shows what synchronising costs. The
all-reduce is also measured on its own (a gradient-sized float32 buffer over 2 workers on
loopback), and the cluster estimate scales the bytes a ring all-reduce moves by link speed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from musicassist.codec import default_vocabulary  # noqa: E402
from musicassist.ml.model import ModelConfig, parameter_count  # noqa: E402

if TYPE_CHECKING:
    from musicassist.ml.train import TrainConfig, TrainData

VOCAB = default_vocabulary()
MODEL = ModelConfig(VOCAB.size, embed_dim=96, units=(256, 256), dropout=0.2, lookback=(1, 2, 4))
SEQ_LEN, BATCH = 256, 32


def _data(max_pieces: int = 200) -> TrainData:
    from musicassist.ml.corpus import build_corpus
    from musicassist.ml.train import TrainData

    corpus = build_corpus(["chorales"], progress=False)
    train = [p.tokens for p in corpus.split("train")][:max_pieces]
    valid = [p.tokens for p in corpus.split("valid")][:8]
    return TrainData(train, valid, {"sources": ["chorales"]})


def _config(steps: int, epochs: int) -> TrainConfig:
    from musicassist.ml.train import TrainConfig

    return TrainConfig(seq_len=SEQ_LEN, batch_size=BATCH, epochs=epochs, steps_per_epoch=steps, patience=99)


def _later_speed(card: dict) -> float:
    history = card["training"]["history"]
    return float(np.median([h["tokens_per_second"] for h in history[1:]] or [history[0]["tokens_per_second"]]))


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _spawn(args: list[str], ports: list[int] | None, task: int | None) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_CONFIG", None)
    if ports is not None and task is not None:
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                       "task": {"type": "worker", "index": task}})
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - TensorFlow chatter, shown only if the process fails
    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=errors, text=True)
    process.errors = errors  # type: ignore[attr-defined]
    return process


def _result(process: subprocess.Popen, timeout: float = 900) -> dict:
    out, _ = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        errors = process.errors  # type: ignore[attr-defined]
        errors.seek(0)
        raise SystemExit(f"a benchmark process failed (exit {process.returncode}):\n{out[-2000:]}\n"
                         f"{errors.read()[-3000:]}")
    return json.loads(lines[-1])


def worker_main(steps: int, epochs: int) -> None:
    """One training process (TF_CONFIG decides whether it is one of several); prints JSON."""
    from musicassist.ml.distribute import plan_strategy
    from musicassist.ml.train import train

    plan = plan_strategy()
    used = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        card = train(_data(), VOCAB, Path(tmp) / "m", MODEL, _config(steps, epochs), progress=False, plan=plan,
                     log=lambda _m: None)
    history = card["training"]["history"]
    tokens = card["training"].get("trained_tokens", 0)  # the chief's card counts every worker's tokens
    print(json.dumps({"tokens_per_second": _later_speed(card), "epochs": len(history),
                      "cpu_seconds": time.process_time() - used, "tokens": tokens,
                      "seconds_per_epoch": [round(h["seconds"], 1) for h in history]}))


def allreduce_main(floats: int, repeats: int) -> None:
    """Time an all-reduce of ``floats`` float32 values (one gradient's size) over the TF_CONFIG cluster."""
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        buffer = tf.Variable(tf.ones([floats], tf.float32))

    @tf.function
    def reduce_once() -> object:
        def step() -> object:
            return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, buffer * 1.0)

        return strategy.run(step)

    reduce_once()  # trace and connect
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = reduce_once()
        float(strategy.experimental_local_results(result)[0][0])
        times.append(time.perf_counter() - started)
    print(json.dumps({"median_s": float(np.median(times)), "repeats": repeats}))


def compare_with(rev: str, rounds: int, steps: int) -> None:
    """One CPU, one process: train.py as it was at ``rev`` against today's, alternating A B A B."""
    source = subprocess.run(["git", "show", f"{rev}:musicassist/ml/train.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    # The old loop used model.fit with a Keras progress callback; with progress=False it is never
    # called, so the import of the (since removed) callback is cut out of the old text.
    source = source.replace("from .train_report import plot_curve, progress_callback, write_status",
                            "from .train_report import plot_curve, write_status\nprogress_callback = None")
    spec = importlib.util.spec_from_loader("musicassist.ml._train_before", loader=None)
    assert spec is not None
    before = importlib.util.module_from_spec(spec)
    before.__package__ = "musicassist.ml"
    sys.modules[spec.name] = before  # dataclasses look their module up while the class is made
    exec(compile(source, f"{rev}:musicassist/ml/train.py", "exec"), before.__dict__)
    from musicassist.ml import train as now

    data = _data()
    speeds: dict[str, list[float]] = {"before": [], "now": []}
    cpu: dict[str, list[float]] = {"before": [], "now": []}  # CPU seconds per 1000 trained tokens, whole run
    for _round in range(rounds):
        for name, module in (("before", before), ("now", now)):
            used = time.process_time()
            with tempfile.TemporaryDirectory() as tmp:
                card = _train_with(module, data, Path(tmp) / "m", steps)
            cpu[name].append((time.process_time() - used) / card["training"]["trained_tokens"] * 1000)
            speeds[name].append(_later_speed(card))
            print(f"  {name:<6} {speeds[name][-1]:8.0f} tokens/s (wall clock, later epochs), "
                  f"{cpu[name][-1]:.3f} CPU s per 1000 tokens (whole run)", flush=True)
    print(f"\nOne CPU process, model {MODEL.units} lookback {MODEL.lookback}, window {SEQ_LEN}, batch {BATCH}, "
          f"{steps} steps/epoch, {rounds} alternating rounds (later epochs only):")
    for name in speeds:
        median = float(np.median(speeds[name]))
        print(f"  {name + (' (' + rev + ')' if name == 'before' else ''):<24} median {median:8.0f} tokens/s "
              f"= {median / (BATCH * SEQ_LEN):.3f} steps/s   runs: {', '.join(f'{s:.0f}' for s in speeds[name])}")
    ratio = float(np.median(speeds["now"]) / np.median(speeds["before"]))
    cpu_ratio = float(np.median(cpu["now"]) / np.median(cpu["before"]))
    print(f"  now / before: {ratio:.3f} in tokens/s; {cpu_ratio:.3f} in CPU seconds per token (less sensitive "
          "to other load on the machine; includes validation and lookback features, the same work for both)")


def _train_with(module: ModuleType, data: TrainData, out: Path, steps: int) -> dict:
    card: dict = module.train(data, VOCAB, out, MODEL, module.TrainConfig(
        seq_len=SEQ_LEN, batch_size=BATCH, epochs=3, steps_per_epoch=steps, patience=99), progress=False,
        log=lambda _m: None)
    return card


def side_by_side(steps: int, epochs: int) -> None:
    single = _result(_spawn(["--worker", str(steps), str(epochs)], None, None))
    ports = _free_ports(2)
    workers = [_spawn(["--worker", str(steps), str(epochs)], ports, task) for task in range(2)]
    results = [_result(p) for p in workers]
    floats = parameter_count(MODEL)
    ports = _free_ports(2)
    reducers = [_spawn(["--allreduce", str(floats), "20"], ports, task) for task in range(2)]
    reduce_s = max(_result(p)["median_s"] for p in reducers)
    gradient_mb = floats * 4 / 1e6
    print(f"Model {MODEL.units} lookback {MODEL.lookback}: {floats:,} parameters, gradient {gradient_mb:.1f} MB "
          f"(float32); window {SEQ_LEN}, global batch {BATCH}, {steps} steps/epoch, {epochs} epochs, chorales.")
    single_cpu = single["cpu_seconds"] / single["tokens"] * 1000
    two_cpu = sum(r["cpu_seconds"] for r in results) / results[0]["tokens"] * 1000
    step_tokens = BATCH * SEQ_LEN
    print(f"{'run':<28} {'tokens/s':>9} {'s/step':>7} {'vs 1 process':>13} {'CPU s/1000 tokens':>18}")
    one = single["tokens_per_second"]
    print(f"{'1 process':<28} {one:>9.0f} {step_tokens / one:>7.2f} {1.0:>13.2f} {single_cpu:>18.3f}")
    two = results[0]["tokens_per_second"]
    print(f"{'2 workers (127.0.0.1)':<28} {two:>9.0f} {step_tokens / two:>7.2f} {two / one:>13.2f} {two_cpu:>18.3f}")
    print(f"All-reduce of one gradient ({gradient_mb:.1f} MB) over 2 workers on loopback: {reduce_s * 1000:.1f} ms "
          f"per step (median of 20).")
    for name, gbit in (("1 Gbit/s", 1.0), ("10 Gbit/s", 10.0)):
        for workers_n in (2, 8):
            moved = 2 * (workers_n - 1) / workers_n * floats * 4  # bytes each worker sends in a ring all-reduce
            print(f"  cluster estimate, {workers_n} workers on {name}: {moved / (gbit * 1e9 / 8) * 1000:.1f} ms "
                  "per step for the transfer (plus latency), against the step time above")
    print("Note: both workers share this machine's 2 cores, so they have no more arithmetic power than 1 "
          "process; where they come out ahead in tokens/s it is because one process leaves part of the "
          "cores idle (an LSTM step is a chain of small matrix products that spreads poorly over intra-op "
          "threads) or, on a busy machine, because two processes get a larger share of the CPU than one. "
          "The CPU column (whole runs, both workers summed, including start-up and validation) is the "
          "honest comparison of work done; the figure says nothing about speed-up on a real cluster, "
          "where each worker computes half the global batch and every step pays the all-reduce above.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare-git", metavar="REV", help="compare one-CPU speed with train.py at REV")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--worker", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--allreduce", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(*args.worker)
    elif args.allreduce:
        allreduce_main(*args.allreduce)
    elif args.compare_git:
        compare_with(args.compare_git, args.rounds, args.steps)
    else:
        side_by_side(args.steps, args.epochs)


if __name__ == "__main__":
    main()
