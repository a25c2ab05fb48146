"""Executor: scores the eval split with the model's tf_example signature on Beam, then blesses or not."""

from __future__ import annotations

import json
import os
from typing import Any

import apache_beam as beam
import numpy as np
import tensorflow as tf
from absl import logging
from tfx import types
from tfx.components.evaluator import constants
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from components.topk_evaluator import metrics as M
from serving import contract as C
from transform import features as F

METRICS_FILE = "metrics.json"
_PARSE_SPEC = {
    F.MOVIE_ID: tf.io.FixedLenFeature([], tf.string),
    F.USER_ID: tf.io.FixedLenFeature([], tf.string),
    F.USER_RATING: tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
}


class _Score(beam.DoFn):
    """A batch of serialized eval examples -> per-user hit counts for the model (and baseline)."""

    def __init__(self, model_dir: str, baseline_dir: str | None, ks: tuple[int, ...]) -> None:
        self._model_dir, self._baseline_dir, self._ks = model_dir, baseline_dir, ks

    def setup(self) -> None:
        self._model = tf.saved_model.load(self._model_dir).signatures[C.TF_EXAMPLE]
        self._baseline = (
            tf.saved_model.load(self._baseline_dir).signatures[C.TF_EXAMPLE] if self._baseline_dir else None
        )

    def process(self, batch: list[bytes], popular: list[bytes]):
        examples = tf.constant(batch)
        parsed = tf.io.parse_example(examples, _PARSE_SPEC)
        true_ids = parsed[F.MOVIE_ID].numpy()
        users = parsed[F.USER_ID].numpy()
        out = self._model(examples=examples)
        ranks = {
            "top_k_accuracy": M.hit_ranks(true_ids, out[C.MOVIE_IDS].numpy()),
            "popularity_accuracy": M.popularity_ranks(true_ids, popular),
        }
        if self._baseline is not None:
            ranks["baseline_accuracy"] = M.hit_ranks(true_ids, self._baseline(examples=examples)[C.MOVIE_IDS].numpy())
        squared = None
        if C.PREDICTED_RATING in out:
            squared = (out[C.PREDICTED_RATING].numpy() - parsed[F.USER_RATING].numpy()) ** 2
        for user in np.unique(users):
            rows = users == user
            counts: dict[str, float] = {"n": float(rows.sum())}
            for prefix, r in ranks.items():
                counts.update(M.hits(r[rows], self._ks, prefix))
            if squared is not None:
                counts.update({"rating_n": float(rows.sum()), "squared_error": float(squared[rows].sum())})
            yield user, counts


def _user_row(serialized: bytes) -> tuple[bytes, dict[str, Any]]:
    """A serialized rating example -> (user id, its user features, movie, stars and time)."""
    fmap = tf.train.Example.FromString(serialized).features.feature
    row: dict[str, Any] = {}
    for name, dtype in C.USER_INPUTS.items():
        feature = fmap[name]
        values = feature.bytes_list.value if dtype == "string" else feature.int64_list.value
        row[name] = values[0] if values else (b"" if dtype == "string" else 0)
    row["movie"] = fmap[F.MOVIE_ID].bytes_list.value[0]
    rating = fmap[F.USER_RATING].float_list.value
    row["rating"] = float(rating[0]) if rating else 0.0
    return row[F.USER_ID], row


def _query(item: tuple[bytes, dict[str, list]]) -> tuple[dict[str, Any], set[bytes]] | None:
    """One eval user -> (the query a served user would send, their eval movies), or None.

    The query: the user's features, their history = every train movie, most recent first, with its
    stars, and the time of their latest train rating (a user without train ratings: the earliest
    eval time, empty history: a new user).
    """
    _, groups = item
    evals = list(groups["eval"])
    if not evals:
        return None
    train = sorted(groups["train"], key=lambda r: -r[F.TIMESTAMP])
    first = (train or evals)[0]
    query = {name: first[name] for name in C.USER_INPUTS}
    query[F.TIMESTAMP] = train[0][F.TIMESTAMP] if train else min(r[F.TIMESTAMP] for r in evals)
    query[F.HISTORY_MOVIE_IDS] = [r["movie"] for r in train]
    query[F.HISTORY_RATINGS] = [r["rating"] for r in train]
    return query, {r["movie"] for r in evals}


class _ScoreUsers(beam.DoFn):
    """A batch of per-user queries -> the per-user metric sums of the model and of popularity.

    The model is asked through its ``serving_default`` signature, exactly as a client asks it: the
    user's features and history in, the top K unseen movies out.
    """

    COVERAGE = "coverage"

    def __init__(self, model_dir: str) -> None:
        self._model_dir = model_dir

    def setup(self) -> None:
        self._model = tf.saved_model.load(self._model_dir).signatures[C.SERVING_DEFAULT]

    def process(self, batch: list[tuple[dict[str, Any], set[bytes]]], popular: list[bytes]):
        width = max(len(q[F.HISTORY_MOVIE_IDS]) for q, _ in batch)
        inputs: dict[str, Any] = {
            name: tf.constant([q[name] for q, _ in batch], dtype=tf.string if t == "string" else tf.int64)
            for name, t in C.USER_INPUTS.items()
        }
        ids = np.full((len(batch), width), b"", dtype=object)
        stars = np.zeros((len(batch), width), np.float32)
        for i, (q, _) in enumerate(batch):
            ids[i, : len(q[F.HISTORY_MOVIE_IDS])] = q[F.HISTORY_MOVIE_IDS]
            stars[i, : len(q[F.HISTORY_RATINGS])] = q[F.HISTORY_RATINGS]
        inputs[F.HISTORY_MOVIE_IDS] = tf.constant(
            ids.tolist() if width else np.zeros((len(batch), 0), object), tf.string
        )
        inputs[F.HISTORY_RATINGS] = tf.constant(stars)
        top = self._model(**inputs)[C.MOVIE_IDS].numpy()
        for (q, relevant), row in zip(batch, top, strict=True):
            counts = M.per_user_counts(row, relevant, "model_")
            counts.update(M.per_user_counts(M.popular_unseen(popular, set(q[F.HISTORY_MOVIE_IDS])), relevant, "pop_"))
            yield counts
            for movie in row[: M.PER_USER_K]:
                yield beam.pvalue.TaggedOutput(self.COVERAGE, movie)


class _SumDicts(beam.CombineFn):
    def create_accumulator(self) -> dict[str, float]:
        return {}

    def add_input(self, acc: dict[str, float], value: dict[str, float]) -> dict[str, float]:
        return M.add(acc, value)

    def merge_accumulators(self, accs) -> dict[str, float]:
        total: dict[str, float] = {}
        for acc in accs:
            total = M.add(total, acc)
        return total

    def extract_output(self, acc: dict[str, float]) -> dict[str, float]:
        return acc


def _files(examples: types.Artifact, split: str) -> str:
    return os.path.join(artifact_utils.get_split_uri([examples], split), "*")


class Executor(base_beam_executor.BaseBeamExecutor):
    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        model = artifact_utils.get_single_instance(input_dict["model"])
        baseline = (input_dict.get("baseline_model") or [None])[0]
        ks = tuple(json.loads(exec_properties.get("ks") or "[]") or M.KS)
        model_dir = path_utils.serving_model_path(model.uri)
        baseline_dir = path_utils.serving_model_path(baseline.uri) if baseline else None

        output = os.path.join(artifact_utils.get_single_uri(output_dict["evaluation"]), METRICS_FILE)
        per_user_output = output + ".per_user"
        catalogue_size = int(tf.saved_model.load(model_dir).embeddings.shape[0])
        with self._make_beam_pipeline() as pipeline:
            train_rows = (
                pipeline
                | "ReadTrain" >> beam.io.ReadFromTFRecord(_files(examples, "train"))
                | "TrainRows" >> beam.Map(_user_row)
            )
            popular = (
                train_rows
                | "TrainMovie" >> beam.Map(lambda r: r[1]["movie"])
                | "CountMovies" >> beam.combiners.Count.PerElement()
                | "AllCounts" >> beam.combiners.ToList()
                | "MostRated" >> beam.Map(lambda counts: [m for m, _ in sorted(counts, key=lambda kv: (-kv[1], kv[0]))])
            )
            popular_top = popular | "TopK" >> beam.Map(lambda movies: movies[: max(ks)])
            eval_examples = pipeline | "ReadEval" >> beam.io.ReadFromTFRecord(_files(examples, "eval"))
            per_user = (
                eval_examples
                | "Batch" >> beam.BatchElements(min_batch_size=256, max_batch_size=2048)
                | "Score" >> beam.ParDo(_Score(model_dir, baseline_dir, ks), beam.pvalue.AsSingleton(popular_top))
                | "PerUser" >> beam.CombinePerKey(_SumDicts())
                | "Values" >> beam.Values()
            )
            totals = per_user | "Total" >> beam.CombineGlobally(_SumDicts())
            users = per_user | "Users" >> beam.combiners.ToList()
            _ = (
                totals
                | "Finalize" >> beam.Map(lambda t, u: M.finalize(t, u, ks), beam.pvalue.AsSingleton(users))
                | "Write" >> beam.Map(lambda m: io_utils.write_string_file(output, json.dumps(m, indent=2)))
            )

            # the per-user view: one query per eval user, as a served user asks
            scored = (
                {"train": train_rows, "eval": eval_examples | "EvalRows" >> beam.Map(_user_row)}
                | "ByUser" >> beam.CoGroupByKey()
                | "Queries" >> beam.FlatMap(lambda item: [q] if (q := _query(item)) is not None else [])
                | "BatchUsers" >> beam.BatchElements(min_batch_size=64, max_batch_size=256)
                | "ScoreUsers"
                >> beam.ParDo(_ScoreUsers(model_dir), beam.pvalue.AsSingleton(popular)).with_outputs(
                    _ScoreUsers.COVERAGE, main="counts"
                )
            )
            shown = (
                scored[_ScoreUsers.COVERAGE]
                | "Distinct" >> beam.Distinct()
                | "Shown" >> beam.combiners.Count.Globally()
            )
            _ = (
                scored.counts
                | "SumUsers" >> beam.CombineGlobally(_SumDicts())
                | "FinalizeUsers"
                >> beam.Map(
                    lambda t, n: {
                        **M.finalize_per_user(t, "model_", ""),
                        **M.finalize_per_user(t, "pop_", "popularity_"),
                        "users": t.get("model_users", 0.0),
                        f"coverage@{M.PER_USER_K}": n / max(catalogue_size, 1),
                    },
                    beam.pvalue.AsSingleton(shown),
                )
                | "WriteUsers" >> beam.Map(lambda m: io_utils.write_string_file(per_user_output, json.dumps(m)))
            )
        with tf.io.gfile.GFile(output) as f:
            result = json.load(f)
        if tf.io.gfile.exists(per_user_output):
            with tf.io.gfile.GFile(per_user_output) as f:
                result.update(json.load(f))
            tf.io.gfile.remove(per_user_output)
            io_utils.write_string_file(output, json.dumps(result, indent=2))
        # the gate's K: the largest one below the catalogue's size (a top K of every movie always hits)
        gate = max((k for k in ks if k < catalogue_size), default=min(ks))
        self._bless(result, exec_properties, gate, model, baseline, output_dict)

    @staticmethod
    def _bless(
        result: dict[str, float],
        props: dict[str, Any],
        k: int,
        model: types.Artifact,
        baseline: types.Artifact | None,
        output_dict: dict[str, list[types.Artifact]],
    ) -> None:
        accuracy, popularity = result[f"top_k_accuracy@{k}"], result[f"popularity_accuracy@{k}"]
        reasons = []
        min_lift = float(props.get("min_lift_over_popularity", 0.0))
        if accuracy <= popularity * (1.0 + min_lift):
            reasons.append(
                f"top-{k} accuracy {accuracy:.4f} does not beat popularity {popularity:.4f} by {min_lift:.0%}"
            )
        key = f"filtered_precision@{M.PER_USER_K}"
        if key in result and result[key] <= result.get(f"popularity_{key}", 0.0):
            reasons.append(
                f"per-user precision@{M.PER_USER_K} {result[key]:.4f} does not beat popularity "
                f"{result.get(f'popularity_{key}', 0.0):.4f}"
            )
        if baseline is not None:
            drop = float(props.get("max_drop_from_baseline", 0.0))
            base = result[f"baseline_accuracy@{k}"]
            if accuracy < base - drop:
                reasons.append(f"top-{k} accuracy {accuracy:.4f} is below the blessed model's {base:.4f} - {drop}")
        max_rmse = float(props.get("max_rmse") or 0.0)
        if max_rmse and "rmse" in result and result["rmse"] > max_rmse:
            reasons.append(f"RMSE {result['rmse']:.4f} is above {max_rmse}")
        blessing = artifact_utils.get_single_instance(output_dict["blessing"])
        blessed = not reasons
        io_utils.write_string_file(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"), "")
        blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY, int(blessed))
        blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY, model.uri)
        blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model.id)
        if baseline is not None:
            blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY, baseline.uri)
            blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY, baseline.id)
        message = "blessed" if blessed else "not blessed: " + "; ".join(reasons)
        blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY, message)
        logging.info("TopKEvaluator: %s (%s)", message, json.dumps(result))
