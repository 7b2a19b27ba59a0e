"""Strategy choice, cluster options, data shards and the dry-run description (no TensorFlow needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musicassist.codec import default_vocabulary
from musicassist.core.errors import OptionError
from musicassist.ml.distribute import parse_cluster, plan_strategy, split_batch, tf_config_for
from musicassist.ml.distribute_data import input_rows, shard_epoch, shard_pieces, shards_of_pipeline
from musicassist.ml.train import TrainData
from musicassist.ml.train_plan import describe_plan

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()


def test_one_process_uses_the_default_strategy() -> None:
    plan = plan_strategy(environ={})
    assert plan.kind == "default" and plan.worker_count == 1 and plan.is_chief


def test_devices_choose_the_mirrored_strategy() -> None:
    plan = plan_strategy(devices="/gpu:0,/gpu:1", environ={})
    assert plan.kind == "mirrored" and plan.devices == ("/gpu:0", "/gpu:1")
    assert plan_strategy(devices="all", environ={}).devices == ()


def test_tf_config_names_the_cluster_and_this_worker() -> None:
    config = tf_config_for(["a:1000", "b:1000"], 1)
    plan = plan_strategy(environ={"TF_CONFIG": config})
    assert plan.kind == "multi_worker" and plan.workers == ("a:1000", "b:1000")
    assert plan.task_index == 1 and not plan.is_chief
    assert json.loads(config)["task"] == {"type": "worker", "index": 1}


def test_a_chief_entry_in_tf_config_comes_first() -> None:
    config = json.dumps({"cluster": {"chief": ["c:1"], "worker": ["w:1", "w:2"]}, "task": {"type": "worker",
                                                                                         "index": 0}})
    plan = plan_strategy(environ={"TF_CONFIG": config})
    assert plan.workers == ("c:1", "w:1", "w:2") and plan.task_index == 1


def test_a_one_worker_tf_config_is_a_single_process_run() -> None:
    assert plan_strategy(environ={"TF_CONFIG": tf_config_for(["a:1"], 0)}).kind == "default"


def test_cluster_option_overrides_tf_config() -> None:
    plan = plan_strategy("h1:2000,h2:2000", 0, environ={"TF_CONFIG": tf_config_for(["x:1", "y:1"], 1)})
    assert plan.workers == ("h1:2000", "h2:2000") and plan.is_chief


@pytest.mark.parametrize(("cluster", "task"), [("h1:2000,h2:2000", None), ("h1:2000,h2:2000", 2),
                                               ("h1,h2:2000", 0), ("h1:99999", 0), ("h1:1,h1:1", 0), (",", 0)])
def test_bad_cluster_options_are_one_line_errors(cluster: str, task: int | None) -> None:
    with pytest.raises(OptionError):
        plan_strategy(cluster, task, environ={})


@pytest.mark.parametrize("text", ["{", '{"task": {}}', '{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps"}}',
                                  '{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"index": 5}}'])
def test_bad_tf_config_is_a_one_line_error(text: str) -> None:
    with pytest.raises(OptionError, match="TF_CONFIG"):
        plan_strategy(environ={"TF_CONFIG": text})


def test_task_index_without_cluster_and_bad_timeout_are_refused() -> None:
    with pytest.raises(OptionError):
        plan_strategy(task_index=0, environ={})
    with pytest.raises(OptionError):
        plan_strategy(collective_timeout_s=0, environ={})
    assert parse_cluster(" a:1 , b:2 ") == ("a:1", "b:2")


def test_the_global_batch_must_split_evenly() -> None:
    assert split_batch(32, 2, 2) == 16
    assert split_batch(32, 4, 2) == 16
    with pytest.raises(OptionError, match="global batch"):
        split_batch(30, 4, 1)


def test_shards_deal_every_piece_once() -> None:
    dealt = [shard_pieces(11, s, 3) for s in range(3)]
    assert sorted(i for part in dealt for i in part) == list(range(11))
    assert shards_of_pipeline(1, 2, 4) == [1, 3]


def _parts(pieces: list[np.ndarray], shards: list[int], seed: int = 5) -> list:
    return [shard_epoch([pieces[i] for i in shard_pieces(len(pieces), s, 2)], VOCAB, 32, seed, 1, s, 2, 4, None,
                        (-5, 6), 0.5) for s in shards]


def test_one_pipeline_with_both_shards_builds_the_two_workers_batches() -> None:
    pieces = tiny_corpus(12, seed=2)
    both = _parts(pieces, [0, 1])
    steps = min(p.count for p in both) // 4
    alone = input_rows(both, steps, 4)
    worker_rows = [input_rows(_parts(pieces, [s]), steps, 4) for s in (0, 1)]
    for step in range(steps):  # step k of one process = worker 0's k-th block, then worker 1's
        together = alone.inputs[step * 8:(step + 1) * 8]
        split = np.concatenate([rows.inputs[step * 4:(step + 1) * 4] for rows in worker_rows])
        np.testing.assert_array_equal(together, split)


def test_shards_draw_different_augmentation() -> None:
    pieces = tiny_corpus(12, seed=2)
    same_pieces = [pieces[i] for i in shard_pieces(12, 0, 2)]
    first = shard_epoch(same_pieces, VOCAB, 32, 5, 1, 0, 2, 4, None, (-5, 6), 1.0)
    other = shard_epoch(same_pieces, VOCAB, 32, 5, 1, 1, 2, 4, None, (-5, 6), 1.0)
    again = shard_epoch(same_pieces, VOCAB, 32, 5, 1, 0, 2, 4, None, (-5, 6), 1.0)
    np.testing.assert_array_equal(first.windows.inputs, again.windows.inputs)  # resumable: same seed, same epoch
    assert not np.array_equal(first.windows.inputs, other.windows.inputs)


def test_dry_run_names_strategy_replicas_batch_and_shards() -> None:
    data = TrainData(tiny_corpus(5), tiny_corpus(1))
    plan = plan_strategy("h1:1,h2:1", 1, environ={})
    lines = describe_plan(plan, data, 32, gpus=0)
    text = "\n".join(lines)
    assert "MultiWorkerMirroredStrategy over 2 workers" in lines[0]
    assert "replicas: 2" in text and "16 per replica" in text
    assert "worker 0 (chief): shard 0 of 2" in text and "(3 pieces" in text
    assert "worker 1: shard 1 of 2" in text and "(2 pieces" in text and "<- this process" in text
    assert "does NOT split evenly" in "\n".join(describe_plan(plan, data, 31, gpus=0))
