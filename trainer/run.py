"""TFX Trainer entry point: ``run_fn`` builds the model named in custom_config, fits, exports."""

from __future__ import annotations

import json
import os
import time

import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from trainer.config import ModelConfig
from trainer.data import catalogue_dataset, input_fn
from trainer.export import export
from trainer.models import MovieModel, feature_range, make_optimizer, movie_frequency
from trainer.towers import vocab_sizes
from transform import features as F

MODEL_CONFIG_KEY = "model"
CATALOGUE_URI_KEY = "catalogue_uri"
HISTORY_FILE = "history.json"


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


def train(config: ModelConfig, fn_args: FnArgs) -> tuple[MovieModel, dict]:
    tf.keras.utils.set_random_seed(config.seed)
    tft_output = tft.TFTransformOutput(fn_args.transform_output)
    train_ds = input_fn(fn_args.train_files, fn_args.data_accessor, tft_output, config.batch_size, seed=config.seed)
    eval_ds = input_fn(fn_args.eval_files, fn_args.data_accessor, tft_output, config.batch_size, shuffle=False)
    catalogue = catalogue_dataset(fn_args.custom_config[CATALOGUE_URI_KEY], tft_output).cache()
    sizes = vocab_sizes(tft_output)
    frequency = movie_frequency(train_ds, sizes[F.MOVIE_ID]) if config.has_retrieval else None
    model = MovieModel(config, sizes, candidates=catalogue if config.has_retrieval else None, movie_frequency=frequency)
    model.compile(optimizer=make_optimizer(config))
    progress = EpochProgress(config.kind, config.epochs)
    callbacks = [progress, tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir, update_freq="epoch")]
    history = model.fit(
        train_ds.prefetch(tf.data.AUTOTUNE),
        validation_data=eval_ds,
        validation_freq=config.epochs,  # full-catalogue top-K metrics once, after the last epoch
        epochs=config.epochs,
        callbacks=callbacks,
        verbose=0,
    )
    record = {
        "config": config.to_dict(),
        "epoch_seconds": progress.seconds,
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
    }
    time_range = feature_range(train_ds, F.transformed_name(F.TIMESTAMP))
    export(model, tft_output, fn_args.custom_config[CATALOGUE_URI_KEY], config, fn_args.serving_model_dir, time_range)
    return model, record


def run_fn(fn_args: FnArgs) -> None:
    """Called by the TFX Trainer (GenericExecutor)."""
    config = ModelConfig.from_dict(dict(fn_args.custom_config[MODEL_CONFIG_KEY]))
    _, record = train(config, fn_args)
    os.makedirs(fn_args.model_run_dir, exist_ok=True)
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, HISTORY_FILE), "w") as f:
        json.dump(record, f, indent=2)
