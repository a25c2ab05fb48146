"""TopKEvaluator component: Examples + Model (+ baseline Model) -> ModelEvaluation + ModelBlessing."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.thresholds import Thresholds
from components.topk_evaluator import executor
from components.topk_evaluator.metrics import KS


class TopKEvaluatorSpec(ComponentSpec):
    PARAMETERS = {
        "ks": ExecutionParameter(type=str),
        "min_lift_over_popularity": ExecutionParameter(type=float),
        "max_drop_from_baseline": ExecutionParameter(type=float),
        "max_rmse": ExecutionParameter(type=float, optional=True),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "model": ChannelParameter(type=standard_artifacts.Model),
        "baseline_model": ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        "evaluation": ChannelParameter(type=standard_artifacts.ModelEvaluation),
        "blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
    }


class TopKEvaluator(base_component.BaseComponent):
    """Full-catalogue top-K accuracy and recall@K on the eval split, with a blessing.

    Blessed when top-max(K) accuracy beats the popularity baseline (most-rated train movies) by
    ``min_lift_over_popularity`` and is at most ``max_drop_from_baseline`` below the latest
    blessed model's; with ``max_rmse`` (multitask) the rating head's RMSE must stay below it.
    """

    SPEC_CLASS = TopKEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        examples: types.BaseChannel,
        model: types.BaseChannel,
        baseline_model: types.BaseChannel | None = None,
        ks: Sequence[int] = KS,
        min_lift_over_popularity: float = Thresholds().min_lift_over_popularity,
        max_drop_from_baseline: float = Thresholds().max_accuracy_drop,
        max_rmse: float | None = None,
    ) -> None:
        super().__init__(
            spec=TopKEvaluatorSpec(
                examples=examples,
                model=model,
                baseline_model=baseline_model,
                ks=json.dumps(list(ks)),
                min_lift_over_popularity=min_lift_over_popularity,
                max_drop_from_baseline=max_drop_from_baseline,
                max_rmse=max_rmse,
                evaluation=types.Channel(type=standard_artifacts.ModelEvaluation),
                blessing=types.Channel(type=standard_artifacts.ModelBlessing),
            )
        )
