"""TFMA extractors for the TFX Evaluator (its ``custom_extractors`` hook): TFMA's defaults, with
the per-example features no slice or metric reads dropped before unbatching.

TFMA unbatches every extract into one Python dict per example before computing metrics. The raw
features (a user's 50-movie history among them) and the raw record are carried and split for
nothing when only the overall slice is computed: on MovieLens 1M that split was about a third of
the ranking Evaluator's time. Slices keep their feature keys, and query metrics (NDCG over each
user's movies) keep their query and gain keys; only SQL slices keep everything. The metrics
themselves (labels, predictions, weights) are unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis import constants
from tensorflow_model_analysis.extractors.unbatch_extractor import UNBATCH_EXTRACTOR_STAGE_NAME

DROP_STAGE = "DropUnslicedFeatures"
_ALWAYS_DROPPED = (constants.TRANSFORMED_FEATURES_KEY, constants.INPUT_KEY)


def needed_features(eval_config: tfma.EvalConfig) -> frozenset[str] | None:
    """The feature names a slice or a metric reads (empty: the overall slice only); None when a
    SQL slice may read any of them."""
    specs = list(eval_config.slicing_specs) + [s for c in eval_config.cross_slicing_specs for s in c.slicing_specs]
    if any(s.slice_keys_sql for s in specs):
        return None
    names = {key for s in specs for key in (*s.feature_keys, *s.feature_values)}
    for metrics_spec in eval_config.metrics_specs:
        if metrics_spec.query_key:
            names.add(metrics_spec.query_key)
        for metric in metrics_spec.metrics:
            names.update(_config_keys(metric.config))
    return frozenset(names)


def _config_keys(config: str) -> set[str]:
    """Feature keys a metric's config names (NDCG's ``gain_key``); TFMA's configs are JSON objects
    written without their braces."""
    text = (config or "").strip()
    try:
        doc = json.loads(text if text.startswith("{") else "{" + text + "}")
    except ValueError:
        return set()
    return {str(v) for k, v in doc.items() if k.endswith("_key") and v} if isinstance(doc, dict) else set()


def _keeper(names: frozenset[str]):
    def keep(extracts: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in extracts.items() if k not in (*_ALWAYS_DROPPED, constants.FEATURES_KEY)}
        features = extracts.get(constants.FEATURES_KEY)
        if names and features is not None:
            kept[constants.FEATURES_KEY] = {k: v for k, v in features.items() if k in names}
        return kept

    return keep


def custom_extractors(
    eval_shared_model: Any, eval_config: tfma.EvalConfig, tensor_adapter_config: Any
) -> list[tfma.extractors.Extractor]:
    """TFMA's default extractors, with the unread features dropped just before the UnbatchExtractor."""
    extractors = tfma.default_extractors(
        eval_shared_model=eval_shared_model, eval_config=eval_config, tensor_adapter_config=tensor_adapter_config
    )
    names = needed_features(eval_config)
    if names is None:
        return extractors
    unbatch = next(i for i, e in enumerate(extractors) if e.stage_name == UNBATCH_EXTRACTOR_STAGE_NAME)
    drop = tfma.extractors.Extractor(stage_name=DROP_STAGE, ptransform=beam.Map(_keeper(names)))
    return [*extractors[:unbatch], drop, *extractors[unbatch:]]
