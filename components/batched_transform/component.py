"""TFX's Transform with a fixed, large batch for tf.Transform's Beam stages.

TFX's Transform leaves the batch size to Beam's BatchElements, which settles on batches of a few
hundred examples: one TensorFlow call per batch, so on MovieLens 1M thousands of calls whose
fixed cost outweighs the work. Everything else is TFX's own Transform component and executor.
"""

from __future__ import annotations

from tfx.components import Transform
from tfx.components.transform import executor as transform_executor
from tfx.dsl.components.base import executor_spec

DESIRED_BATCH_SIZE = 8192


class Executor(transform_executor.Executor):
    def _GetDesiredBatchSize(self, data_format, schema):
        size = super()._GetDesiredBatchSize(data_format, schema)
        return DESIRED_BATCH_SIZE if size is None else size


class BatchedTransform(Transform):
    """``tfx.components.Transform`` (same spec, inputs, outputs and parameters), larger batches."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)
