"""The tables a run ends with, read from a hand-built ML Metadata store (no pipeline run)."""

from __future__ import annotations

import json

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from pipeline import run_summary
from pipeline.config import PipelineConfig
from trainer.config import ModelConfig


def _store(path: str) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


def _put(store, type_name: str, uri: str, **properties) -> None:
    type_id = store.put_artifact_type(metadata_store_pb2.ArtifactType(name=type_name))
    artifact = metadata_store_pb2.Artifact(type_id=type_id, uri=uri, state=metadata_store_pb2.Artifact.LIVE)
    for key, value in properties.items():
        if isinstance(value, int):
            artifact.custom_properties[key].int_value = value
        else:
            artifact.custom_properties[key].string_value = value
    store.put_artifacts([artifact])


def test_models_table_shows_metrics_verdicts_and_destinations(tmp_path):
    config = PipelineConfig(work_dir=str(tmp_path), models=(ModelConfig(kind="retrieval"), ModelConfig(kind="ranking")))
    store = _store(config.metadata_path)
    evaluation = tmp_path / "root" / "RetrievalEvaluator" / "evaluation" / "7"
    evaluation.mkdir(parents=True)
    (evaluation / "metrics.json").write_text(json.dumps({"top_k_accuracy@100": 0.5687, "filtered_precision@10": 0.38}))
    _put(store, "ModelEvaluation", str(evaluation))
    _put(store, "ModelBlessing", str(tmp_path / "root" / "RetrievalEvaluator" / "blessing" / "7"), blessed=1)
    _put(store, "PushedModel", str(tmp_path / "root" / "RetrievalPusher" / "pushed_model" / "9"), pushed=1,
         pushed_destination="/srv/retrieval/123")  # fmt: skip
    message = "not blessed: RMSE 1.3000 is above 1.2"
    _put(store, "ModelBlessing", str(tmp_path / "root" / "RankingEvaluator" / "blessing" / "8"), blessed=0,
         blessing_message=message)  # fmt: skip

    assert run_summary.model_metrics(config.metadata_path, "retrieval")["top_k_accuracy@100"] == 0.5687
    assert run_summary.model_metrics(config.metadata_path, "ranking") == {}  # no evaluation of it
    table = run_summary.models_table(config).splitlines()
    retrieval = next(line for line in table if line.startswith("retrieval"))
    ranking = next(line for line in table if line.startswith("ranking"))
    assert "top-100 0.5687" in retrieval and "per-user p@10 0.3800" in retrieval
    assert "blessed" in retrieval and "/srv/retrieval/123" in retrieval
    assert message in ranking and "(not pushed)" in ranking


def test_models_table_without_models_or_runs(tmp_path):
    assert run_summary.models_table(PipelineConfig(work_dir=str(tmp_path), models=())) == "(no models configured)"
    table = run_summary.models_table(PipelineConfig(work_dir=str(tmp_path), models=(ModelConfig(kind="ranking"),)))
    assert "not evaluated" in table and "(not pushed)" in table
