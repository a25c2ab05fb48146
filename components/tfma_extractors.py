"""TFMA extractors for the TFX Evaluator (its ``custom_extractors`` hook): TFMA's defaults, with
the per-example features dropped before unbatching when no slice or query metric needs them.

TFMA unbatches every extract into one Python dict per example before computing metrics. With
only the overall slice, the raw features (a user's 50-movie history among them) and the raw
record are carried and split for nothing: on MovieLens 1M that split was about a third of the
ranking Evaluator's time. The metrics themselves (labels, predictions, weights) are unchanged.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis import constants
from tensorflow_model_analysis.extractors.unbatch_extractor import UNBATCH_EXTRACTOR_STAGE_NAME

DROP_STAGE = "DropUnslicedFeatures"
_DROPPED = (constants.FEATURES_KEY, constants.TRANSFORMED_FEATURES_KEY, constants.INPUT_KEY)


def slices_need_features(eval_config: tfma.EvalConfig) -> bool:
    """Whether any slicing spec reads a feature (anything but the overall slice), or any metric
    groups examples by a query feature (NDCG, MRR...)."""
    specs = list(eval_config.slicing_specs) + [s for c in eval_config.cross_slicing_specs for s in c.slicing_specs]
    sliced = any(s.feature_keys or s.feature_values or s.slice_keys_sql for s in specs)
    return sliced or any(m.query_key for m in eval_config.metrics_specs)


def _drop(extracts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extracts.items() if k not in _DROPPED}


def custom_extractors(
    eval_shared_model: Any, eval_config: tfma.EvalConfig, tensor_adapter_config: Any
) -> list[tfma.extractors.Extractor]:
    """TFMA's default extractors, with the features dropped just before the UnbatchExtractor."""
    extractors = tfma.default_extractors(
        eval_shared_model=eval_shared_model, eval_config=eval_config, tensor_adapter_config=tensor_adapter_config
    )
    if slices_need_features(eval_config):
        return extractors
    unbatch = next(i for i, e in enumerate(extractors) if e.stage_name == UNBATCH_EXTRACTOR_STAGE_NAME)
    drop = tfma.extractors.Extractor(stage_name=DROP_STAGE, ptransform=beam.Map(_drop))
    return [*extractors[:unbatch], drop, *extractors[unbatch:]]
