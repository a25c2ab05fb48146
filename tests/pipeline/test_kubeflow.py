"""The same pipeline definition compiles to a Kubeflow Pipelines v2 spec."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from pipeline import pipeline_ids as ids
from pipeline.kubeflow_runner import DATA_DIR_PARAMETER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    assert (
        main(
            [
                "compile",
                "--target",
                "kubeflow",
                "--output",
                str(out),
                "--image",
                "registry.example/movierec:1",
                "--pipeline-root",
                "gs://bucket/movierec",
                "--data-dir",
                "gs://bucket/ml-1m",
            ]
        )
        == 0
    )
    return json.loads(out.read_text())


def test_every_component_is_a_task(spec):
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]
    expected = {
        ids.EXAMPLE_GEN,
        ids.STATISTICS_GEN,
        ids.SCHEMA_GEN,
        ids.IMPORT_SCHEMA_GEN,
        ids.EXAMPLE_VALIDATOR,
        ids.ANOMALY_GATE,
        ids.TRANSFORM,
    }
    for kind in ("retrieval", "ranking", "multitask"):
        expected |= {ids.trainer_id(kind), ids.evaluator_id(kind), ids.pusher_id(kind)}
    assert expected <= set(tasks)


def test_dependencies_follow_the_data(spec):
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]

    def deps(name: str) -> set[str]:
        return set(tasks[name].get("dependentTasks", []))

    assert deps(ids.STATISTICS_GEN) == {ids.EXAMPLE_GEN}
    assert {ids.STATISTICS_GEN, ids.IMPORT_SCHEMA_GEN} <= deps(ids.EXAMPLE_VALIDATOR)
    # Transform only analyses: it runs beside validation; nothing trains before the gate has passed
    assert ids.EXAMPLE_GEN in deps(ids.TRANSFORM) and ids.ANOMALY_GATE not in deps(ids.TRANSFORM)
    for kind in ("retrieval", "ranking", "multitask"):
        assert {ids.TRANSFORM, ids.EXAMPLE_GEN, ids.ANOMALY_GATE} <= deps(ids.trainer_id(kind))
    assert ids.trainer_id("ranking") in deps(ids.evaluator_id("ranking"))
    assert {ids.trainer_id("retrieval"), ids.evaluator_id("retrieval")} <= deps(ids.pusher_id("retrieval"))


def test_image_runtime_parameter_and_root(spec):
    executors = spec["pipelineSpec"]["deploymentSpec"]["executors"]
    images = {e["container"]["image"] for e in executors.values() if "container" in e}
    assert images == {"registry.example/movierec:1"}
    parameters = spec["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]
    assert parameters[DATA_DIR_PARAMETER]["type"] == "STRING"
    assert spec["runtimeConfig"]["gcsOutputDirectory"] == "gs://bucket/movierec/pipeline_root"
    text = json.dumps(spec)
    assert "/pipeline/schema/schema.pbtxt" in text  # the curated schema, as the image holds it
    assert "trainer.run.run_fn" in text and "transform.preprocessing.preprocessing_fn" in text
