"""preprocessing_fn shared by every model: vocabularies, normalisation, genres, title tokens.

The Transform component calls :func:`preprocessing_fn` (by its dotted path); its graph is embedded
in every exported model, so serving takes raw features.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft

from transform import features as F


def _dense(x: tf.Tensor | tf.SparseTensor, default: str | int | float) -> tf.Tensor:
    """A [batch] tensor from a [batch, 1] dense or a sparse (optional) feature."""
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default_value=default)
    return tf.reshape(x, [-1])


def _genres_multi_hot(genres: tf.SparseTensor | tf.Tensor) -> tf.Tensor:
    """Genre id lists -> [batch, 21] multi-hot floats."""
    if not isinstance(genres, tf.SparseTensor):
        genres = tf.sparse.from_dense(genres)
    ids = tf.clip_by_value(genres.values, 0, F.NUM_GENRES - 1)
    one_hot = tf.SparseTensor(
        tf.stack([genres.indices[:, 0], ids], axis=1),
        tf.ones_like(ids, dtype=tf.float32),
        tf.stack([genres.dense_shape[0], tf.constant(F.NUM_GENRES, tf.int64)]),
    )
    dense = tf.sparse.to_dense(tf.sparse.reorder(one_hot), validate_indices=False)
    return tf.reshape(tf.minimum(dense, 1.0), [-1, F.NUM_GENRES])


def _padded(x: tf.SparseTensor | tf.RaggedTensor | tf.Tensor, width: int, default) -> tf.Tensor:
    """A variable-length feature -> [batch, width], cut after ``width`` values, padded with ``default``."""
    if isinstance(x, tf.SparseTensor):
        x = tf.RaggedTensor.from_sparse(x)
    elif not isinstance(x, tf.RaggedTensor):
        x = tf.RaggedTensor.from_tensor(x)
    return x.to_tensor(default_value=default, shape=[None, width])


def _history(inputs: dict[str, tf.Tensor], movie_vocab: tf.Tensor, width: int) -> dict[str, tf.Tensor]:
    """The user's history: movie vocabulary index + 1 (0 = padding or ""), and the aligned stars."""
    ids = _padded(inputs[F.HISTORY_MOVIE_IDS], width, "")
    index = tft.apply_vocabulary(ids, movie_vocab, num_oov_buckets=F.OOV_BUCKETS)
    movies = tf.where(tf.equal(ids, ""), tf.zeros_like(index), index + 1)
    ratings = tf.cast(_padded(inputs[F.HISTORY_RATINGS], width, 0.0), tf.float32)
    return {F.HISTORY_MOVIES_XF: movies, F.HISTORY_RATINGS_XF: tf.where(movies > 0, ratings, 0.0)}


def _year_z_score(year: tf.Tensor) -> tf.Tensor:
    """Release years as z-scores over the known ones; an unknown year (0) is the mean (z = 0).

    One analysis phase (mean and variance side by side): imputing the mean first and scaling
    after would need a second pass over the data.
    """
    known = year > 0
    mean, variance = tft.mean(tf.boolean_mask(year, known)), tft.var(tf.boolean_mask(year, known))
    z = (year - mean) / tf.sqrt(tf.maximum(variance, 1e-12))
    return tf.where(known, z, tf.zeros_like(z))


def preprocessing_fn(inputs: dict[str, tf.Tensor], custom_config: dict | None = None) -> dict[str, tf.Tensor]:
    """Raw rating features -> model features (names: ``transform.features.transformed_name``).

    ``custom_config["history_length"]``: the history's width in the model (longer ones are cut).
    """
    width = int((custom_config or {}).get("history_length") or F.DEFAULT_HISTORY_LENGTH)
    out: dict[str, tf.Tensor] = {}
    vocabularies: dict[str, tf.Tensor] = {}
    for name in F.VOCAB_FEATURES:
        values = _dense(inputs[name], "")
        vocabularies[name] = tft.vocabulary(values, vocab_filename=name)
        out[F.transformed_name(name)] = tft.apply_vocabulary(values, vocabularies[name], num_oov_buckets=F.OOV_BUCKETS)
    out.update(_history(inputs, vocabularies[F.MOVIE_ID], width))
    age = _dense(inputs[F.BUCKETIZED_USER_AGE], 0)
    buckets = tf.constant(sorted(F.AGE_BUCKETS), dtype=tf.int64)
    out[F.AGE_INDEX] = tf.reduce_sum(tf.cast(age[:, None] >= buckets[None, 1:], tf.int64), axis=1)
    out[F.transformed_name(F.USER_OCCUPATION_LABEL)] = tf.clip_by_value(
        _dense(inputs[F.USER_OCCUPATION_LABEL], 11), 0, F.NUM_OCCUPATIONS - 1
    )
    out[F.transformed_name(F.TIMESTAMP)] = tft.scale_to_z_score(tf.cast(_dense(inputs[F.TIMESTAMP], 0), tf.float32))
    out[F.transformed_name(F.MOVIE_YEAR)] = _year_z_score(tf.cast(_dense(inputs[F.MOVIE_YEAR], 0), tf.float32))
    for name in (F.CAST_SIZE, F.CREW_SIZE):
        size = tf.math.log1p(tf.cast(_dense(inputs[name], 0), tf.float32))
        out[F.transformed_name(name)] = tft.scale_to_0_1(size)
    out[F.transformed_name(F.MOVIE_GENRES)] = _genres_multi_hot(inputs[F.MOVIE_GENRES])

    title = tf.strings.lower(_dense(inputs[F.MOVIE_TITLE], ""))
    title = tf.strings.regex_replace(title, r"\(\d{4}\)|\[#\d+\]|[^a-z0-9 ]", " ")
    tokens = tf.strings.split(title)
    token_ids = tft.compute_and_apply_vocabulary(
        tokens, top_k=F.TITLE_VOCAB_SIZE, num_oov_buckets=F.OOV_BUCKETS, vocab_filename=F.TITLE_VOCAB
    )
    # ids shifted by one: 0 is padding
    out[F.TITLE_TOKENS] = (token_ids + 1).to_tensor(default_value=0, shape=[None, F.MAX_TITLE_TOKENS])

    if F.USER_RATING in inputs:
        out[F.USER_RATING] = tf.cast(_dense(inputs[F.USER_RATING], 0.0), tf.float32)
    return out
