"""The data the report looks at, as pandas frames: ratings, users and movies.

Read either from a MovieLens folder (``movierec report``: the same readers and wrangling rules as
ExampleGen) or from ExampleGen's outputs (the pipeline component: the examples and the catalogue).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from movielens import enrichment, readers
from movielens.errors import DataError, Rejects
from movielens.text_files import read_lines
from transform import features as F

USER_COLUMNS = [F.USER_ID, F.USER_GENDER, F.BUCKETIZED_USER_AGE, F.USER_OCCUPATION_TEXT, F.USER_ZIP_CODE]
MOVIE_COLUMNS = [F.MOVIE_ID, F.MOVIE_TITLE, F.MOVIE_GENRES, F.MOVIE_YEAR, *F.ENRICHMENT_FEATURES]


@dataclass(frozen=True)
class Frames:
    """``ratings``: one row per rating (user_id, movie_id, rating, timestamp) joined with the user's
    and the movie's columns; ``users`` and ``movies`` once each. Genres are lists of names."""

    ratings: pd.DataFrame
    users: pd.DataFrame
    movies: pd.DataFrame
    source: str
    enrichment: str  # "tmdb", "extrainfos" or "" (no director/star/cast/crew)


def _movies_frame(movies: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(movies).reindex(columns=MOVIE_COLUMNS)
    frame[F.MOVIE_GENRES] = [
        [F.GENRES[g] if isinstance(g, int) else g for g in (genres if isinstance(genres, list) else [])]
        for genres in frame[F.MOVIE_GENRES]
    ]
    return frame


def _join(ratings: pd.DataFrame, users: pd.DataFrame, movies: pd.DataFrame, source: str, kind: str) -> Frames:
    ratings = ratings.merge(users, on=F.USER_ID, how="left").merge(movies, on=F.MOVIE_ID, how="left")
    ratings["datetime"] = pd.to_datetime(ratings[F.TIMESTAMP], unit="s")
    has_enrichment = bool(kind) and movies[[F.DIRECTOR, F.STAR]].notna().any().any()
    return Frames(ratings, users, movies, source, kind if has_enrichment else "")


def from_data_dir(data_dir: str, enrichment_dir: str | None = None) -> Frames:
    """A MovieLens folder or zip (ml-1m / ml-100k) plus its enrichment, read as ExampleGen reads it."""
    source = readers.detect(data_dir)
    rejects = Rejects("error")
    users = readers.read_users(source, rejects)
    movies = readers.read_movies(source, rejects)
    kind = enrichment.enrich_movies(movies, (str(data_dir), source.directory), enrichment_dir, Rejects("skip"))
    rows = []
    for number, line in read_lines(source.ratings):
        if not line.strip():
            continue
        try:
            rows.append(readers.parse_rating(source.format, line))
        except ValueError as e:
            raise DataError(str(source.ratings), number, str(e)) from None
    ratings = pd.DataFrame(rows, columns=[F.USER_ID, F.MOVIE_ID, "rating", F.TIMESTAMP])
    users_frame = pd.DataFrame(list(users.values())).reindex(columns=USER_COLUMNS)
    return _join(ratings, users_frame, _movies_frame(list(movies.values())), str(data_dir), kind)


def from_examples(examples_uri: str, catalogue_uri: str, enrichment_kind: str = "") -> Frames:
    """ExampleGen's tf.Examples (every split) and its movie catalogue."""
    import tensorflow as tf

    from movielens.catalogue import read_catalogue

    paths = sorted(glob.glob(os.path.join(examples_uri, "Split-*", "*")))
    if not paths:
        raise FileNotFoundError(f"{examples_uri}: no Split-*/ files")
    spec = {
        F.USER_ID: tf.io.FixedLenFeature([], tf.string),
        F.MOVIE_ID: tf.io.FixedLenFeature([], tf.string),
        F.USER_RATING: tf.io.FixedLenFeature([], tf.float32),
        F.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
        F.USER_GENDER: tf.io.FixedLenFeature([], tf.string, default_value=""),
        F.BUCKETIZED_USER_AGE: tf.io.FixedLenFeature([], tf.int64, default_value=0),
        F.USER_OCCUPATION_TEXT: tf.io.FixedLenFeature([], tf.string, default_value=""),
        F.USER_ZIP_CODE: tf.io.FixedLenFeature([], tf.string, default_value=""),
    }
    dataset = (
        tf.data.TFRecordDataset(paths, compression_type="GZIP").batch(8192).map(lambda x: tf.io.parse_example(x, spec))
    )
    columns: dict[str, list] = {name: [] for name in spec}
    for batch in dataset:
        for name in spec:
            columns[name].append(batch[name].numpy())
    data = {name: np.concatenate(parts) for name, parts in columns.items()}
    for name, values in data.items():
        if values.dtype == object:
            data[name] = [v.decode("utf-8") for v in values]
    table = pd.DataFrame(data).rename(columns={F.USER_RATING: "rating"})
    ratings = table[[F.USER_ID, F.MOVIE_ID, "rating", F.TIMESTAMP]]
    users = table[USER_COLUMNS].drop_duplicates(F.USER_ID).reset_index(drop=True)
    movies = _movies_frame(read_catalogue(catalogue_uri))
    return _join(ratings, users, movies, examples_uri, enrichment_kind or "catalogue")
