"""The Evaluators' baseline resolver: the latest blessed model other than the candidate.

(No ``from __future__ import annotations``: TFX reads the function components' annotations.)

Checked in a real (tiny) LocalDagRunner pipeline on a real ML Metadata store, because TFX hands the
strategy its channels under internal keys, and what it resolves decides what is cached.
"""

from pathlib import Path

from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx
from tfx.components.evaluator import constants
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.orchestration import metadata
from tfx.types import standard_artifacts

from pipeline.baseline import LatestBlessedOtherModelStrategy

_BLESSED = constants.ARTIFACT_PROPERTY_BLESSED_KEY
_CURRENT = constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY
_BASELINE = constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY


@component
def FakeTrainer(model: OutputArtifact[standard_artifacts.Model], data: Parameter[int]) -> None:
    (Path(model.uri) / "data.txt").write_text(str(data))


@component
def FakeEvaluator(
    model: InputArtifact[standard_artifacts.Model],
    blessing: OutputArtifact[standard_artifacts.ModelBlessing],
    bless: Parameter[int] = 1,
    baseline_model: InputArtifact[standard_artifacts.Model] = None,
) -> None:
    """Blesses the model (or not) and records the baseline it was compared with (-1: none), as TFMA does."""
    blessing.set_int_custom_property(_BLESSED, bless)
    blessing.set_int_custom_property(_CURRENT, model.id)
    blessing.set_int_custom_property(_BASELINE, baseline_model.id if baseline_model else -1)


def _pipeline(root: Path, data: int, bless: int = 1) -> tfx.dsl.Pipeline:
    trainer = FakeTrainer(data=data).with_id("Trainer")
    channels = {
        "model": trainer.outputs["model"],
        "model_blessing": tfx.dsl.Channel(
            type=standard_artifacts.ModelBlessing, producer_component_id="Evaluator", output_key="blessing"
        ),
    }
    resolver = tfx.dsl.Resolver(strategy_class=LatestBlessedOtherModelStrategy, **channels).with_id("Resolver")
    evaluator = FakeEvaluator(
        model=trainer.outputs["model"], baseline_model=resolver.outputs["model"], bless=bless
    ).with_id("Evaluator")
    return tfx.dsl.Pipeline(
        pipeline_name="baseline",
        pipeline_root=str(root / "root"),
        components=[trainer, resolver, evaluator],
        enable_cache=True,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(root / "metadata.db")
        ),
    )


def _blessings(root: Path) -> "list[metadata_store_pb2.Artifact]":
    config = tfx.orchestration.metadata.sqlite_metadata_connection_config(str(root / "metadata.db"))
    with metadata.Metadata(config) as store:
        return sorted(store.store.get_artifacts_by_type(standard_artifacts.ModelBlessing.TYPE_NAME), key=lambda a: a.id)


def _models(root: Path) -> "list[metadata_store_pb2.Artifact]":
    config = tfx.orchestration.metadata.sqlite_metadata_connection_config(str(root / "metadata.db"))
    with metadata.Metadata(config) as store:
        return sorted(store.store.get_artifacts_by_type(standard_artifacts.Model.TYPE_NAME), key=lambda a: a.id)


def _ints(artifact: metadata_store_pb2.Artifact, key: str) -> int:
    return artifact.custom_properties[key].int_value


def test_reruns_are_cached_and_new_models_meet_the_previous_one(tmp_path):
    run = tfx.orchestration.LocalDagRunner().run
    run(_pipeline(tmp_path, data=1))  # first model: nothing to compare with
    (first,) = _blessings(tmp_path)
    assert _ints(first, _BASELINE) == -1

    run(_pipeline(tmp_path, data=1))  # unchanged: the Evaluator is cached, no new blessing
    assert len(_blessings(tmp_path)) == 1 and len(_models(tmp_path)) == 1

    run(_pipeline(tmp_path, data=2))  # new model: compared with the blessed first one
    models, blessings = _models(tmp_path), _blessings(tmp_path)
    assert len(models) == 2 and len(blessings) == 2
    assert _ints(blessings[1], _CURRENT) == models[1].id
    assert _ints(blessings[1], _BASELINE) == models[0].id

    run(_pipeline(tmp_path, data=2))  # unchanged again: cached, still two blessings
    assert len(_blessings(tmp_path)) == 2


def test_a_model_not_blessed_is_never_the_baseline(tmp_path):
    run = tfx.orchestration.LocalDagRunner().run
    run(_pipeline(tmp_path, data=1))
    run(_pipeline(tmp_path, data=2, bless=0))  # a bad model: compared with the first, not blessed
    run(_pipeline(tmp_path, data=3))  # compared with the first again
    models, blessings = _models(tmp_path), _blessings(tmp_path)
    assert [_ints(b, _BASELINE) for b in blessings] == [-1, models[0].id, models[0].id]
