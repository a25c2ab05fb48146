"""The movie catalogue artifact's files: written by ExampleGen, read by the trainer, exporter and report."""

from __future__ import annotations

import csv
import os
from typing import Any

import tensorflow as tf

from movielens import features as F
from movielens.example_codec import from_example, to_example

CATALOGUE_TFRECORD = "catalogue.tfrecord.gz"
CATALOGUE_CSV = "movies.csv"


def tfrecord_path(uri: str) -> str:
    return os.path.join(uri, CATALOGUE_TFRECORD)


def write_catalogue(uri: str, movies: dict[str, dict[str, Any]]) -> None:
    """Every movie once: tf.Examples (for the retrieval index) and a CSV (for people and clients)."""
    tf.io.gfile.makedirs(uri)
    ordered = sorted(movies.values(), key=lambda m: int(m[F.MOVIE_ID]))
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(tfrecord_path(uri), options) as writer:
        for movie in ordered:
            writer.write(to_example(movie).SerializeToString())
    columns = [name for name in F.MOVIE_FEATURES + F.ENRICHMENT_FEATURES]
    with tf.io.gfile.GFile(os.path.join(uri, CATALOGUE_CSV), "w") as f:
        writer_csv = csv.writer(f)
        writer_csv.writerow(columns)
        for movie in ordered:
            row = []
            for name in columns:
                value = movie.get(name)
                row.append(
                    "|".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else value)
                )
            writer_csv.writerow(row)


def read_catalogue(uri: str) -> list[dict[str, Any]]:
    """Every movie of the catalogue as a raw feature dict (title, genres as a list, year, ...)."""
    return [
        from_example(tf.train.Example.FromString(record.numpy()))
        for record in tf.data.TFRecordDataset(tfrecord_path(uri), compression_type="GZIP")
    ]
