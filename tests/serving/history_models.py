"""Tiny hand-made SavedModels with the history inputs of serving/contract.py (no training).

- ``history``: ``user_id`` [None] + ``history_movie_ids`` / ``history_ratings`` [None, None] ->
  ``count`` (non-empty ids per row), ``rating_sum`` and ``width`` (H, per row).
- ``retrieval``: the retrieval contract over a fixed catalogue with fixed scores: ``serving_default``
  leaves the history's movies out, ``retrieve_unfiltered`` does not.
- ``ranking``: the ranking contract: a fixed rating per movie plus 0.1 per history movie; ``movies``.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from serving import contract as C
from transform import features as F

CATALOGUE = ("10", "20", "30", "40", "50")
RETRIEVAL_SCORES = (5.0, 4.0, 3.0, 2.0, 1.0)  # retrieval order: 10, 20, 30, 40, 50
RATINGS = (1.0, 2.0, 5.0, 4.0, 3.0)  # ranking order: 30, 40, 50, 20, 10
HISTORY_BONUS = 0.1  # per non-empty history entry, added to every predicted rating
TOP_K = 3
TITLES = tuple(f"Movie {m} (19{m})" for m in CATALOGUE)
GENRES = ("Action", "Comedy|Drama", "Drama", "Horror", "War")

_DTYPES = {"string": tf.string, "int64": tf.int64, "float32": tf.float32}
HISTORY_SPEC = {n: tf.TensorSpec([None, None], _DTYPES[t], name=n) for n, t in C.HISTORY_INPUTS.items()}
USER_SPEC = {n: tf.TensorSpec([None], _DTYPES[t], name=n) for n, t in C.USER_INPUTS.items()}
MOVIE_SPEC = {F.MOVIE_ID: tf.TensorSpec([None], tf.string, name=F.MOVIE_ID)}


def _count(ids: tf.Tensor) -> tf.Tensor:
    return tf.reduce_sum(tf.cast(tf.not_equal(ids, ""), tf.int32), axis=1)


class HistoryEcho(tf.Module):
    @tf.function(input_signature=[{F.USER_ID: USER_SPEC[F.USER_ID], **HISTORY_SPEC}])
    def serve(self, inputs):
        ids, ratings = inputs[F.HISTORY_MOVIE_IDS], inputs[F.HISTORY_RATINGS]
        rows = tf.shape(inputs[F.USER_ID])[0]
        return {
            "count": _count(ids),
            "rating_sum": tf.reduce_sum(ratings, axis=1),
            "width": tf.fill([rows], tf.shape(ids)[1]),
        }


class Retrieval(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.catalogue = tf.constant(CATALOGUE)
        self.scores = tf.constant(RETRIEVAL_SCORES)

    def _top(self, inputs, exclude: bool):
        rows = tf.shape(inputs[F.USER_ID])[0]
        scores = tf.tile(self.scores[None, :], [rows, 1])
        if exclude:
            ids = inputs[F.HISTORY_MOVIE_IDS]
            seen = tf.reduce_any(tf.equal(ids[:, :, None], self.catalogue[None, None, :]), axis=1)
            scores = tf.where(seen, tf.fill(tf.shape(scores), -1e9), scores)
        top = tf.math.top_k(scores, k=TOP_K)
        return {C.MOVIE_IDS: tf.gather(self.catalogue, top.indices), C.SCORES: top.values}

    @tf.function(input_signature=[{**USER_SPEC, **HISTORY_SPEC}])
    def serve(self, inputs):
        return self._top(inputs, exclude=True)

    @tf.function(input_signature=[{**USER_SPEC, **HISTORY_SPEC}])
    def unfiltered(self, inputs):
        return self._top(inputs, exclude=False)


class Ranking(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(CATALOGUE), tf.range(len(CATALOGUE))), -1
        )
        self.ratings = tf.constant(RATINGS)
        self.titles, self.genres = tf.constant(TITLES), tf.constant(GENRES)
        self.years = tf.constant([1900 + int(m) for m in CATALOGUE], tf.int64)

    def _rows(self, movie_ids):
        rows = self.table.lookup(movie_ids)
        with tf.control_dependencies([tf.debugging.assert_non_negative(rows, message="unknown movie_id")]):
            return tf.identity(rows)

    @tf.function(input_signature=[{**USER_SPEC, **HISTORY_SPEC, **MOVIE_SPEC}])
    def serve(self, inputs):
        rating = tf.gather(self.ratings, self._rows(inputs[F.MOVIE_ID]))
        bonus = HISTORY_BONUS * tf.cast(_count(inputs[F.HISTORY_MOVIE_IDS]), tf.float32)
        return {C.PREDICTED_RATING: rating + bonus}

    @tf.function(input_signature=[MOVIE_SPEC])
    def movies(self, inputs):
        rows = self._rows(inputs[F.MOVIE_ID])
        return {
            C.MOVIE_TITLE: tf.gather(self.titles, rows),
            C.MOVIE_GENRES: tf.gather(self.genres, rows),
            C.MOVIE_YEAR: tf.gather(self.years, rows),
        }


def save_all(serving_dir: Path) -> Path:
    """The three models as a serving directory: <serving_dir>/<model>/1/."""
    echo, retrieval, ranking = HistoryEcho(), Retrieval(), Ranking()
    tf.saved_model.save(echo, str(serving_dir / "history" / "1"), signatures={C.SERVING_DEFAULT: echo.serve})
    tf.saved_model.save(
        retrieval,
        str(serving_dir / "retrieval" / "1"),
        signatures={C.SERVING_DEFAULT: retrieval.serve, C.RETRIEVE_UNFILTERED: retrieval.unfiltered},
    )
    tf.saved_model.save(
        ranking,
        str(serving_dir / "ranking" / "1"),
        signatures={C.SERVING_DEFAULT: ranking.serve, C.MOVIES: ranking.movies},
    )
    return serving_dir
