"""TFX Trainer entry point: ``run_fn`` builds the model named in custom_config, fits, exports."""

from __future__ import annotations

import dataclasses
import json
import os
import time

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from trainer import dcn, ease
from trainer.config import CATALOGUE_URI_KEY, HISTORY_FILE, MODEL_CONFIG_KEY, ModelConfig, apply_hyperparameters
from trainer.data import (
    catalogue_dataset,
    catalogue_tensors,
    in_memory_dataset,
    list_dataset,
    list_steps_per_epoch,
    load_split,
    rows_by_vocabulary_index,
    steps_per_epoch,
    transformed_batches,
)
from trainer.export import export
from trainer.models import MOVIE_XF, MovieModel, make_optimizer
from trainer.towers import vocab_sizes
from transform import features as F


class EpochProgress(tf.keras.callbacks.Callback):
    """One log line per epoch with its duration and metrics (also on stderr)."""

    def __init__(self, kind: str, epochs: int) -> None:
        super().__init__()
        self.kind, self.epochs = kind, epochs
        self._started = 0.0
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        elapsed = time.perf_counter() - self._started
        self.seconds.append(elapsed)
        shown = ", ".join(f"{k}={v:.4f}" for k, v in sorted((logs or {}).items()) if "top_" not in k or "100" in k)
        message = f"[movierec] {self.kind}: epoch {epoch + 1}/{self.epochs} in {elapsed:.1f} s: {shown}"
        logging.warning(message)


@dataclasses.dataclass
class TrainStatistics:
    """What one pass over the transformed train split tells: (user, movie) pairs, the time range."""

    users: np.ndarray
    movies: np.ndarray
    time_range: tuple[float, float]
    mean_rating: float

    def movie_frequency(self, vocab_size: int) -> np.ndarray:
        return np.maximum(np.bincount(self.movies, minlength=vocab_size).astype(np.float64), 1.0)


def train_statistics(arrays: dict[str, np.ndarray]) -> TrainStatistics:
    """(user, movie) pairs, time range and mean rating of the (in-memory) transformed train split."""
    times = arrays[F.transformed_name(F.TIMESTAMP)]
    return TrainStatistics(
        arrays[F.transformed_name(F.USER_ID)],
        arrays[MOVIE_XF],
        (float(times.min()), float(times.max())),
        float(arrays[F.USER_RATING].mean()),
    )


def train(config: ModelConfig, fn_args: FnArgs) -> tuple[MovieModel, dict]:
    tf.keras.utils.set_random_seed(config.seed)
    tft_output = tft.TFTransformOutput(fn_args.transform_output)
    catalogue_uri = fn_args.custom_config[CATALOGUE_URI_KEY]
    train_arrays = load_split(fn_args.train_files, tft_output)
    sizes = vocab_sizes(tft_output)
    stats = train_statistics(train_arrays)
    if config.is_listwise:  # whole per-user lists, drawn afresh each epoch
        train_ds = list_dataset(
            train_arrays, config.list_length, config.lists_per_user, config.batch_size, seed=config.seed
        )
        steps = list_steps_per_epoch(stats.users, config.list_length, config.lists_per_user, config.batch_size)
    else:
        train_ds = in_memory_dataset(train_arrays, config.batch_size, seed=config.seed, repeat=True)
        steps = steps_per_epoch(len(stats.movies), config.batch_size)
    catalogue = catalogue_tensors(catalogue_uri, tft_output)
    rows = rows_by_vocabulary_index(catalogue[MOVIE_XF], sizes[F.MOVIE_ID])
    candidates = None
    if config.has_retrieval and config.retrieval_loss == "in_batch":
        candidates = catalogue_dataset(catalogue_uri, tft_output).cache()
    model = MovieModel(
        config,
        sizes,
        candidates=candidates,
        movie_frequency=stats.movie_frequency(sizes[F.MOVIE_ID]) if config.has_retrieval else None,
        catalogue=catalogue,
        rows_by_index=rows,
        global_mean=stats.mean_rating,
    )
    model.compile(optimizer=make_optimizer(config))
    progress = EpochProgress(config.name, config.epochs)
    # No graph in TensorBoard: the train function captures the in-memory split, and serializing it
    # after the first epoch took half a minute on ml-1m.
    board = tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir, update_freq="epoch", write_graph=False)
    callbacks = [progress, board]
    eval_ds = None
    if config.evaluate_after_training:
        eval_ds = transformed_batches(fn_args.eval_files, tft_output, config.batch_size)
    history = model.fit(
        train_ds,
        steps_per_epoch=steps,  # one iterator, every epoch
        validation_data=eval_ds,
        validation_freq=config.epochs,  # eval-split loss (and in-batch top-K) once, after the last epoch
        epochs=config.epochs,
        callbacks=callbacks,
        verbose=0,
    )
    ease_matrix = None
    if config.has_retrieval and config.ease_weight:
        started = time.perf_counter()
        known = rows[stats.movies] >= 0
        ease_matrix = ease.fit(stats.users[known], rows[stats.movies][known], len(catalogue[MOVIE_XF]), config.ease_l2)
        logging.warning("[movierec] %s: EASE member fitted in %.1f s", config.kind, time.perf_counter() - started)
    record = {
        "config": config.to_dict(),
        **feature_importance(model, config, fn_args.model_run_dir),
        "epoch_seconds": progress.seconds,
        "train_examples": len(stats.movies),
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
    }
    export(
        model,
        tft_output,
        catalogue_uri,
        config,
        fn_args.serving_model_dir,
        stats.time_range,
        ease_matrix=ease_matrix,
    )
    return model, record


def feature_importance(model: MovieModel, config: ModelConfig, directory: str) -> dict:
    """DCN-v2's feature-importance picture (PNG + CSV in ``directory``) and its values for the run's
    record; nothing for the other architectures."""
    if config.architecture != "dcn" or not config.cross_layers:
        return {}
    importance = dcn.cross_importance(model.rating.first_cross_matrix(), len(dcn.FEATURE_NAMES))
    title = "DCN-v2: Frobenius norm of each feature pair's block of the first cross layer (larger: stronger cross)"
    paths = dcn.write_importance(importance, dcn.FEATURE_NAMES, directory, title)
    logging.warning("[movierec] %s: feature-importance picture in %s", config.name, paths[1])
    return {"feature_importance": {"features": list(dcn.FEATURE_NAMES), "matrix": importance.round(6).tolist()}}


def run_fn(fn_args: FnArgs) -> None:
    """Called by the TFX Trainer (GenericExecutor)."""
    config = ModelConfig.from_dict(dict(fn_args.custom_config[MODEL_CONFIG_KEY]))
    tuned = (fn_args.hyperparameters or {}).get("values") or {}
    if tuned:  # the Tuner's best values (TFX's hyperparameters channel)
        config = apply_hyperparameters(config, tuned)
        logging.warning("[movierec] %s: the Tuner's hyperparameters: %s", config.name, tuned)
    _, record = train(config, fn_args)
    if tuned:
        record["tuned_hyperparameters"] = tuned
    os.makedirs(fn_args.model_run_dir, exist_ok=True)
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, HISTORY_FILE), "w") as f:
        json.dump(record, f, indent=2)
