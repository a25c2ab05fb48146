"""The TFRS models: two-tower retrieval, deep ranking (or DCN-v2), and the multi-task joint model.

One class, composed from the towers and tasks the configuration asks for: retrieval uses the
towers and a retrieval loss (a full softmax over the catalogue, or TFRS's in-batch softmax with
logQ correction); ranking feeds both towers' outputs to a rating head with a Ranking task;
multitask shares the towers between both tasks with configurable loss weights.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from trainer.config import ModelConfig
from trainer.dcn import CrossRatingHead, MovieFeatures, UserFeatures
from trainer.listwise import LOSSES as LIST_LOSSES
from trainer.softmax import softmax_cross_entropy
from trainer.towers import CandidateTower, QueryTower, RatingHead
from transform import features as F

MOVIE_XF = F.transformed_name(F.MOVIE_ID)


class MovieModel(tfrs.Model):
    def __init__(
        self,
        config: ModelConfig,
        sizes: dict[str, int],
        candidates: tf.data.Dataset | None = None,
        movie_frequency: np.ndarray | None = None,
        catalogue: dict[str, np.ndarray] | None = None,
        rows_by_index: np.ndarray | None = None,
        global_mean: float = 3.5,
    ) -> None:
        """``catalogue`` (transformed features of every movie) and ``rows_by_index`` (catalogue row
        of each movie index) are needed by the full-softmax retrieval loss; ``global_mean``: the
        mean train rating (the rating head's offset)."""
        super().__init__()
        self.config = config
        self._autograph = config.has_retrieval and config.retrieval_loss == "in_batch"
        self._sampling_probability = None
        if config.logq_correction and movie_frequency is not None:
            self._sampling_probability = tf.constant(movie_frequency / movie_frequency.sum(), tf.float32)
        if config.architecture == "dcn":
            self.query_tower = UserFeatures(sizes, config.embedding_dim, config.embedding_l2)
            self.candidate_tower = MovieFeatures(sizes, config.embedding_dim)
        else:
            self.query_tower = QueryTower(
                sizes, config.embedding_dim, config.tower_layers, config.use_user_id, config.embedding_l2
            )
            self.candidate_tower = CandidateTower(sizes, config.embedding_dim, config.tower_layers)
        # A per-movie bias added to the retrieval logits (the movie's popularity, learned).
        self.movie_bias = tf.keras.layers.Embedding(sizes[F.MOVIE_ID], 1, embeddings_initializer="zeros")
        self.retrieval_task: tfrs.tasks.Retrieval | None = None
        self.rating_task: tfrs.tasks.Ranking | None = None
        self._catalogue: dict[str, tf.Tensor] | None = None
        if config.has_retrieval and config.retrieval_loss == "softmax":
            if catalogue is None or rows_by_index is None:
                raise ValueError("the full-softmax retrieval loss needs the catalogue")
            self._catalogue = {k: tf.constant(v) for k, v in catalogue.items() if v.dtype != object}
            self._rows = tf.constant(rows_by_index, tf.int64)
        elif config.has_retrieval:
            metrics = None
            if candidates is not None:
                metrics = tfrs.metrics.FactorizedTopK(
                    # identified by movie index, so that accidental hits are matched by id
                    candidates=candidates.map(lambda f: (f[MOVIE_XF], self.candidate_tower(f))),
                    ks=(1, 5, 10, 50, 100),
                )
            # The same movie can be several times in a batch: it is not its own negative.
            self.retrieval_task = tfrs.tasks.Retrieval(metrics=metrics, remove_accidental_hits=True)
        if config.has_rating:
            self.rating = rating_head(config, sizes, global_mean)
        self.list_loss: tf.keras.losses.Loss | None = None
        if config.is_listwise:
            # batches are whole lists, list_length rows each (trainer/data.py list_dataset)
            self.list_loss = LIST_LOSSES[config.ranking_loss]()
        elif config.has_rating:
            self.rating_task = tfrs.tasks.Ranking(
                loss=tf.keras.losses.MeanSquaredError(),
                metrics=[tf.keras.metrics.RootMeanSquaredError(name="rmse")],
            )

    # No tensor-dependent Python control flow in the towers, the losses or the optimizer step: AutoGraph's
    # conversion of every layer (tens of seconds of AST rewriting at each trainer's first step) is
    # skipped, except for TFRS's in-batch Retrieval task, which needs it.
    def train_step(self, data):
        if self._autograph:
            return super().train_step(data)
        return _unconverted_train_step(self, data)

    def test_step(self, data):
        if self._autograph:
            return super().test_step(data)
        return _unconverted_test_step(self, data)

    @tf.autograph.experimental.do_not_convert
    def call(self, features: dict[str, tf.Tensor], training: bool = False) -> dict[str, tf.Tensor]:
        query = self.query_tower(features, training=training)
        out = {"query": query}
        if self._catalogue is not None and not self.config.has_rating:
            return out  # the full softmax scores the catalogue: the batch's own movies are not embedded
        candidate = self.candidate_tower(features, training=training)
        out["candidate"] = candidate
        if self.config.has_rating:
            out["rating"] = self.rating(
                query, candidate, features[F.transformed_name(F.USER_ID)], features[MOVIE_XF], training=training
            )
        return out

    def catalogue_logits(self, query: tf.Tensor, training: bool = False) -> tf.Tensor:
        """[batch, catalogue] two-tower logits over every movie of the catalogue."""
        assert self._catalogue is not None
        candidates = self.candidate_tower(self._catalogue, training=training)
        bias = self.movie_bias(self._catalogue[MOVIE_XF])
        # the bias as one more column of the product: no separate pass over the [batch, catalogue] logits
        ones = tf.ones_like(query[:, :1])
        return tf.matmul(tf.concat([query, ones], 1), tf.concat([candidates, bias], 1), transpose_b=True)

    def _retrieval_loss(self, features: dict[str, tf.Tensor], out: dict[str, tf.Tensor], training: bool) -> tf.Tensor:
        movie = features[MOVIE_XF]
        if self._catalogue is not None:
            labels = tf.gather(self._rows, movie)
            logits = self.catalogue_logits(out["query"], training)
            # examples whose movie has no catalogue row (cannot happen for train data) are left out
            valid = labels >= 0
            losses = softmax_cross_entropy(logits, tf.maximum(labels, 0))
            return tf.reduce_sum(tf.where(valid, losses, 0.0)) / tf.maximum(
                tf.reduce_sum(tf.cast(valid, tf.float32)), 1.0
            )
        assert self.retrieval_task is not None
        probability = None
        if self._sampling_probability is not None:
            probability = tf.gather(self._sampling_probability, movie)
        return self.retrieval_task(
            out["query"],
            out["candidate"],
            candidate_sampling_probability=probability,
            candidate_ids=movie,
            compute_metrics=not training,  # top-K over the whole catalogue is costly: only at evaluation
        )

    def compute_loss(self, features: dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        out = self(features, training=training)
        loss = tf.constant(0.0)
        if self.config.has_retrieval:
            loss += self.config.retrieval_weight * self._retrieval_loss(features, out, training)
        if self.rating_task is not None:
            rating = self.rating_task(labels=features[F.USER_RATING], predictions=out["rating"])
            loss += self.config.rating_weight * rating
        if self.list_loss is not None:
            shape = [-1, self.config.list_length]  # padding rows have rating 0: the loss leaves them out
            labels = tf.reshape(features[F.USER_RATING], shape)
            loss += self.config.rating_weight * self.list_loss(labels, tf.reshape(out["rating"], shape))
        return loss + sum(self.losses) if self.losses else loss


def rating_head(config: ModelConfig, sizes: dict[str, int], global_mean: float) -> tf.keras.layers.Layer:
    """The rating head the configuration asks for: the towers' MLP head, or DCN-v2's crosses."""
    if config.architecture == "dcn":
        return CrossRatingHead(
            sizes,
            config.cross_layers,
            config.rating_layers,
            config.cross_projection_dim,
            config.cross_structure,
            config.dropout,
            global_mean,
            config.embedding_l2,
        )
    return RatingHead(sizes, config.rating_layers, config.dropout, config.max_norm, global_mean, config.embedding_l2)


_unconverted_train_step = tf.autograph.experimental.do_not_convert(tfrs.Model.train_step)
_unconverted_test_step = tf.autograph.experimental.do_not_convert(tfrs.Model.test_step)


def make_optimizer(config: ModelConfig) -> tf.keras.optimizers.Optimizer:
    if config.optimizer == "adam":
        return tf.keras.optimizers.Adam(config.learning_rate)
    return tf.keras.optimizers.Adagrad(config.learning_rate)
