"""One training process for the distributed tests: ``python -m tests.ml.distributed_worker OUT [options]``.

It trains the tiny test model on the tiny corpus through ``train()`` with the strategy that
``TF_CONFIG`` names (none: one process), then saves its final weights to ``OUT/weights-<task>.npz``
so the test can compare workers. Options: ``--epochs N``, ``--shards N`` (data shards for a
one-process reference run), ``--resume``, ``--timeout S`` (collective timeout),
``--mirrored-cpus N`` (MirroredStrategy over N logical CPU devices), ``--dropout P``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from musicassist.codec import default_vocabulary
from musicassist.core.errors import MusicAssistError
from musicassist.ml.distribute import plan_strategy
from musicassist.ml.model import ModelConfig
from musicassist.ml.train import TrainConfig, TrainData, train

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()
MODEL = ModelConfig(VOCAB.size, embed_dim=16, units=(32,), dropout=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--shards", type=int, default=None)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--mirrored-cpus", type=int, default=0, help="MirroredStrategy over N logical CPUs")
    parser.add_argument("--dropout", type=float, default=0.0)
    args = parser.parse_args(argv)
    devices = None
    if args.mirrored_cpus:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.mirrored_cpus)
        devices = ",".join(f"/cpu:{i}" for i in range(args.mirrored_cpus))
    plan = plan_strategy(devices=devices, collective_timeout_s=args.timeout)
    data = TrainData(tiny_corpus(24, seed=10), tiny_corpus(4, seed=11), {"sources": ["tiny"]})
    config = TrainConfig(seq_len=32, batch_size=8, learning_rate=1e-2, epochs=args.epochs,
                         steps_per_epoch=args.steps, patience=9, seed=7)
    model_dir = args.out / "model"
    weights: list[np.ndarray] = []
    try:
        model = ModelConfig(VOCAB.size, MODEL.embed_dim, MODEL.units, args.dropout)
        train(data, VOCAB, model_dir, model, config, resume=args.resume, progress=False, plan=plan,
              data_shards=args.shards, final_weights=weights,
              log=lambda m: print(f"[worker {plan.task_index}] {m}", flush=True))
    except MusicAssistError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    np.savez(args.out / f"weights-{plan.task_index}.npz", *weights)
    print(f"[worker {plan.task_index}] finished", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
