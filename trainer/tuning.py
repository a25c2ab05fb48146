"""Hyperparameter search for TFX's Tuner component (KerasTuner): ``tuner_fn``.

The search space is what the study tuned by hand (embedding size, learning rate, epochs, depth,
dropout and max-norm) around the pointwise ranking model's own settings, searched at random on a
validation slice of the train split (every ``validation_every``-th example): the eval split is
never seen. The budget is a number of trials and a number of seconds (no trial starts after it).
The best values reach the Trainer through TFX's ``hyperparameters`` channel
(:func:`apply_hyperparameters` in ``run_fn``).
"""

from __future__ import annotations

import csv
import io
import os
import time
from typing import Any

import keras_tuner as kt
import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx.components.tuner.component import TunerFnResult

from trainer.config import (
    MODEL_CONFIG_KEY,
    TUNING_CONFIG_KEY,
    TUNING_CSV,
    TUNING_MD,
    ModelConfig,
    TuningConfig,
    apply_hyperparameters,
)
from trainer.data import in_memory_dataset, load_split, steps_per_epoch
from trainer.models import MovieModel, make_optimizer
from trainer.towers import vocab_sizes
from transform import features as F

OBJECTIVE = "val_rmse"


def search_space(hp: kt.HyperParameters, base: ModelConfig) -> dict[str, Any]:
    """The hyperparameters the study tuned, each with the model's own value among the choices."""

    def around(values: list, own: Any) -> list:
        return sorted(set(values) | {own})

    return {
        "embedding_dim": hp.Choice("embedding_dim", around([16, 32, 64], base.embedding_dim)),
        "learning_rate": hp.Choice("learning_rate", around([3e-4, 1e-3, 3e-3], base.learning_rate)),
        "epochs": hp.Choice("epochs", around([2, 3, 5], base.epochs)),
        "rating_layers": hp.Choice(
            "rating_layers", around(["64", "256,64", "256,128,64"], ",".join(map(str, base.rating_layers)))
        ),
        "dropout": hp.Choice("dropout", around([0.1, 0.3], base.dropout)),
        "max_norm": hp.Choice("max_norm", around([0.0, 3.0], base.max_norm)),
    }


class RatingHyperModel(kt.HyperModel):
    """Builds the pointwise ranking model (trainer/models.py) for a trial's values and fits it for
    the trial's number of epochs."""

    def __init__(self, base: ModelConfig, sizes: dict[str, int], global_mean: float, rows: int) -> None:
        super().__init__()
        self.base, self.sizes, self.global_mean, self.rows = base, sizes, global_mean, rows

    def config(self, hp: kt.HyperParameters) -> ModelConfig:
        return apply_hyperparameters(self.base, search_space(hp, self.base))

    def build(self, hp: kt.HyperParameters) -> MovieModel:
        config = self.config(hp)
        tf.keras.utils.set_random_seed(config.seed)
        model = MovieModel(config, self.sizes, global_mean=self.global_mean)
        model.compile(optimizer=make_optimizer(config))
        return model

    def fit(self, hp: kt.HyperParameters, model: MovieModel, *args, **kwargs):
        config = self.config(hp)
        return model.fit(
            *args, epochs=config.epochs, steps_per_epoch=steps_per_epoch(self.rows, config.batch_size), **kwargs
        )


class _BudgetOracle(kt.oracles.RandomSearchOracle):
    """Random search that starts no trial once ``max_seconds`` have passed."""

    def __init__(self, max_seconds: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self._deadline = time.monotonic() + max_seconds

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        if time.monotonic() > self._deadline:
            logging.warning("[movierec] tuner: the time budget is spent; no new trial")
            return {"status": "STOPPED", "values": None}
        return super().populate_space(trial_id)


class BudgetedRandomSearch(kt.engine.base_tuner.BaseTuner):
    """Random search with a seconds budget, timing each trial for the tuning table.

    KerasTuner's ``kt.Tuner`` checks models against Keras 3 (installed beside TensorFlow's
    legacy Keras, which these TFRS models use), so this tuner runs its own trial: build, fit for
    the trial's epochs, report the best epoch's validation RMSE.
    """

    def __init__(self, hypermodel: kt.HyperModel, tuning: TuningConfig, seed: int, **kwargs) -> None:
        oracle = _BudgetOracle(
            tuning.max_seconds, objective=kt.Objective(OBJECTIVE, "min"), max_trials=tuning.max_trials, seed=seed
        )
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
        self.trial_seconds: dict[str, float] = {}
        self._started: dict[str, float] = {}

    def run_trial(self, trial, *fit_args, **fit_kwargs) -> dict[str, float]:
        model = self.hypermodel.build(trial.hyperparameters)
        history = self.hypermodel.fit(trial.hyperparameters, model, *fit_args, **fit_kwargs)
        return {OBJECTIVE: float(min(history.history[OBJECTIVE]))}

    def on_trial_begin(self, trial) -> None:
        self._started[trial.trial_id] = time.perf_counter()
        logging.warning("[movierec] tuner: trial %s: %s", trial.trial_id, trial.hyperparameters.values)
        super().on_trial_begin(trial)

    def on_trial_end(self, trial) -> None:
        self.trial_seconds[trial.trial_id] = time.perf_counter() - self._started.pop(trial.trial_id)
        super().on_trial_end(trial)
        best = trial.metrics.get_best_value(OBJECTIVE) if trial.metrics.exists(OBJECTIVE) else None
        logging.warning(
            "[movierec] tuner: trial %s done in %.1f s, %s %s",
            trial.trial_id,
            self.trial_seconds[trial.trial_id],
            OBJECTIVE,
            "-" if best is None else f"{best:.4f}",
        )

    def table(self) -> list[dict[str, Any]]:
        """One row per finished trial, in trial order: its values, best val RMSE, seconds."""
        rows = []
        for trial_id, trial in sorted(self.oracle.trials.items(), key=lambda kv: int(kv[0])):
            if not trial.hyperparameters.values or trial_id not in self.trial_seconds:
                continue
            best = trial.metrics.get_best_value(OBJECTIVE) if trial.metrics.exists(OBJECTIVE) else None
            rows.append(
                {
                    "trial": int(trial_id),
                    **trial.hyperparameters.values,
                    OBJECTIVE: None if best is None else round(float(best), 5),
                    "seconds": round(self.trial_seconds[trial_id], 1),
                }
            )
        return rows


def write_table(rows: list[dict[str, Any]], directory: str) -> tuple[str, str]:
    """The tuning table as CSV and markdown (best trial in bold) in ``directory``."""
    os.makedirs(directory, exist_ok=True)
    columns = list(rows[0]) if rows else ["trial", OBJECTIVE, "seconds"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    csv_path, md_path = os.path.join(directory, TUNING_CSV), os.path.join(directory, TUNING_MD)
    with tf.io.gfile.GFile(csv_path, "w") as f:
        f.write(buffer.getvalue())
    scored = [r for r in rows if r.get(OBJECTIVE) is not None]
    best = min(scored, key=lambda r: r[OBJECTIVE])["trial"] if scored else None
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = ["" if row[c] is None else str(row[c]) for c in columns]
        if row["trial"] == best:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    with tf.io.gfile.GFile(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return csv_path, md_path


def validation_slices(arrays: dict[str, np.ndarray], every: int) -> tuple[dict, dict]:
    """(train part, validation part) of the train split: every ``every``-th example held out."""
    held = np.arange(len(arrays[F.USER_RATING])) % every == every - 1
    return {k: v[~held] for k, v in arrays.items()}, {k: v[held] for k, v in arrays.items()}


def tuner_fn(fn_args: FnArgs) -> TunerFnResult:
    """TFX's Tuner entry point: the tuner and what ``search`` is called with."""
    base = ModelConfig.from_dict(dict(fn_args.custom_config[MODEL_CONFIG_KEY]))
    if base.kind != "ranking" or base.is_listwise:
        raise ValueError(f"the tuner searches the pointwise ranking model, not {base.name!r}")
    tuning = TuningConfig(**fn_args.custom_config.get(TUNING_CONFIG_KEY, {}))
    tft_output = tft.TFTransformOutput(fn_args.transform_graph_path or fn_args.transform_output)
    train, validation = validation_slices(load_split(fn_args.train_files, tft_output), tuning.validation_every)
    hypermodel = RatingHyperModel(
        base, vocab_sizes(tft_output), float(train[F.USER_RATING].mean()), len(train[F.USER_RATING])
    )
    tuner = BudgetedRandomSearch(
        hypermodel, tuning, seed=base.seed, directory=fn_args.working_dir, project_name="movierec", overwrite=True
    )
    return TunerFnResult(
        tuner=tuner,
        fit_kwargs={
            "x": in_memory_dataset(train, base.batch_size, seed=base.seed, repeat=True),
            "validation_data": in_memory_dataset(validation, 8192, shuffle=False),
            "verbose": 0,
        },
    )
