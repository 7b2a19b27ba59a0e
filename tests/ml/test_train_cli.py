"""``musicassist train --dry-run`` and the where-it-runs options, on a small folder of ABC tunes."""

from __future__ import annotations

from pathlib import Path

import pytest

from musicassist.cli.main import main

TUNE = "X:{n}\nT:t{n}\nM:3/4\nL:1/4\nK:D\nA | d2 {a} | f3 | e2 {b} | A3 |]\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUSICASSIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TF_CONFIG", raising=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    for n in range(5):
        (mine / f"t{n}.abc").write_text(TUNE.format(n=n, a="efga"[n % 4], b="dcBA"[n // 2]))
    return mine


def test_dry_run_on_one_machine_prints_the_plan_and_trains_nothing(folder: Path, tmp_path: Path, capsys) -> None:
    code = main(["train", "--corpus", str(folder), "--out", str(tmp_path / "m"), "--dry-run", "--workers", "1",
                 "--no-progress", "--batch-size", "8"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "strategy: default strategy (one device)" in out
    assert "replicas: 1" in out and "global batch: 8 windows per step, 8 per replica" in out
    # Five pieces: whatever the hash split gave, one piece validates and the rest train.
    assert "validation: 1 pieces" in out or "validation: 2 pieces" in out
    assert "worker 0 (chief): shard 0 of 1" in out
    assert not (tmp_path / "m").exists()


def test_dry_run_of_a_cluster_worker_names_its_shard(folder: Path, tmp_path: Path, capsys) -> None:
    code = main(["train", "--corpus", str(folder), "--out", str(tmp_path / "m"), "--dry-run", "--workers", "1",
                 "--no-progress", "--cluster", "10.0.0.1:2222,10.0.0.2:2222", "--task-index", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "MultiWorkerMirroredStrategy over 2 workers (10.0.0.1:2222, 10.0.0.2:2222); this is worker 1" in out
    assert "global batch: 32 windows per step" in out
    assert "worker 1: shard 1 of 2" in out and "<- this process" in out


def test_bad_where_options_are_usage_errors(folder: Path, tmp_path: Path, capsys) -> None:
    assert main(["train", "--corpus", str(folder), "--out", str(tmp_path / "m"), "--cluster", "a:1,b:2"]) == 2
    assert "--task-index" in capsys.readouterr().err
    assert main(["train", "--corpus", str(folder), "--out", str(tmp_path / "m"), "--task-index", "0"]) == 2
