"""Datasets for training: transformed examples, and the transformed movie catalogue."""

from __future__ import annotations

import glob
import os
import time

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging

from movielens.catalogue import tfrecord_path
from trainer.listwise import sample_list_rows
from transform import features as F

MOVIE_ID_KEY = "movie_id_raw"  # the raw movie id kept beside the transformed movie features


def transformed_batches(
    file_pattern: list[str], tf_transform_output: tft.TFTransformOutput, batch_size: int
) -> tf.data.Dataset:
    """Batches of transformed features (dicts) from raw examples: parsed, then the Transform graph
    applied (Transform does not materialize transformed examples; the graph is the same one every
    exported model embeds), in file order, one pass."""
    files = sorted(f for pattern in file_pattern for f in glob.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no examples match {file_pattern}")
    spec = tf_transform_output.raw_feature_spec()
    layer = tf_transform_output.transform_features_layer()

    @tf.autograph.experimental.do_not_convert
    def transform(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
        return layer(tf.io.parse_example(serialized, spec))

    return (
        tf.data.TFRecordDataset(files, compression_type="GZIP")
        .batch(batch_size)
        .map(transform, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(2)
    )


def load_split(
    file_pattern: list[str], tf_transform_output: tft.TFTransformOutput, parse_batch: int = 8192
) -> dict[str, np.ndarray]:
    """Every example of the (raw) files, parsed and transformed once into dense arrays (one row each).

    Parsing the gzipped tf.Examples costs about an epoch of training on ml-1m: the trainers parse
    once and train every epoch from memory. The last call's arrays are kept for the next
    trainer in the same process (LocalDagRunner runs the three trainers on the same split).
    """
    files = sorted(f for pattern in file_pattern for f in glob.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no examples match {file_pattern}")
    graph = getattr(tf_transform_output, "_transform_output_dir", str(id(tf_transform_output)))
    key = (graph, *((f, os.path.getmtime(f), os.path.getsize(f)) for f in files))
    if _LOADED.get("key") == key:
        return _LOADED["arrays"]
    started = time.perf_counter()
    dataset = transformed_batches(files, tf_transform_output, parse_batch)
    parts: dict[str, list[np.ndarray]] = {}
    for batch in dataset:
        for name, value in batch.items():
            if isinstance(value, (tf.SparseTensor, tf.RaggedTensor)):
                raise ValueError(f"transformed feature {name} is not dense: the trainer needs dense features")
            parts.setdefault(name, []).append(value.numpy())
    arrays = {name: np.concatenate(values) for name, values in parts.items()}
    rows = len(next(iter(arrays.values()))) if arrays else 0
    logging.warning("[movierec] parsed and transformed %d examples in %.1f s", rows, time.perf_counter() - started)
    _LOADED.clear()
    _LOADED.update(key=key, arrays=arrays)
    return arrays


_LOADED: dict = {}


def in_memory_dataset(
    arrays: dict[str, np.ndarray], batch_size: int, shuffle: bool = True, seed: int = 42, repeat: bool = False
) -> tf.data.Dataset:
    """Batches of ``arrays``, reshuffled over all rows every epoch (every pass).

    Each batch is cut from the arrays in numpy (a fresh seeded permutation per pass). The arrays
    are not captured by a tf.data function: tf.data's graph rewrites serialize captured tensors at
    every new iterator, which stalled training for 15-30 s between epochs on ml-1m; and a tf.data
    shuffle buffer of every row took seconds to fill each epoch.

    ``repeat``: endless passes, for one iterator over all epochs (``fit`` with
    :func:`steps_per_epoch`): deleting an iterator at each epoch's end waits for its tf.data
    autotune thread, which sleeps up to a minute between optimisations (15-40 s between the
    epochs of the ml-1m trainers). Autotuning is off as well: the batches come from numpy with a
    fixed prefetch, there is nothing for it to tune, and deleting the one iterator at the end of
    ``fit`` still waited for its thread (35-45 s after the last epoch of each ml-1m trainer, on
    the critical path of the pipeline); epochs take as long without it.
    """
    rows = len(next(iter(arrays.values())))
    rng = np.random.default_rng(seed)

    def batches():
        order = rng.permutation(rows) if shuffle else np.arange(rows)
        for start in range(0, rows, batch_size):
            index = order[start : start + batch_size]
            yield {name: values[index] for name, values in arrays.items()}

    return _numpy_batches(batches, arrays, repeat)


def _numpy_batches(batches, arrays: dict[str, np.ndarray], repeat: bool = False) -> tf.data.Dataset:
    """A dataset of the dict batches ``batches()`` yields (the arrays' dtypes and trailing shapes),
    with a fixed prefetch and tf.data autotuning off (see :func:`in_memory_dataset`)."""
    signature = {
        name: tf.TensorSpec((None, *values.shape[1:]), tf.as_dtype(values.dtype)) for name, values in arrays.items()
    }
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    options = tf.data.Options()
    options.autotune.enabled = False
    return (dataset.repeat() if repeat else dataset).prefetch(2).with_options(options)


def list_dataset(
    arrays: dict[str, np.ndarray], list_length: int, lists_per_user: int, batch_size: int, seed: int = 42
) -> tf.data.Dataset:
    """Endless batches of whole per-user lists for a list loss: each pass draws ``lists_per_user``
    lists of ``list_length`` of each user's rows (:func:`trainer.listwise.sample_list_rows`), in a
    random order, ``batch_size // list_length`` lists a batch, flattened to rows (list after list).
    A padding row repeats the list's first row with rating 0, which the list losses leave out.
    """
    users = arrays[F.transformed_name(F.USER_ID)]
    rng = np.random.default_rng(seed)
    per_batch = max(1, batch_size // list_length)

    def batches():
        while True:
            lists = sample_list_rows(users, list_length, lists_per_user, rng)
            lists = lists[rng.permutation(len(lists))]
            for start in range(0, len(lists), per_batch):
                block = lists[start : start + per_batch]
                padded = block < 0
                rows = np.where(padded, block[:, :1], block).reshape(-1)
                batch = {name: values[rows] for name, values in arrays.items()}
                batch[F.USER_RATING] = np.where(padded.reshape(-1), 0, batch[F.USER_RATING]).astype(
                    arrays[F.USER_RATING].dtype
                )
                yield batch

    return _numpy_batches(batches, arrays)  # endless already: a fresh draw of lists each pass


def list_steps_per_epoch(users: np.ndarray, list_length: int, lists_per_user: int, batch_size: int) -> int:
    """Batches of :func:`list_dataset` in one pass: every user with 2 or more rows has its lists."""
    counts = np.bincount(np.unique(users, return_inverse=True)[1])
    return steps_per_epoch(int((counts >= 2).sum()) * lists_per_user, max(1, batch_size // list_length))


def steps_per_epoch(rows: int, batch_size: int) -> int:
    """Batches in one pass over ``rows`` (the last one may be short)."""
    return -(-rows // batch_size)


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
