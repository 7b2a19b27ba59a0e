"""``musicassist train --dry-run``: what a run would do, in words, without training.

Strategy, replicas, global and per-replica batch, and the data shard each worker reads
(pieces and tokens), computed exactly as ``train()`` deals them. TensorFlow is imported only
to count GPUs when the plan can use them (``--devices all`` or a cluster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .distribute import StrategyPlan
from .distribute_data import shard_pieces, shards_of_pipeline

if TYPE_CHECKING:  # pragma: no cover
    from .train import TrainData


def local_gpu_count() -> int:
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def replicas_per_worker(plan: StrategyPlan, gpus: int | None = None) -> int:
    if plan.kind == "default":
        return 1
    if plan.kind == "mirrored" and plan.devices:
        return len(plan.devices)
    count = local_gpu_count() if gpus is None else gpus
    return max(count, 1)  # a worker without GPUs is one CPU replica


def describe_plan(plan: StrategyPlan, data: TrainData, global_batch: int, gpus: int | None = None) -> list[str]:
    per_worker = replicas_per_worker(plan, gpus)
    replicas = per_worker * plan.worker_count
    shards = plan.worker_count
    lines = [f"strategy: {plan.describe()}",
             f"replicas: {replicas} ({per_worker} per worker x {plan.worker_count} worker"
             f"{'s' if plan.worker_count > 1 else ''})",
             f"global batch: {global_batch} windows per step"
             + (f", {global_batch // replicas} per replica" if global_batch % replicas == 0
                else f" does NOT split evenly over {replicas} replicas: choose a multiple of {replicas}"),
             f"validation: {len(data.valid)} pieces, scored by the chief"
             + (f" ({data.description['validation']})" if data.description.get("validation") else "")]
    for worker in range(plan.worker_count):
        mine = [i for s in shards_of_pipeline(worker, plan.worker_count, shards)
                for i in shard_pieces(len(data.train), s, shards)]
        tokens = sum(len(data.train[i]) for i in mine)
        role = " (chief)" if worker == 0 else ""
        here = " <- this process" if plan.kind == "multi_worker" and worker == plan.task_index else ""
        lines.append(f"worker {worker}{role}: shard {worker} of {shards}: training pieces {worker}, "
                     f"{worker + shards}, {worker + 2 * shards}, ... ({len(mine)} pieces, {tokens} tokens){here}")
    return lines
