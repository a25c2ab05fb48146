"""TFX's Trainer (GenericExecutor, run_fn) plus a ``catalogue`` input.

The catalogue reaches ``run_fn`` as ``custom_config['catalogue_uri']``, filled in by the executor
from the resolved input artifact, so the pipeline passes an artifact, not a path.
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.components.trainer import executor as trainer_executor
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import trainer_pb2
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter
from tfx.types.standard_component_specs import TrainerSpec
from tfx.utils import json_utils

from components.artifacts import MovieCatalogue
from trainer.config import CATALOGUE_URI_KEY

CATALOGUE_KEY = "catalogue"


class MovieTrainerSpec(TrainerSpec):
    INPUTS = {**TrainerSpec.INPUTS, CATALOGUE_KEY: ChannelParameter(type=MovieCatalogue)}


class Executor(trainer_executor.GenericExecutor):
    def _GetFnArgs(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ):
        fn_args = super()._GetFnArgs(input_dict, output_dict, exec_properties)
        config = dict(fn_args.custom_config or {})
        config[CATALOGUE_URI_KEY] = artifact_utils.get_single_uri(input_dict[CATALOGUE_KEY])
        fn_args.custom_config = config
        return fn_args


class MovieTrainer(base_component.BaseComponent):
    """Trains the model ``run_fn`` builds from ``custom_config['model']``."""

    SPEC_CLASS = MovieTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(
        self,
        examples: types.BaseChannel,
        transform_graph: types.BaseChannel,
        catalogue: types.BaseChannel,
        run_fn: str,
        custom_config: dict[str, Any],
        hyperparameters: types.BaseChannel | None = None,
    ) -> None:
        """``hyperparameters``: a Tuner's ``best_hyperparameters`` (run_fn applies them)."""
        spec = MovieTrainerSpec(
            examples=examples,
            transform_graph=transform_graph,
            catalogue=catalogue,
            hyperparameters=hyperparameters,
            run_fn=run_fn,
            train_args=trainer_pb2.TrainArgs(),
            eval_args=trainer_pb2.EvalArgs(),
            custom_config=json_utils.dumps(custom_config),
            model=types.Channel(type=standard_artifacts.Model),
            model_run=types.Channel(type=standard_artifacts.ModelRun),
        )
        super().__init__(spec=spec)
