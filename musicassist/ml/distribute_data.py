"""Training windows per data shard: what each worker reads, and how shards form the global batch.

The training pieces are dealt into ``shards`` (piece i goes to shard i % shards); each shard
cuts its own epoch of windows with its own seed (seed, epoch, shard), so transpositions differ
between workers, and only the pieces of a worker's shards are transposed, windowed and given
lookback features there. Step k's global batch is shard 0's k-th block of rows, then shard 1's,
and so on, so a run's result depends on the seed and the number of shards, not on how many
processes computed them: one process holding both shards computes the same batches as two
workers holding one each (the distributed test relies on this).

No TensorFlow here: ``input_rows`` returns numpy arrays that ``tf.data`` slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicassist.codec import Vocabulary

from .dataset import Features, Windows, epoch_windows
from .lookback import LookbackSpec


def shard_pieces(count: int, shard: int, shards: int) -> list[int]:
    """Indices of the pieces in ``shard`` (round robin, so shards differ by at most one piece)."""
    return list(range(shard, count, shards))


def shards_of_pipeline(pipeline: int, pipelines: int, shards: int) -> list[int]:
    """The shards one input pipeline (one worker) reads."""
    return [s for s in range(shards) if s % pipelines == pipeline]


def shard_seed(seed: int, epoch: int, shard: int) -> np.random.Generator:
    """A generator distinct per shard and epoch, the same after a resume."""
    return np.random.default_rng([seed, epoch, shard])


@dataclass(frozen=True)
class ShardWindows:
    """One shard's windows for an epoch, already shuffled."""

    shard: int
    windows: Windows

    @property
    def count(self) -> int:
        return len(self.windows)


def shard_epoch(pieces: Sequence[np.ndarray], vocab: Vocabulary, seq_len: int, seed: int, epoch: int, shard: int,
                shards: int, rows_per_step: int, max_steps: int | None, transpose_range: tuple[int, int],
                transpose_probability: float, features: Sequence[Features] | None = None,
                spec: LookbackSpec | None = None) -> ShardWindows:
    """Shuffled augmented windows of one shard's pieces (``features`` are those pieces' own, in order)."""
    rng = shard_seed(seed, epoch, shard)
    max_windows = max_steps * rows_per_step if max_steps else None
    windows = epoch_windows(pieces, vocab, seq_len, rng, transpose_range, max_windows, transpose_probability,
                            features, spec)
    # Window order inside a shard is random too (model.fit shuffled them); the draw is per shard.
    return ShardWindows(shard, windows.subset(rng.permutation(len(windows))))


def input_rows(parts: Sequence[ShardWindows], steps: int, rows_per_step: int) -> Windows:
    """This pipeline's rows for ``steps`` steps: per step, each local shard's next block, shard by shard."""
    order: list[np.ndarray] = []
    for step in range(steps):
        for part in parts:
            order.append(np.arange(step * rows_per_step, (step + 1) * rows_per_step) + _offset(parts, part))
    stacked = _concat([part.windows for part in parts])
    return stacked.subset(np.concatenate(order) if order else np.zeros(0, dtype=np.int64))


def _offset(parts: Sequence[ShardWindows], part: ShardWindows) -> int:
    offset = 0
    for other in parts:
        if other is part:
            return offset
        offset += other.count
    raise ValueError("part not in parts")


def _concat(windows: Sequence[Windows]) -> Windows:
    if len(windows) == 1:
        return windows[0]
    lookback = None if windows[0].lookback is None else np.concatenate([w.lookback for w in windows])
    flags = (None if windows[0].lookback_flags is None
             else np.concatenate([w.lookback_flags for w in windows]))
    return Windows(np.concatenate([w.inputs for w in windows]), np.concatenate([w.targets for w in windows]),
                   np.concatenate([w.weights for w in windows]), lookback, flags)
