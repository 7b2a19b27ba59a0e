"""Which ``tf.distribute`` strategy a training run uses, and the few collectives the loop needs.

One CPU (the default strategy), the GPUs of one machine (``MirroredStrategy``), or several
machines (``MultiWorkerMirroredStrategy``, configured by ``TF_CONFIG`` the way Kubernetes,
Slurm launchers and cloud training services set it, or by ``--cluster``/``--task-index``).
The plan (``StrategyPlan``) is worked out without TensorFlow so ``train --dry-run`` and the
option checks stay instant; ``make_strategy`` imports TensorFlow only when training starts.

Collectives have a timeout (``collective_timeout_s``) so a worker that dies ends the run on the
others with a clear message instead of leaving them waiting forever.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from musicassist.core.errors import ModelError, OptionError

GATHER_WIDTH = 8  # values a worker shares at once (gather_per_worker)
DEFAULT_COLLECTIVE_TIMEOUT_S = 300.0  # longer than any validation pass between two steps on a slow worker
STARTUP_MARGIN_S = 120.0  # on top of the collective timeout: peers may start TensorFlow later (slow imports)


@dataclass(frozen=True)
class StrategyPlan:
    """What the run will look like: strategy kind, workers, this process's place in them."""

    kind: str  # "default" | "mirrored" | "multi_worker"
    workers: tuple[str, ...] = ()  # host:port of every worker (multi_worker only)
    task_index: int = 0
    devices: tuple[str, ...] = ()  # local devices of a mirrored run
    collective_timeout_s: float = DEFAULT_COLLECTIVE_TIMEOUT_S

    @property
    def worker_count(self) -> int:
        return max(len(self.workers), 1)

    @property
    def is_chief(self) -> bool:
        """Worker 0 is the chief: it alone writes checkpoints and the model folder."""
        return self.task_index == 0

    def describe(self) -> str:
        if self.kind == "multi_worker":
            return (f"MultiWorkerMirroredStrategy over {self.worker_count} workers ({', '.join(self.workers)}); "
                    f"this is worker {self.task_index}{' (chief)' if self.is_chief else ''}")
        if self.kind == "mirrored":
            return f"MirroredStrategy over {', '.join(self.devices) or 'all local GPUs'}"
        return "default strategy (one device)"


def parse_cluster(text: str) -> tuple[str, ...]:
    """``host:port,host:port`` -> the worker addresses, checked for shape."""
    workers = tuple(part.strip() for part in text.split(",") if part.strip())
    for worker in workers:
        host, _, port = worker.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise OptionError(f"--cluster takes host:port pairs separated by commas, not '{worker}'.")
    if len(set(workers)) != len(workers) or not workers:
        raise OptionError("--cluster must name each worker once, like host1:12345,host2:12345.")
    return workers


def tf_config_for(workers: Sequence[str], task_index: int) -> str:
    """The TF_CONFIG a worker needs (what a cluster manager would set for it)."""
    return json.dumps({"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": task_index}})


def _plan_from_tf_config(text: str, timeout: float) -> StrategyPlan:
    try:
        config = json.loads(text)
        cluster = config["cluster"]
        task = config.get("task", {})
        chief = list(cluster.get("chief", []))
        workers = tuple(chief + list(cluster.get("worker", [])))
        kind, index = task.get("type", "worker"), int(task.get("index", 0))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OptionError("TF_CONFIG is not valid JSON with a 'cluster' of workers and a 'task'.") from exc
    if kind not in ("worker", "chief") or not workers:
        raise OptionError(f"TF_CONFIG task type '{kind}' is not supported: use 'worker' (and optionally 'chief').")
    position = index if kind == "chief" else index + len(chief)
    if not 0 <= position < len(workers):
        raise OptionError(f"TF_CONFIG task index {index} is outside the cluster of {len(workers)} workers.")
    return StrategyPlan("multi_worker", workers, position, collective_timeout_s=timeout)


def plan_strategy(cluster: str | None = None, task_index: int | None = None, devices: str | None = None,
                  collective_timeout_s: float = DEFAULT_COLLECTIVE_TIMEOUT_S,
                  environ: dict[str, str] | None = None) -> StrategyPlan:
    """Choose the strategy from the options and the environment (no TensorFlow needed)."""
    env = os.environ if environ is None else environ
    if collective_timeout_s <= 0:
        raise OptionError("--collective-timeout must be a positive number of seconds.")
    if cluster is not None:
        workers = parse_cluster(cluster)
        if task_index is None or not 0 <= task_index < len(workers):
            raise OptionError(f"--cluster needs --task-index between 0 and {len(workers) - 1} (this worker's place).")
        return StrategyPlan("multi_worker", workers, task_index, collective_timeout_s=collective_timeout_s)
    if task_index is not None:
        raise OptionError("--task-index only makes sense with --cluster.")
    tf_config = env.get("TF_CONFIG", "").strip()
    if tf_config:
        plan = _plan_from_tf_config(tf_config, collective_timeout_s)
        if plan.worker_count > 1:
            return plan
    if devices:
        names = tuple(d.strip() for d in devices.split(",") if d.strip())
        if names == ("all",):
            names = ()
        return StrategyPlan("mirrored", devices=names, collective_timeout_s=collective_timeout_s)
    return StrategyPlan("default", collective_timeout_s=collective_timeout_s)


def make_strategy(plan: StrategyPlan) -> Any:
    """The tf.distribute strategy for the plan (imports TensorFlow)."""
    import tensorflow as tf

    if plan.kind == "multi_worker":
        os.environ["TF_CONFIG"] = tf_config_for(plan.workers, plan.task_index)
        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=plan.collective_timeout_s)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    if plan.kind == "mirrored":
        if not plan.devices and not tf.config.list_logical_devices("GPU"):
            raise OptionError("--devices all found no GPU; name devices like /gpu:0,/gpu:1 or leave --devices out.")
        return tf.distribute.MirroredStrategy(list(plan.devices) or None)
    return tf.distribute.get_strategy()


def split_batch(global_batch: int, replicas: int, shards: int) -> int:
    """Rows each data shard contributes to a step; the global batch must split evenly."""
    if global_batch % replicas or global_batch % shards:
        raise OptionError(f"--batch-size {global_batch} is the global batch and must split evenly over "
                          f"{replicas} replicas and {shards} data shards.")
    return global_batch // shards


def gather_per_worker(strategy: Any, workers: int, values: Sequence[float]) -> np.ndarray:
    """Each worker's ``values``, one row per worker in task order (row 0: the chief), the same on all workers.

    Used to agree on the number of steps (the minimum over workers: all must run the same number
    of collectives), to add up token counts, and to take the chief's decisions (row 0).
    """
    import tensorflow as tf

    local = np.zeros((1, GATHER_WIDTH), dtype=np.float64)  # the same shape on every call and worker
    local[0, :len(values)] = values
    if strategy.num_replicas_in_sync == 1:
        return local[:, :len(values)]

    def value_fn(_context: Any) -> Any:
        return tf.constant(local)

    # strategy.gather traces a small function per call (TensorFlow warns about retracing after a few);
    # it runs a few times per epoch, which costs milliseconds. An all_gather inside our own
    # tf.function failed under MultiWorkerMirroredStrategy ("destinations can not be empty").
    per_replica = strategy.experimental_distribute_values_from_function(value_fn)
    rows = np.asarray(strategy.gather(per_replica, axis=0))
    return rows[:: len(rows) // workers, :len(values)]  # a worker's local replicas hold copies of its row


def broadcast_variables(strategy: Any, variables: Sequence[Any]) -> None:
    """Copy the chief's (replica 0's) values of ``variables`` to every replica on every worker.

    Restoring a checkpoint or a starting model happens on each worker from its own disk; this
    makes sure all of them start from the chief's values even when their disks differ.
    """
    import tensorflow as tf

    if strategy.num_replicas_in_sync == 1:
        return

    @tf.function
    def chief_values() -> list[Any]:
        def pick() -> list[Any]:
            context = tf.distribute.get_replica_context()
            keep = tf.cast(tf.equal(context.replica_id_in_sync_group, 0), tf.float64)
            return context.all_reduce(tf.distribute.ReduceOp.SUM,
                                      [tf.cast(v.value if hasattr(v, "value") else v, tf.float64) * keep
                                       for v in variables])

        return strategy.run(pick)

    values = chief_values()
    for variable, value in zip(variables, values, strict=True):
        local = strategy.experimental_local_results(value)[0]
        variable.assign(tf.cast(local, variable.dtype))


class StartupWatchdog:
    """Ends the process with a one-line message if the cluster has not formed in time.

    A worker that never starts leaves the others blocked inside TensorFlow's cluster start-up,
    where the collective timeout does not reach and the Python interpreter lock is held (measured:
    still waiting after 13 minutes with a 20 s timeout; even SIGTERM went unanswered). A Python
    thread cannot act then, so the watchdog is a small separate process: unless told within
    ``seconds`` that the workers agreed, it prints which workers it cannot reach and kills this one.
    """

    def __init__(self, plan: StrategyPlan, seconds: float | None = None) -> None:
        self.plan = plan
        self.seconds = plan.collective_timeout_s + STARTUP_MARGIN_S if seconds is None else seconds
        self._process: Any = None

    def __enter__(self) -> StartupWatchdog:
        if self.plan.kind == "multi_worker":
            import subprocess
            import sys

            self._process = subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.seconds), *self.plan.workers],
                stdin=subprocess.PIPE)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.stdin.close()  # end of input: the watchdog leaves quietly
            self._process.wait()
            self._process = None


_WATCHDOG = """
import os, select, signal, socket, sys
parent, seconds, workers = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
ready, _, _ = select.select([sys.stdin], [], [], seconds)
if ready:
    sys.exit(0)
silent = []
for address in workers:
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        silent.append(address)
who = "no answer from " + ", ".join(silent) if silent else "every worker answers but the cluster did not form"
print(f"musicassist: the {len(workers)} training workers did not all join within {seconds:.0f} s ({who}); "
      "start every worker with the same cluster, or raise --collective-timeout.", file=sys.stderr, flush=True)
os.kill(parent, signal.SIGKILL)
"""


def worker_failure(exc: BaseException, epoch: int) -> ModelError:
    """The one-line message a surviving worker ends with when a peer dies or stops answering."""
    return ModelError(f"Training stopped in epoch {epoch}: another worker stopped or cannot be reached "
                      f"({type(exc).__name__}). Restart every worker with --resume to continue from the last "
                      "checkpoint.")
