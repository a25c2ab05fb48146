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

        with self._make_beam_pipeline() as pipeline:
            popular = (
                pipeline
                | "ReadTrain" >> beam.io.ReadFromTFRecord(_files(examples, "train"))
                | "TrainMovie"
                >> beam.Map(lambda s: tf.train.Example.FromString(s).features.feature[F.MOVIE_ID].bytes_list.value[0])
                | "CountMovies" >> beam.combiners.Count.PerElement()
                | "MostRated" >> beam.combiners.Top.Of(max(ks), key=lambda kv: (kv[1], kv[0]))
                | "Ids" >> beam.Map(lambda top: [movie for movie, _ in top])
            )
            per_user = (
                pipeline
                | "ReadEval" >> beam.io.ReadFromTFRecord(_files(examples, "eval"))
                | "Batch" >> beam.BatchElements(min_batch_size=256, max_batch_size=2048)
                | "Score" >> beam.ParDo(_Score(model_dir, baseline_dir, ks), beam.pvalue.AsSingleton(popular))
                | "PerUser" >> beam.CombinePerKey(_SumDicts())
                | "Values" >> beam.Values()
            )
            totals = per_user | "Total" >> beam.CombineGlobally(_SumDicts())
            users = per_user | "Users" >> beam.combiners.ToList()
            output = os.path.join(artifact_utils.get_single_uri(output_dict["evaluation"]), METRICS_FILE)
            _ = (
                totals
                | "Finalize" >> beam.Map(lambda t, u: M.finalize(t, u, ks), beam.pvalue.AsSingleton(users))
                | "Write" >> beam.Map(lambda m: io_utils.write_string_file(output, json.dumps(m, indent=2)))
            )
        with tf.io.gfile.GFile(output) as f:
            result = json.load(f)
        self._bless(result, exec_properties, ks, model, baseline, output_dict)

    @staticmethod
    def _bless(
        result: dict[str, float],
        props: dict[str, Any],
        ks: tuple[int, ...],
        model: types.Artifact,
        baseline: types.Artifact | None,
        output_dict: dict[str, list[types.Artifact]],
    ) -> None:
        k = max(ks)
        accuracy, popularity = result[f"top_k_accuracy@{k}"], result[f"popularity_accuracy@{k}"]
        reasons = []
        min_lift = float(props.get("min_lift_over_popularity", 0.0))
        if accuracy <= popularity * (1.0 + min_lift):
            reasons.append(
                f"top-{k} accuracy {accuracy:.4f} does not beat popularity {popularity:.4f} by {min_lift:.0%}"
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
