"""The data half of the pipeline end to end under LocalDagRunner, through the CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2, statistics_pb2

from cli.main import main
from movielens.synthetic import SyntheticSpec, generate
from pipeline import outputs
from pipeline.config import PipelineConfig
from pipeline.pipeline_ids import EXAMPLE_GEN, EXPLORATION_REPORT, REPORT_TYPE, SCHEMA_GEN, STATISTICS_GEN
from transform import features as F

pytestmark = pytest.mark.e2e
SPEC = SyntheticSpec(users=80, movies=60, ratings=2000, seed=5)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("e2e") / "data"
    generate(path, SPEC)
    return path


def _num_examples(stats_uri: str, split: str) -> int:
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    stats.ParseFromString(Path(stats_uri, f"Split-{split}", "FeatureStats.pb").read_bytes())
    return stats.datasets[0].num_examples


def test_clean_data_runs_through_validation(data, tmp_path, capsys):
    work = tmp_path / "work"
    assert main(["run", "--data-dir", str(data), "--work-dir", str(work), "--models", "none"]) == 0
    out = capsys.readouterr()
    for component in (
        "MovieLensExampleGen",
        "StatisticsGen",
        "SchemaGen",
        "ImportSchemaGen",
        "ExampleValidator",
        "AnomalyGate",
        "ExplorationReport",
    ):
        assert f"✔ {component} finished" in out.err
    assert "examples (tf.Example, train/eval)" in out.out and "statistics view (HTML)" in out.out
    assert "exploration report (HTML)" in out.out

    # the exploration report: an artifact in ML Metadata, built from the examples of this run
    md = str(work / "metadata.sqlite")
    report = outputs.latest_artifact(md, REPORT_TYPE, EXPLORATION_REPORT)
    assert report.properties["ratings"] == 2000 and report.properties["figures"] > 10
    page = Path(report.uri, "report.html").read_text()
    assert page.count('data-section="') == 11 and "2,000 ratings" in page
    for view in ("statistics.html", "anomalies.html"):  # written beside it and linked from it
        assert Path(report.uri, view).exists() and f'href="{view}"' in page
    assert (work / "views" / "report" / "report.html").read_text() == page

    examples = outputs.latest_artifact(md, "Examples", EXAMPLE_GEN)
    assert examples.properties["train_examples"] == 1600 and examples.properties["eval_examples"] == 400
    stats = outputs.latest_artifact(md, "ExampleStatistics", STATISTICS_GEN)
    assert (_num_examples(stats.uri, "train"), _num_examples(stats.uri, "eval")) == (1600, 400)

    inferred = text_format.Parse(
        Path(outputs.latest_artifact(md, "Schema", SCHEMA_GEN).uri, "schema.pbtxt").read_text(),
        schema_pb2.Schema(),
    )
    assert {f.name for f in inferred.feature} == set(F.ALL_FEATURES)
    types = {f.name: schema_pb2.FeatureType.Name(f.type) for f in inferred.feature}
    assert types[F.USER_RATING] == "FLOAT" and types[F.MOVIE_GENRES] == "INT" and types[F.USER_ID] == "BYTES"

    assert main(["anomalies", "--work-dir", str(work)]) == 0
    assert "no anomalies" in capsys.readouterr().out
    views = work / "views"
    assert "No anomalies" in (views / "anomalies.html").read_text()
    statistics_html = (views / "statistics.html").read_text()
    assert "Split train: 1,600 examples" in statistics_html and F.USER_RATING in statistics_html

    frozen = tmp_path / "inferred.pbtxt"
    assert main(["schema", "freeze", "--work-dir", str(work), "--output", str(frozen)]) == 0
    assert "user_rating" in frozen.read_text()
    assert main(["schema", "freeze", "--work-dir", str(work), "--output", str(frozen)]) == 2  # no overwrite

    # A second run on unchanged data reuses every cached output.
    assert main(["run", "--data-dir", str(data), "--work-dir", str(work), "--models", "none"]) == 0
    err = capsys.readouterr().err
    assert err.count("(cached)") >= 5, err
    assert outputs.latest_artifact(md, "Examples", EXAMPLE_GEN).id == examples.id


def test_corrupted_ratings_stop_the_pipeline_with_a_named_anomaly(data, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    lines = (bad / "ratings.dat").read_text().splitlines()
    for i in range(0, len(lines), 10):  # every tenth rating becomes 7 stars
        user, movie, _, ts = lines[i].split("::")
        lines[i] = f"{user}::{movie}::7::{ts}"
    (bad / "ratings.dat").write_text("\n".join(lines) + "\n")
    os.utime(bad / "ratings.dat")

    work = tmp_path / "work"
    assert main(["run", "--data-dir", str(bad), "--work-dir", str(work), "--models", "none"]) == 1
    err = capsys.readouterr().err
    assert "AnomalyGate failed" in err
    assert "user_rating" in err and "anomal" in err

    assert main(["anomalies", "--work-dir", str(work)]) == 1
    table = capsys.readouterr().out
    assert "user_rating" in table and "train" in table and "eval" in table
    assert "user_rating" in (work / "views" / "anomalies.html").read_text()
    config = PipelineConfig(work_dir=str(work))
    assert outputs.latest_artifact(config.metadata_path, "Examples", EXAMPLE_GEN) is not None

    # The same data passes with --no-halt-on-anomalies (anomalies still recorded).
    assert (
        main(["run", "--data-dir", str(bad), "--work-dir", str(work), "--no-halt-on-anomalies", "--models", "none"])
        == 0
    )
    capsys.readouterr()
    assert main(["anomalies", "--work-dir", str(work)]) == 1
