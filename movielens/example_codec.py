"""Feature dicts <-> tf.train.Example, typed by transform.features.FEATURE_TYPES."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from movielens import features as F


def to_example(features: Mapping[str, Any]) -> tf.train.Example:
    """Build a tf.Example; absent or None features are left out (never invented)."""
    example = tf.train.Example()
    fmap = example.features.feature
    for name, value in features.items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        kind = F.FEATURE_TYPES[name]
        if kind is str:
            fmap[name].bytes_list.value.extend(str(v).encode("utf-8") for v in values)
        elif kind is int:
            fmap[name].int64_list.value.extend(int(v) for v in values)
        else:
            fmap[name].float_list.value.extend(float(v) for v in values)
    return example


def from_example(example: tf.train.Example) -> dict[str, Any]:
    """The inverse of :func:`to_example` (single values unwrapped, genres kept as a list)."""
    result: dict[str, Any] = {}
    for name, feature in example.features.feature.items():
        kind = feature.WhichOneof("kind")
        if kind == "bytes_list":
            values: list[Any] = [v.decode("utf-8") for v in feature.bytes_list.value]
        elif kind == "int64_list":
            values = list(feature.int64_list.value)
        elif kind == "float_list":
            values = list(feature.float_list.value)
        else:
            continue
        result[name] = values if name in F.MULTIVALENT_FEATURES else (values[0] if values else None)
    return result
