"""The three TFRS models: two-tower retrieval, deep ranking, and the multi-task joint model.

One class, composed from the towers and tasks the configuration asks for: retrieval uses the
towers and a Retrieval task; ranking feeds both towers' outputs to a rating head with a Ranking
task; multitask shares the towers between both tasks with configurable loss weights.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from trainer.config import ModelConfig
from trainer.towers import CandidateTower, QueryTower, rate, rating_head
from transform import features as F


class MovieModel(tfrs.Model):
    def __init__(
        self,
        config: ModelConfig,
        sizes: dict[str, int],
        candidates: tf.data.Dataset | None = None,
        movie_frequency: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        # logQ correction of the in-batch softmax: P(movie appears in a batch) ~ its share of ratings.
        self._sampling_probability = None
        if config.logq_correction and movie_frequency is not None:
            self._sampling_probability = tf.constant(movie_frequency / movie_frequency.sum(), tf.float32)
        self.query_tower = QueryTower(sizes, config.embedding_dim, config.tower_layers)
        self.candidate_tower = CandidateTower(sizes, config.embedding_dim, config.tower_layers)
        self.retrieval_task: tfrs.tasks.Retrieval | None = None
        self.rating_task: tfrs.tasks.Ranking | None = None
        if config.has_retrieval:
            metrics = None
            if candidates is not None:
                metrics = tfrs.metrics.FactorizedTopK(
                    # identified by movie index, so that accidental hits are matched by id
                    candidates=candidates.map(lambda f: (f[F.transformed_name(F.MOVIE_ID)], self.candidate_tower(f))),
                    ks=(1, 5, 10, 50, 100),
                )
            # The same movie can be several times in a batch: it is not its own negative.
            self.retrieval_task = tfrs.tasks.Retrieval(metrics=metrics, remove_accidental_hits=True)
        if config.has_rating:
            self.rating = rating_head(config.rating_layers, config.dropout, config.max_norm)
            self.rating_task = tfrs.tasks.Ranking(
                loss=tf.keras.losses.MeanSquaredError(),
                metrics=[tf.keras.metrics.RootMeanSquaredError(name="rmse")],
            )

    def call(self, features: dict[str, tf.Tensor], training: bool = False) -> dict[str, tf.Tensor]:
        query = self.query_tower(features)
        candidate = self.candidate_tower(features)
        out = {"query": query, "candidate": candidate}
        if self.config.has_rating:
            out["rating"] = rate(self.rating, query, candidate)
        return out

    def compute_loss(self, features: dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        out = self(features, training=training)
        loss = tf.constant(0.0)
        if self.retrieval_task is not None:
            # Top-K metrics over the whole catalogue are costly: only at evaluation.
            probability = None
            if self._sampling_probability is not None:
                probability = tf.gather(self._sampling_probability, features[F.transformed_name(F.MOVIE_ID)])
            retrieval = self.retrieval_task(
                out["query"],
                out["candidate"],
                candidate_sampling_probability=probability,
                candidate_ids=features[F.transformed_name(F.MOVIE_ID)],
                compute_metrics=not training,
            )
            loss += self.config.retrieval_weight * retrieval
        if self.rating_task is not None:
            rating = self.rating_task(labels=features[F.USER_RATING], predictions=out["rating"])
            loss += self.config.rating_weight * rating
        return loss


def make_optimizer(config: ModelConfig) -> tf.keras.optimizers.Optimizer:
    if config.optimizer == "adam":
        return tf.keras.optimizers.Adam(config.learning_rate)
    return tf.keras.optimizers.Adagrad(config.learning_rate)


def movie_frequency(dataset: tf.data.Dataset, vocab_size: int) -> np.ndarray:
    """How often each movie index occurs in the (transformed) training data, one pass."""
    counts = np.zeros(vocab_size, dtype=np.float64)
    for batch in dataset:
        np.add.at(counts, batch[F.transformed_name(F.MOVIE_ID)].numpy(), 1.0)
    return np.maximum(counts, 1.0)


def feature_range(dataset: tf.data.Dataset, name: str) -> tuple[float, float]:
    """(min, max) of a numeric transformed feature over a dataset, one pass."""
    low, high = np.inf, -np.inf
    for batch in dataset:
        values = batch[name].numpy()
        low, high = min(low, float(values.min())), max(high, float(values.max()))
    return low, high
