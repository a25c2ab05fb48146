"""An ExampleGen output's splits as column arrays, and the per-user queries a served user sends.

Shared by the TopKEvaluator and the offline benchmarks: one vectorised read of the raw examples
(user features, movie, stars, time), users and movies as dense indices.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from serving import contract as C
from transform import features as F

READ_BATCH = 8192


def _spec() -> dict[str, tf.io.FixedLenFeature]:
    spec = {
        name: tf.io.FixedLenFeature([], tf.string, default_value=b"")
        if kind == "string"
        else tf.io.FixedLenFeature([], tf.int64, default_value=0)
        for name, kind in C.USER_INPUTS.items()
    }
    spec[F.MOVIE_ID] = tf.io.FixedLenFeature([], tf.string)
    spec[F.USER_RATING] = tf.io.FixedLenFeature([], tf.float32, default_value=0.0)
    return spec


def split_files(examples_uri: str, split: str) -> list[str]:
    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    if not files:
        raise FileNotFoundError(f"no examples in {examples_uri}/Split-{split}")
    return files


def serialized_batches(files: list[str], batch_size: int = READ_BATCH) -> Iterator[tf.Tensor]:
    """The serialized examples of the files in file order, ``batch_size`` at a time."""
    return iter(tf.data.TFRecordDataset(files, compression_type="GZIP").batch(batch_size).prefetch(2))


def read_columns(files: list[str]) -> dict[str, np.ndarray]:
    """User features, movie id, stars and time of every example of the files (file order)."""
    spec = _spec()
    parts: dict[str, list[np.ndarray]] = {}
    dataset = (  # files one after the other (time ties keep the file order); parsing in parallel
        tf.data.TFRecordDataset(files, compression_type="GZIP")
        .batch(READ_BATCH)
        .map(lambda s: tf.io.parse_example(s, spec), num_parallel_calls=tf.data.AUTOTUNE)
    )
    for batch in dataset.prefetch(2):
        for name, value in batch.items():
            parts.setdefault(name, []).append(value.numpy())
    return {name: np.concatenate(values) for name, values in parts.items()}


@dataclasses.dataclass
class Split:
    """The examples of one ExampleGen output as arrays; movies and users as dense indices."""

    movies: np.ndarray  # movie ids (bytes), index = movie index
    users: np.ndarray  # user ids (bytes), index = user index
    train: dict[str, np.ndarray]  # "user", "movie" (indices), "time", "rating", raw user features
    eval: dict[str, np.ndarray]

    def matrix(self) -> np.ndarray:
        x = np.zeros((len(self.users), len(self.movies)), np.float32)
        x[self.train["user"], self.train["movie"]] = 1.0
        return x

    def popular(self) -> np.ndarray:
        """Movie indices, most-rated in train first (ties: by movie id)."""
        counts = np.bincount(self.train["movie"], minlength=len(self.movies))
        return np.lexsort((self.movies, -counts))


def _index(values: np.ndarray, keys: np.ndarray, what: str) -> np.ndarray:
    """Positions of ``values`` in the sorted-or-not array ``keys`` (every value must be there)."""
    order = np.argsort(keys, kind="stable")
    found = np.searchsorted(keys[order], values)
    found = np.minimum(found, len(keys) - 1)
    positions = order[found]
    missing = keys[positions] != values
    if missing.any():
        raise ValueError(f"{what} {values[missing][0]!r} is not in the catalogue")
    return positions


def read_split(examples_uri: str, catalogue_ids: np.ndarray | None = None) -> Split:
    """Both splits as arrays; ``catalogue_ids``: the movie index order (default: every movie rated)."""
    raw = {split: read_columns(split_files(examples_uri, split)) for split in ("train", "eval")}
    users = np.unique(np.concatenate([raw["train"][F.USER_ID], raw["eval"][F.USER_ID]]))
    if catalogue_ids is None:
        catalogue_ids = np.unique(np.concatenate([raw["train"][F.MOVIE_ID], raw["eval"][F.MOVIE_ID]]))
    catalogue_ids = np.asarray(catalogue_ids, dtype=object)
    out = {}
    for split, r in raw.items():
        out[split] = {
            **r,
            "user": np.searchsorted(users, r[F.USER_ID]),
            "movie": _index(r[F.MOVIE_ID].astype(object), catalogue_ids, "movie"),
            "time": r[F.TIMESTAMP],
            "rating": r[F.USER_RATING],
        }
    return Split(catalogue_ids, users, out["train"], out["eval"])


def user_queries(split: Split, users: np.ndarray) -> list[dict]:
    """What a served user sends for the per-user view: features, all train movies (latest first), time.

    A user without train ratings: empty history, the features and earliest time of their eval ratings.
    """
    t = split.train
    order = np.lexsort((-t["time"], t["user"]))
    starts = np.searchsorted(t["user"][order], users, side="left")
    ends = np.searchsorted(t["user"][order], users, side="right")
    queries = []
    for u, a, b in zip(users, starts, ends, strict=True):
        rows = order[a:b]
        if len(rows) == 0:
            mine = np.nonzero(split.eval["user"] == u)[0]
            first = mine[np.argmin(split.eval["time"][mine])]
            source, when = split.eval, int(split.eval["time"][first])
            history, stars = [], []
        else:
            source, first, when = t, rows[0], int(t["time"][rows[0]])
            history, stars = list(t[F.MOVIE_ID][rows]), list(t["rating"][rows])
        q = {name: source[name][first] for name in C.USER_INPUTS}
        q[F.TIMESTAMP] = when
        q[F.HISTORY_MOVIE_IDS], q[F.HISTORY_RATINGS] = history, stars
        queries.append(q)
    return queries


def request(queries: list[dict], rows_per_query: int = 1) -> dict[str, tf.Tensor]:
    """Signature inputs for queries, each repeated ``rows_per_query`` times (ranking rows)."""
    width = max(len(q[F.HISTORY_MOVIE_IDS]) for q in queries)
    n = len(queries) * rows_per_query
    ids = np.full((n, width), b"", dtype=object)
    stars = np.zeros((n, width), np.float32)
    inputs: dict[str, tf.Tensor] = {}
    for name, dtype in C.USER_INPUTS.items():
        values = np.repeat(
            np.array([q[name] for q in queries], dtype=object if dtype == "string" else np.int64), rows_per_query
        )
        inputs[name] = tf.constant(values, tf.string if dtype == "string" else tf.int64)
    for i, q in enumerate(queries):
        h = len(q[F.HISTORY_MOVIE_IDS])
        ids[i * rows_per_query : (i + 1) * rows_per_query, :h] = q[F.HISTORY_MOVIE_IDS]
        stars[i * rows_per_query : (i + 1) * rows_per_query, :h] = q[F.HISTORY_RATINGS]
    inputs[F.HISTORY_MOVIE_IDS] = tf.constant(ids, tf.string)
    inputs[F.HISTORY_RATINGS] = tf.constant(stars)
    return inputs
