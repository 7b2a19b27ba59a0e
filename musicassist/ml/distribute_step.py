"""The compiled training step under a ``tf.distribute`` strategy, its optimizer and its input pipeline.

Loss: summed weighted cross-entropy of a replica's rows divided by the **global** batch's
token slots (global batch x seq_len), so the replicas' losses add up to exactly what one
process would compute on the whole global batch (Keras' ``sum_over_batch_size``, which the
learning rates were tuned with). Gradients are summed over replicas *before* clipping (per
variable, to ``clipnorm``), so clipping acts on the global gradient as in a one-process run;
the optimizer is told they are already reduced so it does not sum them again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .dataset import Windows


@functools.cache
def _optimizer_class() -> type:
    import keras

    if not hasattr(keras.optimizers.Adam, "_all_reduce_sum_gradients"):  # Keras changed its internals
        raise RuntimeError("This Keras version does not expose Adam._all_reduce_sum_gradients; "
                           "update musicassist.ml.distribute_step for it.")

    class ReducedAdam(keras.optimizers.Adam):
        """Adam that receives gradients already summed over replicas (we clip after summing)."""

        def _all_reduce_sum_gradients(self, grads_and_vars: Any) -> list[Any]:
            return list(grads_and_vars)

    return ReducedAdam


def make_optimizer(learning_rate: float, model: Any) -> Any:
    """Adam with its slots built now (inside the strategy scope) so checkpoints can be restored into it."""
    optimizer = _optimizer_class()(learning_rate)
    optimizer.build(model.trainable_variables)
    return optimizer


def make_train_step(strategy: Any, model: Any, optimizer: Any, global_batch: int, seq_len: int,
                    clipnorm: float) -> Callable[[Any], Any]:
    """A tf.function running one step on every replica; returns the global batch's loss."""
    import tensorflow as tf

    slots = float(global_batch * seq_len)
    variables = model.trainable_variables
    several = strategy.num_replicas_in_sync > 1

    def replica_step(inputs: Any, targets: Any, weights: Any) -> Any:
        with tf.GradientTape() as tape:
            logits = model(list(inputs) if isinstance(inputs, tuple) else inputs, training=True)
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
            loss = tf.reduce_sum(losses * weights) / slots
        grads = tape.gradient(loss, variables)
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        if several:
            grads = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, grads)
        if clipnorm:
            grads = [tf.clip_by_norm(g, clipnorm) for g in grads]
        optimizer.apply(grads, variables)
        return loss

    @tf.function
    def train_step(batch: Any) -> Any:
        per_replica = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return train_step


def distributed_batches(strategy: Any, rows: Windows, pipeline: int, per_replica_batch: int) -> Any:
    """This worker's rows as a distributed dataset: each local replica gets ``per_replica_batch`` rows a step."""
    import tensorflow as tf

    inputs = rows.model_inputs()
    x = tuple(inputs) if isinstance(inputs, list) else inputs

    def dataset_fn(context: Any) -> Any:
        if context.input_pipeline_id != pipeline:
            raise RuntimeError(f"input pipeline {context.input_pipeline_id} asked for worker {pipeline}'s rows")
        dataset = tf.data.Dataset.from_tensor_slices((x, rows.targets, rows.weights))
        return dataset.batch(per_replica_batch, drop_remainder=True).prefetch(2)

    options = tf.distribute.InputOptions(experimental_fetch_to_device=True)
    return strategy.distribute_datasets_from_function(dataset_fn, options)
