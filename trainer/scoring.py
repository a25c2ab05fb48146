"""Scores every catalogue movie for a batch of queries: the retrieval scores.

two_tower = log_softmax(query . candidate + movie bias) over the catalogue: the two-tower model's
            probability of each movie (trained with a full softmax over the catalogue);
hybrid    = two_tower + ease_weight * (seen @ B): plus EASE's item-item score of everything the
            user rated (trainer/ease.py). EASE reconstructs the seen movies themselves (its
            objective is X ~ XB), so the hybrid is only meaningful with the seen movies excluded.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class CatalogueScorer(tf.Module):
    """Holds the catalogue's candidate embeddings and biases, and EASE's matrix; scores queries."""

    def __init__(
        self, embeddings: np.ndarray, bias: np.ndarray, ease_matrix: np.ndarray | None = None, ease_weight: float = 0.0
    ) -> None:
        super().__init__(name="catalogue_scorer")
        self.embeddings = tf.Variable(embeddings.astype(np.float32), trainable=False, name="candidate_embeddings")
        self.bias = tf.Variable(bias.reshape(-1).astype(np.float32), trainable=False, name="candidate_bias")
        self.ease_weight = float(ease_weight) if ease_matrix is not None else 0.0
        self.ease = (
            tf.Variable(ease_matrix.astype(np.float32), trainable=False, name="ease_matrix")
            if self.ease_weight
            else None
        )

    def two_tower(self, query: tf.Tensor) -> tf.Tensor:
        """[batch, movies] log-probabilities of the two-tower model."""
        return tf.nn.log_softmax(tf.matmul(query, self.embeddings, transpose_b=True) + self.bias[None, :], axis=1)

    def hybrid(self, query: tf.Tensor, seen: tf.Tensor) -> tf.Tensor:
        """Two-tower + EASE; ``seen``: [batch, movies] 0/1, every movie the user rated."""
        scores = self.two_tower(query)
        if self.ease is not None:
            scores += self.ease_weight * tf.matmul(tf.cast(seen, tf.float32), self.ease)
        return scores
