"""Exports a trained model as a SavedModel with named signatures on raw features.

Every signature embeds the Transform graph (raw features in), the movie catalogue's candidate
embeddings and, for retrieval, the scorer (trainer/scoring.py). The user's history is part of
every user-facing request. Retrieval's ``serving_default`` is the hybrid (two-tower + EASE) top K
among the movies not in the history; ``retrieve_unfiltered`` and ``tf_example`` are the two-tower
model's own top K over every movie (the report's protocol).
See serving/contract.py for names.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from movielens.catalogue import read_catalogue
from serving import contract as C
from trainer.config import ModelConfig
from trainer.data import MOVIE_ID_KEY, catalogue_dataset
from trainer.models import MOVIE_XF, MovieModel
from trainer.scoring import CatalogueScorer
from transform import features as F

_DTYPES = {"string": tf.string, "int64": tf.int64, "float32": tf.float32}


def candidate_embeddings(
    model: MovieModel, catalogue: tf.data.Dataset
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(movie ids, vocabulary indices, candidate embeddings, retrieval biases) of every catalogue movie."""
    ids, index, vectors, biases = [], [], [], []
    for batch in catalogue:
        ids.append(batch[MOVIE_ID_KEY].numpy())
        index.append(batch[MOVIE_XF].numpy())
        vectors.append(model.candidate_tower(batch).numpy())
        biases.append(tf.reshape(model.movie_bias(batch[MOVIE_XF]), [-1]).numpy())
    return (
        np.concatenate(ids),
        np.concatenate(index),
        np.concatenate(vectors).astype(np.float32),
        np.concatenate(biases),
    )


def movie_info(catalogue_uri: str, movie_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Title, genres ("Action|Comedy") and year of each movie id, in the order of ``movie_ids``.

    A movie without a title, genres or year (ml-100k's movie 267 has none) gets "", "" and 0.
    """
    rows = {m[F.MOVIE_ID]: m for m in read_catalogue(catalogue_uri)}
    missing = [i.decode() for i in movie_ids if i.decode() not in rows]
    if missing:
        raise ValueError(f"movie_id {missing[0]} is in the transformed catalogue but not in {catalogue_uri}")
    ordered = [rows[i.decode()] for i in movie_ids]
    return {
        C.MOVIE_TITLE: np.array([(m.get(F.MOVIE_TITLE) or "").encode() for m in ordered], dtype=object),
        C.MOVIE_GENRES: np.array(
            ["|".join(F.GENRES[g] for g in m.get(F.MOVIE_GENRES) or []).encode() for m in ordered], dtype=object
        ),
        C.MOVIE_YEAR: np.array([m.get(F.MOVIE_YEAR) or 0 for m in ordered], dtype=np.int64),
    }


def history_sparse(ids: tf.Tensor, ratings: tf.Tensor) -> tuple[tf.SparseTensor, tf.SparseTensor]:
    """Dense [batch, H] history (ids padded with "") -> the SparseTensors the Transform layer takes.

    Empty ids are dropped wherever they are (entries close up, keeping their order), and the
    ratings follow the ids' positions, so they stay aligned even where a rating is 0.
    """
    ids = tf.convert_to_tensor(ids, tf.string)
    ratings = tf.reshape(tf.cast(ratings, tf.float32), tf.shape(ids))
    mask = tf.not_equal(ids, "")
    present = tf.where(mask)
    column = tf.gather_nd(tf.cumsum(tf.cast(mask, tf.int64), axis=1) - 1, present)
    indices = tf.stack([present[:, 0], column], axis=1)
    shape = tf.shape(ids, out_type=tf.int64)
    return (
        tf.SparseTensor(indices, tf.gather_nd(ids, present), shape),
        tf.SparseTensor(indices, tf.gather_nd(ratings, present), shape),
    )


class _Layers:
    """The trained Keras layers the signatures call (a plain object: tf.Module does not track it)."""

    def __init__(self, query_tower, candidate_tower, rating_head) -> None:
        self.query_tower, self.candidate_tower, self.rating_head = query_tower, candidate_tower, rating_head

    def variables(self) -> list[tf.Variable]:
        layers = [self.query_tower, self.candidate_tower] + ([self.rating_head] if self.rating_head else [])
        return [v for layer in layers for v in layer.variables]


class ServingModule(tf.Module):
    """What is saved: the towers, the Transform layer, the catalogue, the scorer and the signatures."""

    def __init__(
        self,
        model: MovieModel,
        tf_transform_output: tft.TFTransformOutput,
        config: ModelConfig,
        movie_ids: np.ndarray,
        movie_index: np.ndarray,
        embeddings: np.ndarray,
        info: dict[str, np.ndarray],
        time_range: tuple[float, float] = (-np.inf, np.inf),
        scorer: CatalogueScorer | None = None,
    ) -> None:
        """``scorer``: the retrieval scores (trainer/scoring.py), for models with retrieval."""
        super().__init__()
        # Only the towers' and the rating head's variables are saved (not the training tasks, their
        # metrics, or Keras' per-layer traced call functions, which take seconds per layer to save):
        # the signatures call the layers, held where tf.Module does not track them.
        self._layers = _Layers(model.query_tower, model.candidate_tower, model.rating if config.has_rating else None)
        self.model_variables = list(self._layers.variables())
        self.config = config
        self.tft_layer = tf_transform_output.transform_features_layer()
        spec = dict(tf_transform_output.raw_feature_spec())
        spec.pop(F.USER_RATING, None)
        self._raw_spec = spec
        self.movie_ids = tf.constant(movie_ids)
        self.movie_index = tf.constant(movie_index)  # each catalogue movie's vocabulary index
        self.embeddings = tf.Variable(embeddings, trainable=False, name="candidate_embeddings")
        self.movie_rows = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(self.movie_ids, tf.range(len(movie_ids), dtype=tf.int64)), -1
        )
        self.info = {name: tf.constant(values) for name, values in info.items()}
        # Requests may carry any time ("now"): the transformed timestamp is clipped to the training range.
        self.time_range = tf.constant(time_range, tf.float32)
        self.scorer = scorer
        self.k = min(config.top_k, len(movie_ids))

    # -- helpers -------------------------------------------------------------------------------
    def _transform_user(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        raw: dict[str, tf.Tensor | tf.SparseTensor] = {
            name: tf.reshape(inputs[name], [-1, 1]) for name in C.USER_INPUTS
        }
        raw[F.HISTORY_MOVIE_IDS], raw[F.HISTORY_RATINGS] = history_sparse(
            inputs[F.HISTORY_MOVIE_IDS], inputs[F.HISTORY_RATINGS]
        )
        transformed = self.tft_layer(raw)
        ts = F.transformed_name(F.TIMESTAMP)
        transformed[ts] = tf.clip_by_value(transformed[ts], self.time_range[0], self.time_range[1])
        return transformed

    def _top_k(self, scores: tf.Tensor) -> dict[str, tf.Tensor]:
        top = tf.math.top_k(scores, k=self.k)
        return {C.MOVIE_IDS: tf.gather(self.movie_ids, top.indices), C.SCORES: top.values}

    def _seen(self, history_ids: tf.Tensor) -> tf.Tensor:
        """[batch, movies] True where the movie is in the request's history (every entry, no cap)."""
        rows = self.movie_rows.lookup(tf.convert_to_tensor(history_ids, tf.string))
        batch = tf.shape(rows, out_type=tf.int64)[0]
        users = tf.broadcast_to(tf.range(batch)[:, None], tf.shape(rows, out_type=tf.int64))
        known = rows >= 0
        indices = tf.stack([tf.boolean_mask(users, known), tf.boolean_mask(rows, known)], axis=1)
        shape = tf.stack([batch, tf.shape(self.movie_ids, out_type=tf.int64)[0]])
        return tf.scatter_nd(indices, tf.ones(tf.shape(indices)[:1]), shape) > 0

    def _rows(self, movie_id: tf.Tensor) -> tf.Tensor:
        rows = self.movie_rows.lookup(movie_id)
        check = tf.debugging.assert_non_negative(rows, message="unknown movie_id: not in the model's catalogue")
        with tf.control_dependencies([check]):
            return tf.identity(rows)

    def _rate_by_id(self, transformed: dict[str, tf.Tensor], movie_id: tf.Tensor) -> tf.Tensor:
        rows = self._rows(movie_id)
        candidate = tf.gather(self.embeddings, rows)
        user = transformed[F.transformed_name(F.USER_ID)]
        return self._layers.rating_head(
            self._layers.query_tower(transformed), candidate, user, tf.gather(self.movie_index, rows)
        )

    def _from_examples(self, examples: tf.Tensor) -> dict[str, tf.Tensor]:
        raw = tf.io.parse_example(examples, self._raw_spec)
        transformed = self.tft_layer(raw)
        out: dict[str, tf.Tensor] = {}
        if self.config.has_retrieval:
            # the report's protocol: the two-tower model's top K, nothing excluded
            out.update(self._top_k(self.scorer.two_tower(self._layers.query_tower(transformed))))
        if self.config.has_rating:
            out[C.PREDICTED_RATING] = self._layers.rating_head(
                self._layers.query_tower(transformed),
                self._layers.candidate_tower(transformed),
                transformed[F.transformed_name(F.USER_ID)],
                transformed[MOVIE_XF],
            )
        return out

    # -- signatures ----------------------------------------------------------------------------
    def signatures(self) -> dict[str, tf.types.experimental.ConcreteFunction]:
        user_spec = {n: tf.TensorSpec([None], _DTYPES[t], name=n) for n, t in C.USER_INPUTS.items()}
        user_spec.update({n: tf.TensorSpec([None, None], _DTYPES[t], name=n) for n, t in C.HISTORY_INPUTS.items()})
        movie_spec = {n: tf.TensorSpec([None], _DTYPES[t], name=n) for n, t in C.MOVIE_INPUTS.items()}
        examples_spec = tf.TensorSpec([None], tf.string, name=C.EXAMPLES_INPUT)

        @tf.function(input_signature=[examples_spec], autograph=False)
        def tf_example(examples):
            return self._from_examples(examples)

        @tf.function(input_signature=[examples_spec], autograph=False)
        def transform_features(examples):
            return self.tft_layer(tf.io.parse_example(examples, self._raw_spec))

        @tf.function(input_signature=[{**user_spec, **movie_spec}], autograph=False)
        def rank(inputs):
            rating = self._rate_by_id(self._transform_user(inputs), inputs[F.MOVIE_ID])
            return {C.PREDICTED_RATING: rating}

        @tf.function(input_signature=[movie_spec], autograph=False)
        def movies(inputs):
            rows = self._rows(inputs[F.MOVIE_ID])
            out = {name: tf.gather(values, rows) for name, values in self.info.items()}
            out[C.MOVIE_EMBEDDING] = tf.gather(self.embeddings, rows)
            return out

        result = {
            C.TF_EXAMPLE: tf_example.get_concrete_function(),
            C.TRANSFORM_FEATURES: transform_features.get_concrete_function(),
            C.MOVIES: movies.get_concrete_function(),
        }
        if self.config.has_retrieval:

            @tf.function(input_signature=[user_spec], autograph=False)
            def retrieve(inputs):
                seen = self._seen(inputs[F.HISTORY_MOVIE_IDS])
                scores = self.scorer.hybrid(self._layers.query_tower(self._transform_user(inputs)), seen)
                return self._top_k(tf.where(seen, tf.constant(-np.inf, tf.float32), scores))

            @tf.function(input_signature=[user_spec], autograph=False)
            def retrieve_unfiltered(inputs):
                return self._top_k(self.scorer.two_tower(self._layers.query_tower(self._transform_user(inputs))))

            result[C.SERVING_DEFAULT] = retrieve.get_concrete_function()
            result[C.RETRIEVE_UNFILTERED] = retrieve_unfiltered.get_concrete_function()
            if self.config.has_rating:
                result[C.RANK] = rank.get_concrete_function()
        else:
            result[C.SERVING_DEFAULT] = rank.get_concrete_function()
        return result


def export(
    model: MovieModel,
    tf_transform_output: tft.TFTransformOutput,
    catalogue_uri: str,
    config: ModelConfig,
    output_dir: str,
    time_range: tuple[float, float] = (-np.inf, np.inf),
    ease_matrix: np.ndarray | None = None,
) -> ServingModule:
    """Save the serving SavedModel to ``output_dir``; returns the module (for tests).

    ``time_range``: the transformed timestamp's range in training; request times are clipped to it.
    ``ease_matrix``: the hybrid's EASE member over the catalogue's rows (None: two-tower only).
    """
    ids, index, embeddings, bias = candidate_embeddings(model, catalogue_dataset(catalogue_uri, tf_transform_output))
    scorer = CatalogueScorer(embeddings, bias, ease_matrix, config.ease_weight) if config.has_retrieval else None
    module = ServingModule(
        model, tf_transform_output, config, ids, index, embeddings, movie_info(catalogue_uri, ids), time_range, scorer
    )
    tf.saved_model.save(module, output_dir, signatures=module.signatures())
    return module
