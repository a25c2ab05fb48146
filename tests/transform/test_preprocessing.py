"""preprocessing_fn on three hand-made rows, analysed and applied by tf.Transform's Beam implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

from transform import features as F
from transform.preprocessing import preprocessing_fn

X = F.transformed_name
ROWS = [
    {  # a known year, enrichment, two movies in the history
        F.USER_ID: "u1", F.MOVIE_ID: "m1", F.MOVIE_TITLE: "Toy Story (1995)", F.USER_GENDER: "F",
        F.USER_OCCUPATION_TEXT: "artist", F.USER_ZIP_CODE: "48067", F.DIRECTOR: "John Lasseter", F.STAR: "Tom Hanks",
        F.BUCKETIZED_USER_AGE: 25, F.USER_OCCUPATION_LABEL: 1, F.TIMESTAMP: 100, F.MOVIE_YEAR: 1990,
        F.CAST_SIZE: 0, F.CREW_SIZE: 10, F.USER_RATING: 4.0,
        F.MOVIE_GENRES: [2, 3], F.HISTORY_MOVIE_IDS: ["m2", "m1"], F.HISTORY_RATINGS: [5.0, 3.0],
    },
    {
        F.USER_ID: "u2", F.MOVIE_ID: "m2", F.MOVIE_TITLE: "Heat (1995) [#4]", F.USER_GENDER: "M",
        F.USER_OCCUPATION_TEXT: "writer", F.USER_ZIP_CODE: "70072", F.DIRECTOR: "", F.STAR: "",
        F.BUCKETIZED_USER_AGE: 1, F.USER_OCCUPATION_LABEL: 21, F.TIMESTAMP: 200, F.MOVIE_YEAR: 2000,
        F.CAST_SIZE: 9, F.CREW_SIZE: 0, F.USER_RATING: 2.0,
        F.MOVIE_GENRES: [7], F.HISTORY_MOVIE_IDS: [], F.HISTORY_RATINGS: [],
    },
    {  # an unknown year (0) and a 56+ user
        F.USER_ID: "u2", F.MOVIE_ID: "m2", F.MOVIE_TITLE: "Heat (1995) [#4]", F.USER_GENDER: "M",
        F.USER_OCCUPATION_TEXT: "writer", F.USER_ZIP_CODE: "70072", F.DIRECTOR: "", F.STAR: "",
        F.BUCKETIZED_USER_AGE: 56, F.USER_OCCUPATION_LABEL: 99, F.TIMESTAMP: 300, F.MOVIE_YEAR: 0,
        F.CAST_SIZE: 9, F.CREW_SIZE: 0, F.USER_RATING: 5.0,
        F.MOVIE_GENRES: [7, 7], F.HISTORY_MOVIE_IDS: ["m1"], F.HISTORY_RATINGS: [4.0],
    },
]  # fmt: skip
_TYPES = {str: tf.string, int: tf.int64, float: tf.float32}


def _feature_spec() -> dict:
    spec = {}
    for name, value in ROWS[0].items():
        kind = _TYPES[F.FEATURE_TYPES[name]]
        spec[name] = tf.io.VarLenFeature(kind) if isinstance(value, list) else tf.io.FixedLenFeature([], kind)
    return spec


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(_feature_spec()))
    fn = lambda inputs: preprocessing_fn(inputs, {"history_length": 3})  # noqa: E731
    with tft_beam.Context(temp_dir=str(tmp_path_factory.mktemp("tft")), force_tf_compat_v1=False):
        (rows, _), transform_fn = (ROWS, metadata) | tft_beam.AnalyzeAndTransformDataset(fn)
    return rows, tft.TFTransformOutput(_write(transform_fn, tmp_path_factory.mktemp("out")))


def _write(transform_fn, folder) -> str:
    _ = transform_fn | tft_beam.WriteTransformFn(str(folder))
    return str(folder)


def test_release_year_is_a_z_score_over_known_years_and_unknown_is_the_mean(transformed):
    rows, _ = transformed
    assert [round(float(r[X(F.MOVIE_YEAR)]), 4) for r in rows] == [-1.0, 1.0, 0.0]  # mean 1995, sd 5


def test_age_buckets_occupations_and_genres(transformed):
    rows, _ = transformed
    assert [int(r[F.AGE_INDEX]) for r in rows] == [2, 0, 6]  # 25 -> 3rd bucket, 1 -> 1st, 56 -> 7th
    assert [int(r[X(F.USER_OCCUPATION_LABEL)]) for r in rows] == [1, 21, F.NUM_OCCUPATIONS - 1]  # 99 clipped
    genres = np.array([r[X(F.MOVIE_GENRES)] for r in rows])
    assert genres.shape == (3, F.NUM_GENRES)
    assert genres[0].nonzero()[0].tolist() == [2, 3] and genres[2].tolist() == genres[1].tolist()  # [7, 7] -> one 1


def test_history_is_padded_and_indexed_in_the_movie_vocabulary(transformed):
    rows, output = transformed
    vocab = [v.decode() for v in output.vocabulary_by_name(F.MOVIE_ID)]
    index = {m: vocab.index(m) + 1 for m in vocab}  # 0 is padding
    assert [list(r[F.HISTORY_MOVIES_XF]) for r in rows] == [
        [index["m2"], index["m1"], 0],
        [0, 0, 0],
        [index["m1"], 0, 0],
    ]
    assert [list(r[F.HISTORY_RATINGS_XF]) for r in rows] == [[5.0, 3.0, 0.0], [0.0, 0.0, 0.0], [4.0, 0.0, 0.0]]


def test_sizes_scale_to_0_1_on_a_log_scale_and_titles_tokenise(transformed):
    rows, output = transformed
    assert [round(float(r[X(F.CAST_SIZE)]), 4) for r in rows] == [0.0, 1.0, 1.0]
    assert [round(float(r[X(F.CREW_SIZE)]), 4) for r in rows] == [1.0, 0.0, 0.0]
    tokens = [v.decode() for v in output.vocabulary_by_name(F.TITLE_VOCAB)]
    first = [int(t) for t in rows[0][F.TITLE_TOKENS] if t]
    assert [tokens[t - 1] for t in first] == ["toy", "story"]  # the year is dropped, ids shifted by one
    assert len(rows[0][F.TITLE_TOKENS]) == F.MAX_TITLE_TOKENS
    assert math.isclose(float(rows[2][F.USER_RATING]), 5.0)
