"""Listwise ranking pieces: per-user lists sampled from the train split, listwise losses, and the
list metrics (NDCG@k, MRR) that compare pointwise, pairwise and listwise rankers on the same lists.

TensorFlow Ranking 0.5.x pins ``tensorflow<2.16`` and does not install with this stack, so the
losses are small Keras losses here. A list is ``[batch, L]`` scores and ratings; a rating of 0
marks padding (MovieLens stars are 1-5), which every loss and metric leaves out.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

_NEG = -1e9


class ListwiseSoftmaxLoss(tf.keras.losses.Loss):
    """Softmax cross-entropy over the list (ListNet's top-one form: Cao et al. 2007, "Learning to
    Rank: From Pairwise Approach to Listwise Approach"; Bruch et al. 2019, "An Analysis of the
    Softmax Cross Entropy Loss for Learning-to-Rank with Binary Relevance").

    loss = -sum_i p_i log softmax(s)_i with p_i = y_i / sum_j y_j over the list's items.
    """

    def __init__(self, name: str = "listwise_softmax", **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels = tf.cast(y_true, tf.float32)
        valid = labels > 0
        scores = tf.where(valid, tf.cast(y_pred, tf.float32), _NEG)
        target = labels / tf.maximum(tf.reduce_sum(labels, axis=1, keepdims=True), 1e-9)
        log_p = tf.nn.log_softmax(scores, axis=1)
        return -tf.reduce_sum(tf.where(valid, target * log_p, 0.0), axis=1)


class ListMLELoss(tf.keras.losses.Loss):
    """ListMLE (Xia et al. 2008, "Listwise Approach to Learning to Rank: Theory and Algorithm"):
    the negative log-likelihood of the ideal order (ratings, descending; ties in list order) under
    the Plackett-Luce model of the scores:

        loss = sum_i [ log sum_{j >= i} exp(s_pi(j)) - s_pi(i) ],  pi = the items sorted by rating.
    """

    def __init__(self, name: str = "list_mle", **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels = tf.cast(y_true, tf.float32)
        order = tf.argsort(labels, axis=1, direction="DESCENDING", stable=True)
        sorted_scores = tf.gather(tf.cast(y_pred, tf.float32), order, batch_dims=1)
        valid = tf.gather(labels, order, batch_dims=1) > 0
        masked = tf.where(valid, sorted_scores, _NEG)
        # log sum over each suffix: a reversed cumulative logsumexp
        suffix = tf.reverse(tf.math.cumulative_logsumexp(tf.reverse(masked, [1]), axis=1), [1])
        return tf.reduce_sum(tf.where(valid, suffix - sorted_scores, 0.0), axis=1)


class PairwiseHingeLoss(tf.keras.losses.Loss):
    """Pairwise hinge (RankSVM's; Joachims 2002): mean over pairs with y_i > y_j of
    max(0, 1 - (s_i - s_j))."""

    def __init__(self, name: str = "pairwise_hinge", **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def call(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels = tf.cast(y_true, tf.float32)
        scores = tf.cast(y_pred, tf.float32)
        valid = labels > 0
        better = (labels[:, :, None] > labels[:, None, :]) & valid[:, :, None] & valid[:, None, :]
        hinge = tf.nn.relu(1.0 - (scores[:, :, None] - scores[:, None, :]))
        pairs = tf.cast(better, tf.float32)
        return tf.reduce_sum(hinge * pairs, axis=[1, 2]) / tf.maximum(tf.reduce_sum(pairs, axis=[1, 2]), 1.0)


def sample_list_rows(users: np.ndarray, list_length: int, lists_per_user: int, rng: np.random.Generator) -> np.ndarray:
    """[n, L] row indices: ``lists_per_user`` lists per user of distinct rows of that user, -1 padded.

    Users with fewer than 2 rows get no list; users with fewer than ``list_length`` rows get lists
    of all their rows, padded. Give it the train split's users to train on (an eval rating can
    then never be in a training list) and the eval split's to evaluate.
    """
    if list_length < 2 or lists_per_user < 1:
        raise ValueError("list_length must be at least 2 and lists_per_user at least 1")
    order = np.argsort(users, kind="stable")
    bounds = np.flatnonzero(np.diff(users[order])) + 1
    lists = []
    for rows in np.split(order, bounds):
        if len(rows) < 2:
            continue
        # one random key per (list, row): each list is the user's rows in an independent order
        keys = rng.random((lists_per_user, len(rows)))
        picked = rows[np.argsort(keys, axis=1)[:, :list_length]]
        pad = list_length - picked.shape[1]
        lists.append(np.pad(picked, ((0, 0), (0, pad)), constant_values=-1) if pad else picked)
    return np.concatenate(lists) if lists else np.zeros((0, list_length), np.int64)


def sample_lists(
    users: np.ndarray,
    movies: np.ndarray,
    ratings: np.ndarray,
    list_length: int,
    lists_per_user: int,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Per-user lists of distinct rated movies, drawn from the (user, movie, rating) rows given
    (:func:`sample_list_rows`), padded with movie -1 and rating 0.
    Returns ``user`` [n], ``movie`` [n, L] and ``rating`` [n, L].
    """
    rows = sample_list_rows(users, list_length, lists_per_user, np.random.default_rng(seed))
    valid = rows >= 0
    safe = np.maximum(rows, 0)
    return {
        "user": users[safe[:, 0]],
        "movie": np.where(valid, movies[safe], -1).astype(movies.dtype),
        "rating": np.where(valid, ratings[safe], 0.0).astype(np.float32),
    }


LOSSES = {"softmax": ListwiseSoftmaxLoss, "listmle": ListMLELoss, "hinge": PairwiseHingeLoss}


def ndcg_at_k(scores: np.ndarray, ratings: np.ndarray, k: int) -> float:
    """Mean NDCG@k over lists, gain 2^rating - 1 (padding: rating 0, never ranked above an item)."""
    scores = np.where(ratings > 0, scores, -np.inf)
    ranked = np.take_along_axis(ratings, np.argsort(-scores, axis=1, kind="stable"), axis=1)[:, :k]
    ideal = -np.sort(-ratings, axis=1)[:, :k]
    discounts = 1.0 / np.log2(np.arange(2, ranked.shape[1] + 2))
    dcg = ((2.0**ranked - 1) * discounts).sum(axis=1)
    idcg = ((2.0**ideal - 1) * discounts).sum(axis=1)
    return float(np.mean(np.where(idcg > 0, dcg / np.maximum(idcg, 1e-12), 0.0)))


def mrr(scores: np.ndarray, ratings: np.ndarray, relevant: float = 4.0) -> float:
    """Mean reciprocal rank of the first item rated ``relevant`` or more (0 for lists with none)."""
    scores = np.where(ratings > 0, scores, -np.inf)
    ranked = np.take_along_axis(ratings, np.argsort(-scores, axis=1, kind="stable"), axis=1)
    hits = ranked >= relevant
    first = np.argmax(hits, axis=1)
    return float(np.mean(np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)))
