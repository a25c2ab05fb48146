"""DCN-v2 ranking (Wang et al. 2021, "DCN V2: Improved Deep & Cross Network"): every feature
embedded to the same width, explicit feature crosses (``tfrs.layers.dcn.Cross``), then a deep
network, as in the TFRS DCN tutorial; and the tutorial's feature-importance picture.

The two "towers" here only embed: the user side (user id, demographics, history, time) and the
movie side (movie id, title, director, star, genres, year and sizes), each feature ``dim`` wide,
so that the exported signatures (trainer/export.py) see the same interfaces as for the two-tower
models: a query tensor, a candidate tensor and a rating head over both.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from trainer.config import IMPORTANCE_CSV, IMPORTANCE_PNG
from trainer.towers import HistoryEncoder, TitleEncoder
from transform import features as F

X = F.transformed_name
USER_FEATURES: tuple[str, ...] = ("user id", "gender", "age", "occupation", "zip code", "history", "time")
MOVIE_FEATURES: tuple[str, ...] = ("movie id", "title", "director", "star", "genres", "year and sizes")
FEATURE_NAMES: tuple[str, ...] = USER_FEATURES + MOVIE_FEATURES


class UserFeatures(tf.keras.Model):
    """The user side's features, each embedded to ``dim``, side by side: [batch, 7 * dim]."""

    def __init__(self, sizes: dict[str, int], dim: int, embedding_l2: float = 0.0) -> None:
        super().__init__(name="query_tower")
        self.user_id = tf.keras.layers.Embedding(sizes[F.USER_ID], dim)
        self.gender = tf.keras.layers.Embedding(sizes[F.USER_GENDER], dim)
        self.age = tf.keras.layers.Embedding(F.NUM_AGE_BUCKETS, dim)
        self.occupation = tf.keras.layers.Embedding(F.NUM_OCCUPATIONS, dim)
        self.zip_code = tf.keras.layers.Embedding(sizes[F.USER_ZIP_CODE], dim)
        self.history = HistoryEncoder(sizes[F.MOVIE_ID], dim, embedding_l2)
        self.history_projection = tf.keras.layers.Dense(dim)
        self.time = tf.keras.layers.Dense(dim)

    def call(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        history = self.history(features[F.HISTORY_MOVIES_XF], features[F.HISTORY_RATINGS_XF])
        return tf.concat(
            [
                self.user_id(features[X(F.USER_ID)]),
                self.gender(features[X(F.USER_GENDER)]),
                self.age(features[F.AGE_INDEX]),
                self.occupation(features[X(F.USER_OCCUPATION_LABEL)]),
                self.zip_code(features[X(F.USER_ZIP_CODE)]),
                self.history_projection(history),
                self.time(tf.reshape(features[X(F.TIMESTAMP)], [-1, 1])),
            ],
            axis=1,
        )


class MovieFeatures(tf.keras.Model):
    """The movie side's features, each embedded to ``dim``, side by side: [batch, 6 * dim]."""

    def __init__(self, sizes: dict[str, int], dim: int) -> None:
        super().__init__(name="candidate_tower")
        self.movie_id = tf.keras.layers.Embedding(sizes[F.MOVIE_ID], dim)
        self.title = TitleEncoder(sizes[F.TITLE_VOCAB], dim)
        self.director = tf.keras.layers.Embedding(sizes[F.DIRECTOR], dim)
        self.star = tf.keras.layers.Embedding(sizes[F.STAR], dim)
        self.genres = tf.keras.layers.Dense(dim, use_bias=False)
        self.numeric = tf.keras.layers.Dense(dim)

    def call(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        numeric = tf.stack([features[name] for name in F.CANDIDATE_NUMERIC], axis=1)
        return tf.concat(
            [
                self.movie_id(features[X(F.MOVIE_ID)]),
                self.title(features[F.TITLE_TOKENS]),
                self.director(features[X(F.DIRECTOR)]),
                self.star(features[X(F.STAR)]),
                self.genres(features[X(F.MOVIE_GENRES)]),
                self.numeric(numeric),
            ],
            axis=1,
        )


class CrossRatingHead(tf.keras.layers.Layer):
    """(user features, movie features, user index, movie index) -> a predicted rating.

    x0 = [user features, movie features]; ``stacked``: cross layers, then the deep layers on their
    output; ``parallel``: cross layers and deep layers side by side on x0, outputs concatenated.
    ``projection_dim`` > 0 makes each cross layer low-rank (W = U V). rating = global mean + user
    bias + movie bias + a final dense unit.
    """

    def __init__(
        self,
        sizes: dict[str, int],
        cross_layers: int,
        deep_layers: tuple[int, ...],
        projection_dim: int = 0,
        structure: str = "stacked",
        dropout: float = 0.0,
        global_mean: float = 3.5,
        bias_l2: float = 0.0,
    ) -> None:
        super().__init__(name="rating_head")
        if structure not in ("stacked", "parallel"):
            raise ValueError(f"cross_structure must be 'stacked' or 'parallel', not {structure!r}")
        self.structure = structure
        self.crosses = [
            tfrs.layers.dcn.Cross(projection_dim=projection_dim or None, kernel_initializer="glorot_uniform")
            for _ in range(cross_layers)
        ]
        self.deep = [tf.keras.layers.Dense(units, activation="relu") for units in deep_layers]
        self.dropout = tf.keras.layers.Dropout(dropout) if dropout > 0 else None
        self.out = tf.keras.layers.Dense(1)
        regularizer = tf.keras.regularizers.l2(bias_l2) if bias_l2 > 0 else None
        self.user_bias = tf.keras.layers.Embedding(
            sizes[F.USER_ID], 1, embeddings_initializer="zeros", embeddings_regularizer=regularizer
        )
        self.movie_bias = tf.keras.layers.Embedding(
            sizes[F.MOVIE_ID], 1, embeddings_initializer="zeros", embeddings_regularizer=regularizer
        )
        self.global_mean = float(global_mean)

    def _deep(self, x: tf.Tensor, training: bool) -> tf.Tensor:
        for layer in self.deep:
            x = layer(x)
            if self.dropout is not None:
                x = self.dropout(x, training=training)
        return x

    def call(
        self, query: tf.Tensor, candidate: tf.Tensor, user: tf.Tensor, movie: tf.Tensor, training: bool = False
    ) -> tf.Tensor:
        x0 = tf.concat([query, candidate], axis=1)
        crossed = x0
        for cross in self.crosses:
            crossed = cross(x0, crossed)
        if self.structure == "stacked":
            hidden = self._deep(crossed, training)
        else:
            hidden = tf.concat([crossed, self._deep(x0, training)], axis=1)
        biases = tf.reshape(self.user_bias(user), [-1]) + tf.reshape(self.movie_bias(movie), [-1])
        return self.global_mean + biases + tf.squeeze(self.out(hidden), 1)

    def first_cross_matrix(self) -> np.ndarray:
        """The first cross layer's weight matrix [input, input] (U V for a low-rank layer)."""
        if not self.crosses:
            raise ValueError("the model has no cross layer")
        cross = self.crosses[0]
        if getattr(cross, "_dense", None) is not None:
            return cross._dense.kernel.numpy()
        return cross._dense_u.kernel.numpy() @ cross._dense_v.kernel.numpy()


def cross_importance(matrix: np.ndarray, num_features: int) -> np.ndarray:
    """Frobenius norm of each (feature i, feature j) block of a cross layer's [n d, n d] matrix.

    Entry [i, j] is how strongly feature j's embedding drives the crossing with feature i's; the
    blocks are ``d = size / num_features`` wide (every feature is embedded to the same width).
    """
    size = matrix.shape[0]
    if matrix.shape != (size, size) or size % num_features:
        raise ValueError(f"a cross matrix of shape {matrix.shape} does not split into {num_features} features")
    d = size // num_features
    blocks = matrix.reshape(num_features, d, num_features, d)
    return np.sqrt((blocks**2).sum(axis=(1, 3)))


def write_importance(importance: np.ndarray, names: tuple[str, ...], directory: str, title: str) -> list[str]:
    """The importance matrix as a labelled heat map (PNG, with a colour bar) and a CSV; their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(directory, exist_ok=True)
    csv_path = os.path.join(directory, IMPORTANCE_CSV)
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["feature", *names])
        for name, row in zip(names, importance, strict=True):
            writer.writerow([name, *(f"{v:.6g}" for v in row)])
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    image = ax.matshow(importance, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="left")
    ax.set_yticks(range(len(names)), names)
    fig.colorbar(image, ax=ax, shrink=0.8, label="Frobenius norm of the block")
    ax.set_title(title, pad=12, fontsize=10, loc="left")
    fig.tight_layout()
    png_path = os.path.join(directory, IMPORTANCE_PNG)
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return [csv_path, png_path]
