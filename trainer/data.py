"""Datasets for training: transformed examples, and the transformed movie catalogue."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from tfx_bsl.public import tfxio

from components.movielens_example_gen.catalogue import tfrecord_path
from transform import features as F

MOVIE_ID_KEY = "movie_id_raw"  # the raw movie id kept beside the transformed movie features


def input_fn(
    file_pattern: list[str],
    data_accessor,
    tf_transform_output: tft.TFTransformOutput,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 42,
    shuffle_buffer: int = 10_000,
) -> tf.data.Dataset:
    """Batches of transformed features (dicts), one pass over the files.

    ExampleGen writes each user's examples together: a buffer of a few thousand examples gives
    batches of a few dozen users, which trains measurably worse than a shuffle over (nearly) all.
    """
    return data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=batch_size,
            num_epochs=1,
            shuffle=shuffle,
            shuffle_seed=seed,
            shuffle_buffer_size=shuffle_buffer,
        ),
        tf_transform_output.transformed_metadata.schema,
    )


def raw_movie_spec(tf_transform_output: tft.TFTransformOutput) -> dict[str, tf.io.FixedLenFeature]:
    spec = tf_transform_output.raw_feature_spec()
    return {k: v for k, v in spec.items() if k in F.MOVIE_FEATURES + F.ENRICHMENT_FEATURES}


def catalogue_dataset(
    catalogue_uri: str, tf_transform_output: tft.TFTransformOutput, batch_size: int = 1024
) -> tf.data.Dataset:
    """Every movie once: transformed movie features plus ``movie_id_raw`` (the raw id)."""
    path = tfrecord_path(catalogue_uri)
    spec = raw_movie_spec(tf_transform_output)
    layer = tf_transform_output.transform_features_layer()

    def transform(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
        raw = tf.io.parse_example(serialized, spec)
        transformed = layer(raw)
        transformed[MOVIE_ID_KEY] = tf.reshape(raw[F.MOVIE_ID], [-1])
        return transformed

    return tf.data.TFRecordDataset(path, compression_type="GZIP").batch(batch_size).map(transform)


def catalogue_tensors(catalogue_uri: str, tf_transform_output: tft.TFTransformOutput) -> dict[str, np.ndarray]:
    """The whole transformed catalogue as arrays (one row per movie, the catalogue's order)."""
    parts: dict[str, list[np.ndarray]] = {}
    for batch in catalogue_dataset(catalogue_uri, tf_transform_output):
        for name, value in batch.items():
            parts.setdefault(name, []).append(value.numpy())
    return {name: np.concatenate(values) for name, values in parts.items()}


def rows_by_vocabulary_index(movie_index: np.ndarray, num_indices: int) -> np.ndarray:
    """Catalogue row of each movie vocabulary index (-1: none, e.g. the out-of-vocabulary bucket).

    ``movie_index``: the transformed movie_id of each catalogue row. Movies never rated in train
    share the OOV index: that index maps to no row (it is never a training target).
    """
    rows = np.full(num_indices, -1, np.int64)
    counts = np.bincount(movie_index, minlength=num_indices)
    unique = counts[movie_index] == 1
    rows[movie_index[unique]] = np.nonzero(unique)[0]
    return rows
