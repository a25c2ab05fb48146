"""`movierec run --tune`: TFX's Tuner searches, the ranking Trainer trains with its best values."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from cli.main import main
from movielens.synthetic import SyntheticSpec, generate
from pipeline import outputs
from pipeline.pipeline_ids import trainer_id, tuner_id
from trainer.config import HISTORY_FILE, TUNING_CSV, TUNING_MD

pytestmark = pytest.mark.e2e


def test_tune_feeds_the_best_hyperparameters_to_the_trainer(tmp_path):
    generate(tmp_path / "data", SyntheticSpec(users=200, movies=100, ratings=6_000, seed=5))
    work = tmp_path / "work"
    argv = ["run", "--data-dir", str(tmp_path / "data"), "--work-dir", str(work), "--models", "ranking"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*argv, "--model-sizes", "sample", "--tune", "--tune-trials", "2"]) == 0
    md = str(work / "metadata.sqlite")
    best = outputs.latest_artifact(md, "HyperParameters", tuner_id("ranking"))
    values = json.loads(Path(best.uri, "best_hyperparameters.txt").read_text())["values"]
    assert {"embedding_dim", "learning_rate", "epochs", "dropout"} <= set(values)

    run = outputs.latest_artifact(md, "ModelRun", trainer_id("ranking"))
    history = json.loads(Path(run.uri, HISTORY_FILE).read_text())
    assert history["tuned_hyperparameters"] == values  # the Trainer trained with the Tuner's best
    assert history["config"]["embedding_dim"] == values["embedding_dim"]
    assert len(history["epoch_seconds"]) == values["epochs"]

    results = outputs.latest_artifact(md, "TunerResults", tuner_id("ranking"))
    table = Path(results.uri, TUNING_MD).read_text().splitlines()
    assert len(table) == 2 + 2 and sum("**" in line for line in table) == 1  # 2 trials, the best in bold
    assert Path(results.uri, TUNING_CSV).read_text().startswith("trial,")
    assert (work / "views" / TUNING_MD).exists()
    assert "tuning table (markdown)" in printed.getvalue()
