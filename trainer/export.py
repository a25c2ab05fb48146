"""Exports a trained model as a SavedModel with named signatures on raw features.

Every signature embeds the Transform graph (raw features in), and the movie catalogue's candidate
embeddings (retrieval index; movie lookup for ranking by id). See serving/contract.py for names.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs
import tensorflow_transform as tft

from components.movielens_example_gen.catalogue import read_catalogue
from serving import contract as C
from trainer.config import ModelConfig
from trainer.data import MOVIE_ID_KEY, catalogue_dataset
from trainer.models import MovieModel
from trainer.towers import rate
from transform import features as F

_DTYPES = {"string": tf.string, "int64": tf.int64, "float": tf.float32}


def candidate_embeddings(model: MovieModel, catalogue: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, candidate embeddings) for every movie of the catalogue."""
    ids, vectors = [], []
    for batch in catalogue:
        ids.append(batch[MOVIE_ID_KEY].numpy())
        vectors.append(model.candidate_tower(batch).numpy())
    return np.concatenate(ids), np.concatenate(vectors).astype(np.float32)


def movie_info(catalogue_uri: str, movie_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Title, genres ("Action|Comedy") and year of each movie id, in the order of ``movie_ids``."""
    rows = {m[F.MOVIE_ID]: m for m in read_catalogue(catalogue_uri)}
    ordered = [rows[i.decode()] for i in movie_ids]
    return {
        C.MOVIE_TITLE: np.array([m[F.MOVIE_TITLE].encode() for m in ordered], dtype=object),
        C.MOVIE_GENRES: np.array(
            ["|".join(F.GENRES[g] for g in m[F.MOVIE_GENRES]).encode() for m in ordered], dtype=object
        ),
        C.MOVIE_YEAR: np.array([m[F.MOVIE_YEAR] for m in ordered], dtype=np.int64),
    }


class ServingModule(tf.Module):
    """What is saved: the model, the Transform layer, the catalogue and the signatures."""

    def __init__(
        self,
        model: MovieModel,
        tf_transform_output: tft.TFTransformOutput,
        config: ModelConfig,
        movie_ids: np.ndarray,
        embeddings: np.ndarray,
        info: dict[str, np.ndarray],
        time_range: tuple[float, float] = (-np.inf, np.inf),
    ) -> None:
        super().__init__()
        # Only the towers and the rating head are saved (not the training tasks and their metrics).
        self.query_tower = model.query_tower
        self.candidate_tower = model.candidate_tower
        self.rating_head = model.rating if config.has_rating else None
        self.config = config
        self.tft_layer = tf_transform_output.transform_features_layer()
        spec = dict(tf_transform_output.raw_feature_spec())
        spec.pop(F.USER_RATING, None)
        self._raw_spec = spec
        self.movie_ids = tf.constant(movie_ids)
        self.embeddings = tf.Variable(embeddings, trainable=False, name="candidate_embeddings")
        self.movie_rows = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(self.movie_ids, tf.range(len(movie_ids), dtype=tf.int64)), -1
        )
        self.info = {name: tf.constant(values) for name, values in info.items()}
        # Requests may carry any time ("now"): the transformed timestamp is clipped to the training range.
        self.time_range = tf.constant(time_range, tf.float32)
        self.index = None
        if config.has_retrieval:
            k = min(config.top_k, len(movie_ids))
            if config.use_scann:
                self.index = tfrs.layers.factorized_top_k.ScaNN(self.query_tower, k=k)
            else:
                self.index = tfrs.layers.factorized_top_k.BruteForce(self.query_tower, k=k)
            self.index.index(tf.constant(embeddings), tf.constant(movie_ids))

    # -- helpers -------------------------------------------------------------------------------
    def _transform_user(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        raw = {name: tf.reshape(inputs[name], [-1, 1]) for name in C.USER_INPUTS}
        transformed = self.tft_layer(raw)
        ts = F.transformed_name(F.TIMESTAMP)
        transformed[ts] = tf.clip_by_value(transformed[ts], self.time_range[0], self.time_range[1])
        return transformed

    def _retrieve(self, transformed: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        scores, ids = self.index(transformed)
        return {C.MOVIE_IDS: ids, C.SCORES: scores}

    def _rows(self, movie_id: tf.Tensor) -> tf.Tensor:
        rows = self.movie_rows.lookup(movie_id)
        check = tf.debugging.assert_non_negative(rows, message="unknown movie_id: not in the model's catalogue")
        with tf.control_dependencies([check]):
            return tf.identity(rows)

    def _rate_by_id(self, transformed: dict[str, tf.Tensor], movie_id: tf.Tensor) -> tf.Tensor:
        candidate = tf.gather(self.embeddings, self._rows(movie_id))
        return rate(self.rating_head, self.query_tower(transformed), candidate)

    def _from_examples(self, examples: tf.Tensor) -> dict[str, tf.Tensor]:
        raw = tf.io.parse_example(examples, self._raw_spec)
        transformed = self.tft_layer(raw)
        out: dict[str, tf.Tensor] = {}
        if self.config.has_retrieval:
            out.update(self._retrieve(transformed))
        if self.config.has_rating:
            out[C.PREDICTED_RATING] = rate(
                self.rating_head, self.query_tower(transformed), self.candidate_tower(transformed)
            )
        return out

    # -- signatures ----------------------------------------------------------------------------
    def signatures(self) -> dict[str, tf.types.experimental.ConcreteFunction]:
        user_spec = {n: tf.TensorSpec([None], _DTYPES[t], name=n) for n, t in C.USER_INPUTS.items()}
        movie_spec = {n: tf.TensorSpec([None], _DTYPES[t], name=n) for n, t in C.MOVIE_INPUTS.items()}
        examples_spec = tf.TensorSpec([None], tf.string, name=C.EXAMPLES_INPUT)

        @tf.function(input_signature=[examples_spec])
        def tf_example(examples):
            return self._from_examples(examples)

        @tf.function(input_signature=[examples_spec])
        def transform_features(examples):
            return self.tft_layer(tf.io.parse_example(examples, self._raw_spec))

        @tf.function(input_signature=[{**user_spec, **movie_spec}])
        def rank(inputs):
            rating = self._rate_by_id(self._transform_user(inputs), inputs[F.MOVIE_ID])
            return {C.PREDICTED_RATING: rating}

        @tf.function(input_signature=[movie_spec])
        def movies(inputs):
            rows = self._rows(inputs[F.MOVIE_ID])
            return {name: tf.gather(values, rows) for name, values in self.info.items()}

        result = {
            C.TF_EXAMPLE: tf_example.get_concrete_function(),
            C.TRANSFORM_FEATURES: transform_features.get_concrete_function(),
            C.MOVIES: movies.get_concrete_function(),
        }
        if self.config.has_retrieval:

            @tf.function(input_signature=[user_spec])
            def retrieve(inputs):
                return self._retrieve(self._transform_user(inputs))

            result[C.SERVING_DEFAULT] = retrieve.get_concrete_function()
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
) -> ServingModule:
    """Save the serving SavedModel to ``output_dir``; returns the module (for tests).

    ``time_range``: the transformed timestamp's range in training; request times are clipped to it.
    """
    ids, embeddings = candidate_embeddings(model, catalogue_dataset(catalogue_uri, tf_transform_output))
    module = ServingModule(
        model, tf_transform_output, config, ids, embeddings, movie_info(catalogue_uri, ids), time_range
    )
    options = tf.saved_model.SaveOptions(namespace_whitelist=["Scann"]) if config.use_scann else None
    tf.saved_model.save(module, output_dir, signatures=module.signatures(), options=options)
    return module
