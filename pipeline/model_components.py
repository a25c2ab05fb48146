"""Per-model components: Trainer -> (TFMA | top-K) Evaluator with a blessed-model baseline -> Pusher."""

from __future__ import annotations

import json
import os

import tensorflow_model_analysis as tfma
from google.protobuf import wrappers_pb2
from tfx import v1 as tfx
from tfx.types import standard_artifacts

from components.movie_trainer.component import MovieTrainer
from components.movie_tuner.component import MovieTuner
from components.topk_evaluator.component import TopKEvaluator
from pipeline.baseline import LatestBlessedOtherModelStrategy
from pipeline.config import PipelineConfig, Thresholds
from pipeline.pipeline_ids import evaluator_id, pusher_id, resolver_id, trainer_id, tuner_id
from serving import contract as C
from trainer.config import MODEL_CONFIG_KEY, TUNING_CONFIG_KEY, ModelConfig
from transform import features as F

RUN_FN = "trainer.run.run_fn"
TUNER_FN = "trainer.tuning.tuner_fn"
TFMA_EXTRACTORS = "components.tfma_extractors"


def _rating_eval_config(metrics_specs: list[tfma.MetricsSpec]) -> tfma.EvalConfig:
    """TFMA on the rankers' tf_example signature (label: the stars), the overall slice only."""
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(signature_name=C.TF_EXAMPLE, label_key=F.USER_RATING, prediction_key=C.PREDICTED_RATING)
        ],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=metrics_specs,
        options=tfma.Options(include_default_metrics=wrappers_pb2.BoolValue(value=False)),
    )


def ranking_eval_config(thresholds: Thresholds) -> tfma.EvalConfig:
    """TFMA on the tf_example signature: MSE (gated), MAE, example count. RMSE = sqrt(MSE)."""
    mse_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(upper_bound={"value": thresholds.max_rmse**2}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.LOWER_IS_BETTER,
            # MSE may grow by what an RMSE growth of max_rmse_increase means near the upper bound.
            absolute={"value": (thresholds.max_rmse + thresholds.max_rmse_increase) ** 2 - thresholds.max_rmse**2},
        ),
    )
    return _rating_eval_config(
        [
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(class_name="MeanSquaredError", threshold=mse_threshold),
                    tfma.MetricConfig(class_name="MeanAbsoluteError"),
                    tfma.MetricConfig(class_name="ExampleCount"),
                ]
            )
        ]
    )


def listwise_eval_config(thresholds: Thresholds) -> tfma.EvalConfig:
    """TFMA on the tf_example signature: NDCG@5/@10 over each user's eval movies (the query: the
    user id; the gain: the stars), both gated. The score is a ranking score: no RMSE."""
    ndcg_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": thresholds.min_ndcg}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -thresholds.max_ndcg_drop}
        ),
    )
    return _rating_eval_config(
        [
            tfma.MetricsSpec(
                query_key=F.USER_ID,
                binarize=tfma.BinarizationOptions(top_k_list={"values": [5, 10]}),
                metrics=[
                    tfma.MetricConfig(
                        class_name="NDCG",
                        config=json.dumps({"gain_key": F.USER_RATING})[1:-1],
                        threshold=ndcg_threshold,
                    ),
                    tfma.MetricConfig(class_name="QueryStatistics"),
                ],
            )
        ]
    )


def tuner_component(config: PipelineConfig, model: ModelConfig, examples, transform) -> MovieTuner:
    """TFX's Tuner for ``model`` (trainer/tuning.py): on a validation slice of the train split."""
    assert config.tuning is not None
    return MovieTuner(
        examples=examples,
        transform_graph=transform.outputs["transform_graph"],
        tuner_fn=TUNER_FN,
        train_args=tfx.proto.TrainArgs(splits=["train"]),
        eval_args=tfx.proto.EvalArgs(splits=["train"]),  # the validation slice is carved from train
        custom_config={MODEL_CONFIG_KEY: model.to_dict(), TUNING_CONFIG_KEY: config.tuning.to_dict()},
    ).with_id(tuner_id(model.name))


def model_components(
    config: PipelineConfig, model: ModelConfig, examples, transform, catalogue, hyperparameters=None
) -> list:
    """Trainer -> baseline resolver -> Evaluator -> Pusher; ``hyperparameters``: a Tuner's best."""
    kind = model.name  # the component ids' and the serving folder's name
    trainer = MovieTrainer(
        examples=examples,  # raw: run_fn applies the transform graph
        transform_graph=transform.outputs["transform_graph"],
        catalogue=catalogue,
        run_fn=RUN_FN,
        custom_config={MODEL_CONFIG_KEY: model.to_dict()},
        hyperparameters=hyperparameters,
    ).with_id(trainer_id(kind))
    blessings = tfx.dsl.Channel(
        type=standard_artifacts.ModelBlessing, producer_component_id=evaluator_id(kind), output_key="blessing"
    )
    if config.baseline_excludes_candidate:  # a rerun on unchanged data resolves the same (no) baseline
        strategy = LatestBlessedOtherModelStrategy
        channels = {"model": trainer.outputs["model"], "model_blessing": blessings}
    else:
        strategy = tfx.dsl.experimental.LatestBlessedModelStrategy
        every_model = tfx.dsl.Channel(
            type=standard_artifacts.Model, producer_component_id=trainer_id(kind), output_key="model"
        )
        channels = {"model": every_model, "model_blessing": blessings}
    resolver = tfx.dsl.Resolver(strategy_class=strategy, **channels).with_id(resolver_id(kind))
    baseline = resolver.outputs["model"]
    if model.has_retrieval:
        evaluator = TopKEvaluator(
            examples=examples,
            model=trainer.outputs["model"],
            baseline_model=baseline,
            min_lift_over_popularity=config.thresholds.min_lift_over_popularity,
            max_drop_from_baseline=config.thresholds.max_accuracy_drop,
            max_rmse=config.thresholds.max_rmse if model.has_rating else None,
        ).with_id(evaluator_id(kind))
    else:
        evaluator = tfx.components.Evaluator(
            examples=examples,
            model=trainer.outputs["model"],
            baseline_model=baseline,
            eval_config=(listwise_eval_config if model.is_listwise else ranking_eval_config)(config.thresholds),
            example_splits=["eval"],
            module_path=TFMA_EXTRACTORS,  # TFMA's extractors, features dropped before unbatching
        ).with_id(evaluator_id(kind))
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=os.path.join(os.path.abspath(config.serving_dir), kind)
            )
        ),
    ).with_id(pusher_id(kind))
    return [trainer, resolver, evaluator, pusher]
