"""The whole pipeline as `movierec run` runs it: models trained, gated and pushed for TF Serving."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import tensorflow as tf

from cli.main import main
from movielens.synthetic import SyntheticSpec, generate
from pipeline import local_runner, outputs, run_summary
from pipeline.config import DataConfig, PipelineConfig
from pipeline.pipeline_ids import evaluator_id, pusher_id, trainer_id
from serving import contract as C
from trainer.config import ModelConfig

pytestmark = pytest.mark.e2e
SPEC = SyntheticSpec(users=300, movies=150, ratings=12_000, seed=21)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    generate(root / "data", SPEC)
    work = root / "work"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(
            [
                "run",
                "--data-dir",
                str(root / "data"),
                "--work-dir",
                str(work),
                "--models",
                "retrieval,ranking,dcn,listwise",
                "--model-sizes",
                "sample",
            ]
        )
    return root, work, code, printed.getvalue()


def _versions(work: Path, kind: str) -> list[Path]:
    return sorted(p for p in (work / "serving" / kind).glob("*") if (p / "saved_model.pb").exists())


def test_models_are_blessed_and_pushed_in_tf_serving_layout(run):
    _, work, code, printed = run
    assert code == 0
    table = printed[printed.index("model ") :]  # the models table ends the run
    for kind in ("retrieval", "ranking", "dcn", "listwise"):
        row = next(line for line in table.splitlines() if line.startswith(kind))
        assert "blessed" in row and str(work / "serving" / kind) in row
    assert "top-100" in table and "RMSE" in table
    listwise = next(line for line in table.splitlines() if line.startswith("listwise"))
    assert "NDCG@10" in listwise and "RMSE" not in listwise  # a ranking score, gated on NDCG
    for kind in ("retrieval", "ranking", "dcn", "listwise"):
        versions = _versions(work, kind)
        assert len(versions) == 1 and versions[0].name.isdigit()
        loaded = tf.saved_model.load(str(versions[0]))
        assert C.SERVING_DEFAULT in loaded.signatures and C.TF_EXAMPLE in loaded.signatures
        blessing = outputs.latest_artifact(str(work / "metadata.sqlite"), "ModelBlessing", evaluator_id(kind))
        assert blessing.properties["blessed"] == 1


def test_lineage_of_a_pushed_model_on_sqlite(run, capsys):
    root, work, code, _ = run
    assert code == 0
    version = _versions(work, "retrieval")[0].name
    capsys.readouterr()
    assert main(["lineage", "--work-dir", str(work), "--model", "retrieval", "--version", version]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"retrieval version {version} pushed to {work / 'serving' / 'retrieval' / version}")
    order = [text.index(f"\n{node}  (execution") for node in ("MovieLensExampleGen", "Transform", "RetrievalTrainer",
                                                                "RetrievalEvaluator", "RetrievalPusher")]  # fmt: skip
    assert order == sorted(order)
    assert f"data_dir: {root / 'data'}" in text and "ExampleAnomalies" in text and "blessed=1" in text
    assert main(["lineage", "--work-dir", str(work), "--model", "retrieval", "--version", "1"]) == 1
    assert f"pushed versions: {version}" in capsys.readouterr().err


def test_retrieval_beats_the_popularity_baseline_on_planted_data(run):
    _, work, _, _ = run
    evaluation = outputs.latest_artifact(str(work / "metadata.sqlite"), "ModelEvaluation", evaluator_id("retrieval"))
    metrics = json.loads(Path(evaluation.uri, "metrics.json").read_text())
    assert metrics["top_k_accuracy@100"] > metrics["popularity_accuracy@100"]
    assert metrics["top_k_accuracy@10"] > metrics["popularity_accuracy@10"]
    assert set(metrics) >= {f"recall@{k}" for k in (1, 5, 10, 50, 100)}
    # the per-user view: one query per eval user, their train movies as history, excluded
    assert 250 < metrics["users"] <= 300  # eval users
    assert metrics["filtered_precision@10"] > metrics["popularity_filtered_precision@10"]
    assert metrics["filtered_ndcg@10"] > metrics["popularity_filtered_ndcg@10"]
    assert 0 < metrics["coverage@10"] <= 1


def test_dcn_writes_its_feature_importance_picture_into_the_views(run):
    _, work, _, printed = run
    picture = work / "views" / "feature_importance.png"
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert (work / "views" / "feature_importance.csv").read_text().startswith("feature,user id,")
    assert "DCN-v2 feature importance (PNG)" in printed and str(picture) in printed  # the outputs table
    report = (work / "views" / "report" / "report.html").read_text()
    assert 'href="../feature_importance.png"' in report
    run_dir = outputs.latest_artifact(str(work / "metadata.sqlite"), "ModelRun", trainer_id("dcn")).uri
    history = json.loads(Path(run_dir, "history.json").read_text())
    assert history["config"]["architecture"] == "dcn" and len(history["feature_importance"]["matrix"]) == 13


def test_a_rerun_on_unchanged_data_is_cached_and_pushes_nothing(run):
    root, work, _, _ = run
    models = "retrieval,ranking,dcn,listwise"
    argv = ["run", "--data-dir", str(root / "data"), "--work-dir", str(work), "--models", models]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        assert main([*argv, "--model-sizes", "sample"]) == 0
    text = printed.getvalue()
    for kind in ("retrieval", "ranking", "dcn", "listwise"):
        for component in (trainer_id(kind), evaluator_id(kind), pusher_id(kind)):
            line = next(x for x in text.splitlines() if f"✔ {component} finished" in x)
            assert line.endswith("(cached)"), line
        assert len(_versions(work, kind)) == 1  # the same model is not pushed again


def test_a_deliberately_bad_model_is_not_blessed_or_pushed(run):
    root, work, _, _ = run
    bad = (
        ModelConfig(kind="retrieval", epochs=1, learning_rate=0.0, optimizer="adam"),
        ModelConfig(kind="ranking", epochs=1, learning_rate=0.0, optimizer="adam"),
    )
    config = PipelineConfig(work_dir=str(work), data=DataConfig(data_dir=str(root / "data")), models=bad)
    local_runner.run(config, stream=io.StringIO())
    md = str(work / "metadata.sqlite")
    for kind in ("retrieval", "ranking"):
        assert outputs.latest_artifact(md, "ModelBlessing", evaluator_id(kind)).properties["blessed"] == 0
        assert outputs.latest_artifact(md, "PushedModel", pusher_id(kind)).properties.get("pushed", 0) == 0
        assert len(_versions(work, kind)) == 1  # still only the good version
    message = outputs.latest_artifact(md, "ModelBlessing", evaluator_id("retrieval")).properties["blessing_message"]
    assert "does not beat popularity" in message or "below the blessed model" in message
    # evaluated beside a blessed baseline: the table shows the candidate's own RMSE, not its diff
    assert run_summary.model_metrics(md, "ranking")["rmse"] > 1.0
