"""ML Metadata on MySQL: a real MariaDB, the pipeline's runs and its readers (views, lineage) on it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from movielens.synthetic import SyntheticSpec, generate
from pipeline import metadata_store, outputs
from pipeline.pipeline_ids import EXAMPLE_GEN
from tests.mariadb_server import PASSWORD, MariaDB

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    server = MariaDB(tmp_path_factory.mktemp("mariadb")).start()
    yield server
    server.stop()


def movierec(*args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    env = {**os.environ, metadata_store.PASSWORD_ENV: password}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_runs_their_cached_rerun_and_lineage_on_mariadb(mariadb, tmp_path):
    data, work = tmp_path / "data", tmp_path / "work"
    generate(data, SyntheticSpec(users=60, movies=50, ratings=1500, seed=3))
    uri = mariadb.uri("movierec_e2e")
    run = ["run", "--data-dir", str(data), "--work-dir", str(work), "--metadata", uri, "--models", "ranking"]

    first = movierec(*run)
    assert first.returncode == 0, first.stdout + first.stderr
    assert not (work / "metadata.sqlite").exists()  # everything went to MariaDB
    os.environ[metadata_store.PASSWORD_ENV] = PASSWORD
    try:
        examples = outputs.latest_artifact(uri, "Examples", EXAMPLE_GEN)
    finally:
        del os.environ[metadata_store.PASSWORD_ENV]
    assert examples is not None and examples.properties["train_examples"] == 1200

    again = movierec(*run)  # a rerun on unchanged data and code: served from the cache
    assert again.returncode == 0, again.stdout + again.stderr
    for component in ("MovieLensExampleGen", "StatisticsGen", "Transform", "RankingTrainer", "RankingEvaluator"):
        assert re.search(rf"✔ {component} finished in .* \(cached\)", again.stderr), again.stderr

    lineage = movierec("lineage", "--work-dir", str(work), "--metadata", uri, "--model", "ranking", "--json")
    assert lineage.returncode == 0, lineage.stderr
    doc = json.loads(lineage.stdout)
    nodes = [s["node"] for s in doc["steps"]]
    for node in ("MovieLensExampleGen", "StatisticsGen", "ExampleValidator", "Transform", "RankingTrainer",
                 "RankingEvaluator", "RankingPusher"):  # fmt: skip
        assert node in nodes, nodes
    gen = doc["steps"][nodes.index("MovieLensExampleGen")]
    assert gen["properties"]["data_dir"] == str(data) and gen["properties"]["split"] == "random"
    trainer = doc["steps"][nodes.index("RankingTrainer")]
    assert trainer["properties"]["custom_config"]["model"]["kind"] == "ranking"
    assert str(doc["pushed"]["properties"]["pushed_version"]) in os.listdir(work / "serving" / "ranking")

    wrong = movierec(*run[:-2], "--models", "none", password="wrong")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert f"cannot connect to ML Metadata at MySQL movierec@127.0.0.1:{mariadb.port}/movierec_e2e" in wrong.stderr


def test_metadata_uris_are_checked():
    target = metadata_store.parse_mysql("mysql://ml@db.example:3307/movierec")
    assert (target.user, target.host, target.port, target.database) == ("ml", "db.example", 3307, "movierec")
    assert metadata_store.parse_mysql("mysql://ml@db/m").port == 3306
    for bad, words in (
        ("mysql://ml:secret@db/m", "MOVIEREC_MYSQL_PASSWORD"),
        ("mysql://db/m", "no USER"),
        ("mysql://ml@db", "no DATABASE"),
        ("mysql://ml@db:x/m", "port is not a number"),
        ("postgres://ml@db/m", "expected mysql://"),
    ):
        with pytest.raises(ValueError, match=words):
            metadata_store.parse_mysql(bad)
