"""MultiWorkerMirroredStrategy for real: two worker processes on 127.0.0.1 configured by TF_CONFIG.

The workers run ``tests/ml/distributed_worker.py`` (``train()`` on the tiny corpus, tiny model,
a few steps). Checked: both end with identical weights; they match one process computing the
same global batches (same seed, same two data shards) within float tolerance; only the chief
wrote the model folder; killing a worker ends the other with a clear message within a bounded
time, and ``--resume`` continues from the chief's last checkpoint. MirroredStrategy (``--devices``)
over two logical CPUs in one process gives the same weights too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # four TensorFlow processes at a time: 2-6 minutes on 2 shared cores

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 240  # TensorFlow's import and the cluster handshake are slow on a loaded 2-core machine


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _start(out: Path, task: int | None, ports: list[int], *args: str) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_CONFIG", None)
    if task is not None:
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                       "task": {"type": "worker", "index": task}})
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "log.txt", "w")  # noqa: SIM115 - the process owns it until it ends
    return subprocess.Popen(["nice", "-n", "15", sys.executable, "-m", "tests.ml.distributed_worker", str(out), *args],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _finish(process: subprocess.Popen, out: Path, timeout: float) -> str:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"{out.name} did not end within {timeout:.0f} s:\n{(out / 'log.txt').read_text()[-3000:]}")
    return (out / "log.txt").read_text()


def _weights(out: Path, task: int) -> list[np.ndarray]:
    with np.load(out / f"weights-{task}.npz") as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def test_two_workers_agree_with_each_other_and_with_one_process(tmp_path: Path) -> None:
    ports = _free_ports(2)
    workers = [_start(tmp_path / f"w{i}", i, ports) for i in range(2)]
    single = _start(tmp_path / "single", None, ports, "--shards", "2")
    # --devices: MirroredStrategy in one process, here over two logical CPUs (the GPU path without a GPU).
    mirrored = _start(tmp_path / "mirrored", None, ports, "--shards", "2", "--mirrored-cpus", "2")
    logs = [_finish(p, tmp_path / f"w{i}", START_TIMEOUT_S) for i, p in enumerate(workers)]
    for process, name in ((single, "single"), (mirrored, "mirrored")):
        log = _finish(process, tmp_path / name, START_TIMEOUT_S)
        assert process.returncode == 0, log[-3000:]
    for index, (process, log) in enumerate(zip(workers, logs, strict=True)):
        assert process.returncode == 0, log[-3000:]
        assert f"[worker {index}] finished" in log
    chief, other, alone = _weights(tmp_path / "w0", 0), _weights(tmp_path / "w1", 1), _weights(tmp_path / "single", 0)
    assert len(chief) == len(other) == len(alone) == 6
    for a, b in zip(chief, other, strict=True):
        np.testing.assert_array_equal(a, b)  # synchronous training: bit for bit the same
    for a, c, m in zip(chief, alone, _weights(tmp_path / "mirrored", 0), strict=True):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-5)  # only the summation order differs
        np.testing.assert_allclose(m, c, rtol=0, atol=1e-5)
    mirrored_card = json.loads((tmp_path / "mirrored" / "model" / "card.json").read_text())
    assert mirrored_card["training"]["distribution"]["strategy"] == "MirroredStrategy over /cpu:0, /cpu:1"
    assert mirrored_card["training"]["distribution"]["replicas"] == 2
    assert (tmp_path / "w0" / "model" / "model.weights.h5").is_file()
    assert (tmp_path / "w0" / "model" / "checkpoint" / "last.npz").is_file()
    assert not (tmp_path / "w1" / "model").exists()  # the non-chief wrote no model folder
    card = json.loads((tmp_path / "w0" / "model" / "card.json").read_text())
    assert card["training"]["distribution"]["workers"] == 2
    assert card["training"]["distribution"]["replicas"] == 2


def test_a_dead_worker_ends_the_run_with_a_message_and_resume_continues(tmp_path: Path) -> None:
    ports = _free_ports(2)
    args = ("--epochs", "60", "--timeout", "30")
    workers = [_start(tmp_path / f"w{i}", i, ports, *args) for i in range(2)]
    state_file = tmp_path / "w0" / "model" / "checkpoint" / "state.json"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not state_file.is_file() and time.monotonic() < deadline and workers[0].poll() is None:
        time.sleep(0.5)
    assert state_file.is_file(), (tmp_path / "w0" / "log.txt").read_text()[-3000:]
    workers[1].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    log = _finish(workers[0], tmp_path / "w0", 120)
    waited = time.monotonic() - killed_at
    assert workers[0].returncode == 2, log[-3000:]
    assert "another worker stopped or cannot be reached" in log
    assert "--resume" in log
    assert waited < 90  # bounded: the collective timeout is 30 s, the gRPC error usually comes at once
    workers[1].wait()
    done = json.loads(state_file.read_text())["epoch"]
    assert 1 <= done < 60

    ports = _free_ports(2)
    resumed = [_start(tmp_path / f"w{i}", i, ports, "--resume", "--epochs", str(done + 1), "--timeout", "30")
               for i in range(2)]
    logs = [_finish(p, tmp_path / f"w{i}", START_TIMEOUT_S) for i, p in enumerate(resumed)]
    assert all(p.returncode == 0 for p in resumed), logs[0][-3000:] + logs[1][-3000:]
    assert f"Resuming after epoch {done}" in logs[0]
    state = json.loads(state_file.read_text())
    assert state["epoch"] == done + 1
    assert [h["epoch"] for h in state["history"]] == list(range(1, done + 2))
    np.testing.assert_array_equal(_weights(tmp_path / "w0", 0)[0], _weights(tmp_path / "w1", 1)[0])

