"""The history encoder: the sparse product gives the gather definition, with a dense gradient."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from trainer.towers import HistoryEncoder


def _by_gather(table: np.ndarray, movies: np.ndarray, ratings: np.ndarray) -> np.ndarray:
    """The definition: masked mean of the rows, the centred-star weighted mean, the stats."""
    mask = (movies > 0).astype(np.float32)
    count = mask.sum(1, keepdims=True)
    embedded = table[movies] * mask[..., None]
    mean = embedded.sum(1) / np.maximum(count, 1)
    mean_rating = (ratings * mask).sum(1, keepdims=True) / np.maximum(count, 1)
    centred = (ratings - mean_rating) * mask
    liked = (embedded * centred[..., None]).sum(1) / np.maximum(count, 1)
    has = (count > 0).astype(np.float32)
    return np.concatenate([mean, liked, (mean_rating - 3.5) * has, np.log1p(count), has], axis=1)


def test_history_encoder_pools_as_defined_and_its_gradient_is_dense():
    rng = np.random.default_rng(3)
    encoder = HistoryEncoder(num_movies=30, dim=6)
    movies = np.array([[3, 7, 7, 0, 0], [0, 0, 0, 0, 0], [30, 1, 2, 5, 9]], np.int64)  # a repeat, an empty one
    ratings = np.where(movies > 0, rng.integers(1, 6, movies.shape), 0).astype(np.float32)
    with tf.GradientTape() as tape:
        out = encoder(tf.constant(movies), tf.constant(ratings))
        loss = tf.reduce_sum(out[:, :12] ** 2)
    table = encoder.embedding.embeddings.numpy()
    np.testing.assert_allclose(out.numpy(), _by_gather(table, movies, ratings), rtol=1e-5, atol=1e-6)
    (gradient,) = tape.gradient(loss, [encoder.embedding.embeddings])
    assert isinstance(gradient, tf.Tensor) and gradient.shape == table.shape  # not IndexedSlices
    touched = np.nonzero(np.abs(gradient.numpy()).sum(1))[0]
    assert set(touched) <= {1, 2, 3, 5, 7, 9, 30} and 0 not in touched  # padding row untouched
