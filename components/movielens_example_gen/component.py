"""The MovieLens ExampleGen component: data set files in, Examples + MovieCatalogue out."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.artifacts import MovieCatalogue
from components.movielens_example_gen import executor
from movielens.config import DataConfig

_DEFAULTS = DataConfig()


class MovieLensExampleGenSpec(ComponentSpec):
    PARAMETERS = {
        "data_dir": ExecutionParameter(type=str),
        "enrichment_dir": ExecutionParameter(type=str, optional=True),
        "split": ExecutionParameter(type=str),
        "eval_fraction": ExecutionParameter(type=float),
        "seed": ExecutionParameter(type=int),
        "on_bad_line": ExecutionParameter(type=str),
        "history_length": ExecutionParameter(type=int, optional=True),
        # Changes when the input files change, so that a cached run is not reused on new data.
        "input_fingerprint": ExecutionParameter(type=str, optional=True),
    }
    INPUTS: dict = {}
    OUTPUTS = {
        executor.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        executor.CATALOGUE_KEY: ChannelParameter(type=MovieCatalogue),
    }


class MovieLensExampleGen(base_beam_component.BaseBeamComponent):
    """Reads ml-1m / ml-100k (+ TMDB or extra-info enrichment) and splits it train/eval.

    Outputs ``examples`` (tf.Example TFRecords, splits ``train`` and ``eval``, feature names from
    :mod:`transform.features`) and ``catalogue`` (every movie once).
    """

    SPEC_CLASS = MovieLensExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(
        self,
        data_dir: str,
        enrichment_dir: str | None = None,
        split: str = _DEFAULTS.split,
        eval_fraction: float = _DEFAULTS.eval_fraction,
        seed: int = _DEFAULTS.seed,
        on_bad_line: str = _DEFAULTS.on_bad_line,
        history_length: int = _DEFAULTS.history_length,
        input_fingerprint: str | None = None,
    ) -> None:
        spec = MovieLensExampleGenSpec(
            data_dir=data_dir,
            enrichment_dir=enrichment_dir,
            split=split,
            eval_fraction=eval_fraction,
            seed=seed,
            on_bad_line=on_bad_line,
            history_length=history_length,
            input_fingerprint=input_fingerprint,
            examples=types.Channel(type=standard_artifacts.Examples),
            catalogue=types.Channel(type=MovieCatalogue),
        )
        super().__init__(spec=spec)
