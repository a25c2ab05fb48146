"""MovieTuner: TFX's Tuner component whose executor also writes the tuning table.

TFX's Tuner executor searches (``tuner_fn``) and writes ``best_hyperparameters`` and
``tuner_results``; this one then writes the run's tuning table (trial, hyperparameters, best
validation RMSE, seconds; trainer/tuning.py) as CSV and markdown into the ``tuner_results``
artifact, beside TFX's own JSON.
"""

from __future__ import annotations

from typing import Any

from absl import logging
from tfx import types
from tfx.components.tuner import component as tuner_component
from tfx.components.tuner import executor as tuner_executor
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils
from tfx.types.standard_component_specs import TUNER_RESULTS_KEY


class Executor(tuner_executor.Executor):
    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        from trainer.tuning import write_table

        tuner = tuner_executor.search(input_dict, exec_properties, self._get_tmp_dir(), print_tuning_summary=False)
        tuner_executor.write_best_hyperparameters(tuner, output_dict)
        paths = write_table(tuner.table(), artifact_utils.get_single_uri(output_dict[TUNER_RESULTS_KEY]))
        logging.warning("[movierec] tuner: tuning table in %s", paths[1])


class MovieTuner(tuner_component.Tuner):
    """TFX's Tuner (``tuner_fn``, KerasTuner) plus the tuning table in its ``tuner_results``."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)
