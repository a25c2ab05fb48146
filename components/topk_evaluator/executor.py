"""Executor: scores the eval split through the model's own signatures, vectorised, then blesses or not.

The eval split's serialized examples and both splits' (user, movie, stars, time) columns are held
in memory (tens of MB for MovieLens 1M); the model is called in large batches.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging
from tfx import types
from tfx.components.evaluator import constants
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from components.topk_evaluator import metrics as M
from components.topk_evaluator.split_arrays import (
    Split,
    read_split,
    request,
    serialized_batches,
    split_files,
    user_queries,
)
from serving import contract as C
from transform import features as F

SCORE_BATCH = 4096  # eval examples per call of the tf_example signature
USER_BATCH = 256  # users per call of serving_default


def _hit_ranks(signature, batches: list[tf.Tensor], true_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The rank of each eval example's movie in the model's top K (tf_example), and its predicted rating."""
    ranks, ratings, start = [], [], 0
    for examples in batches:
        out = signature(examples=examples)
        n = int(examples.shape[0])
        ranks.append(M.hit_ranks(true_ids[start : start + n], out[C.MOVIE_IDS].numpy()))
        if C.PREDICTED_RATING in out:
            ratings.append(out[C.PREDICTED_RATING].numpy())
        start += n
    return np.concatenate(ranks), (np.concatenate(ratings) if ratings else None)


def report_protocol(
    split: Split,
    batches: list[tf.Tensor],
    model_dir: str,
    baseline_dir: str | None,
    ks: tuple[int, ...],
) -> dict[str, float]:
    """One query per eval rating (the report's protocol): top-K accuracy, recall@K, RMSE."""
    true_ids = split.eval[F.MOVIE_ID]
    model = tf.saved_model.load(model_dir).signatures[C.TF_EXAMPLE]
    model_ranks, predicted = _hit_ranks(model, batches, true_ids)
    popular_rank = np.empty(len(split.movies), np.int64)
    popular_rank[split.popular()] = np.arange(len(split.movies))
    ranks = {"top_k_accuracy": model_ranks, "popularity_accuracy": popular_rank[split.eval["movie"]]}
    if baseline_dir:
        baseline = tf.saved_model.load(baseline_dir).signatures[C.TF_EXAMPLE]
        ranks["baseline_accuracy"] = _hit_ranks(baseline, batches, true_ids)[0]
    return M.report_metrics(ranks, split.eval["user"], ks, predicted, split.eval["rating"])


def per_user_view(split: Split, model_dir: str) -> dict[str, float]:
    """One query per eval user through ``serving_default``, exactly as a client asks; popularity beside it."""
    model = tf.saved_model.load(model_dir).signatures[C.SERVING_DEFAULT]
    relevant: dict[int, set] = {}
    for u, m in zip(split.eval["user"], split.eval[F.MOVIE_ID], strict=True):
        relevant.setdefault(int(u), set()).add(m)
    users = np.array(sorted(relevant))
    popular = list(split.movies[split.popular()])
    totals: dict[str, float] = {}
    shown: set = set()
    for start in range(0, len(users), USER_BATCH):
        block = users[start : start + USER_BATCH]
        queries = user_queries(split, block)
        top = model(**request(queries))[C.MOVIE_IDS].numpy()
        for u, q, row in zip(block, queries, top, strict=True):
            totals = M.add(totals, M.per_user_counts(row, relevant[int(u)], "model_"))
            unseen = M.popular_unseen(popular, set(q[F.HISTORY_MOVIE_IDS]))
            totals = M.add(totals, M.per_user_counts(unseen, relevant[int(u)], "pop_"))
            shown.update(row[: M.PER_USER_K])
    return {
        **M.finalize_per_user(totals, "model_", ""),
        **M.finalize_per_user(totals, "pop_", "popularity_"),
        "users": totals.get("model_users", 0.0),
        f"coverage@{M.PER_USER_K}": len(shown),  # divided by the catalogue's size by the caller
    }


class Executor(base_executor.BaseExecutor):
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

        output = os.path.join(artifact_utils.get_single_uri(output_dict["evaluation"]), M.METRICS_FILE)
        catalogue_size = int(tf.saved_model.load(model_dir).embeddings.shape[0])
        started = time.perf_counter()
        split = read_split(examples.uri)
        batches = list(serialized_batches(split_files(examples.uri, "eval"), SCORE_BATCH))
        logging.warning(
            "[movierec] TopKEvaluator: read %d train and %d eval examples in %.1f s",
            len(split.train["user"]),
            len(split.eval["user"]),
            time.perf_counter() - started,
        )
        result = report_protocol(split, batches, model_dir, baseline_dir, ks)
        logging.warning("[movierec] TopKEvaluator: report protocol scored (%.1f s)", time.perf_counter() - started)
        result.update(per_user_view(split, model_dir))
        result[f"coverage@{M.PER_USER_K}"] /= max(catalogue_size, 1)
        logging.warning("[movierec] TopKEvaluator: per-user view scored (%.1f s)", time.perf_counter() - started)
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
        min_lift = float(props["min_lift_over_popularity"])
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
            drop = float(props["max_drop_from_baseline"])
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
