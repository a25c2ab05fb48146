"""The Tuner's search (trainer/tuning.py): space, budget, validation slice, table, and its result in run_fn."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests.model_data import fn_args
from trainer.config import ModelConfig, TuningConfig, apply_hyperparameters
from transform import features as F


def test_tuned_values_become_model_settings() -> None:
    base = ModelConfig(kind="ranking")
    tuned = apply_hyperparameters(base, {"embedding_dim": 32, "rating_layers": "256,128,64", "learning_rate": 0.003})
    assert tuned.embedding_dim == 32 and tuned.rating_layers == (256, 128, 64) and tuned.learning_rate == 0.003
    assert tuned.dropout == base.dropout
    with pytest.raises(ValueError, match="not a tunable setting"):
        apply_hyperparameters(base, {"kind": "retrieval"})
    with pytest.raises(ValueError):
        TuningConfig(max_trials=0)


def test_validation_slice_is_held_out_of_the_train_part() -> None:
    from trainer.tuning import validation_slices

    arrays = {F.USER_RATING: np.arange(40, dtype=np.float32), "x": np.arange(40)}
    train, validation = validation_slices(arrays, every=8)
    assert len(validation["x"]) == 5 and len(train["x"]) == 35
    assert not set(train["x"]) & set(validation["x"])


def test_table_marks_the_best_trial(tmp_path) -> None:
    from trainer.tuning import OBJECTIVE, write_table

    rows = [
        {"trial": 0, "dropout": 0.1, OBJECTIVE: 0.95, "seconds": 3.0},
        {"trial": 1, "dropout": 0.3, OBJECTIVE: 0.91, "seconds": 2.5},
    ]
    csv_path, md_path = write_table(rows, str(tmp_path))
    with open(csv_path) as f:
        assert [r["dropout"] for r in csv.DictReader(f)] == ["0.1", "0.3"]
    lines = open(md_path).read().splitlines()
    assert lines[0] == f"| trial | dropout | {OBJECTIVE} | seconds |"
    assert lines[3] == "| **1** | **0.3** | **0.91** | **2.5** |" and "**" not in lines[2]


@pytest.mark.parametrize(("trials", "seconds", "expected"), [(2, 3600.0, 2), (5, 1e-6, 0)])
def test_search_keeps_to_its_budget_and_tables_each_trial(transformed, tmp_path, trials, seconds, expected):
    from tfx.components.tuner.component import TunerFnResult

    from trainer.tuning import OBJECTIVE, search_space, tuner_fn

    model = ModelConfig(
        kind="ranking", embedding_dim=16, epochs=2, batch_size=256, optimizer="adam", learning_rate=0.003
    )
    args = fn_args(transformed, tmp_path, model.to_dict())
    args.custom_config["tuning"] = TuningConfig(max_trials=trials, max_seconds=seconds, validation_every=4).to_dict()
    args.working_dir = str(tmp_path / "tuner")
    result = tuner_fn(args)
    assert isinstance(result, TunerFnResult)
    result.tuner.search(**result.fit_kwargs)
    table = result.tuner.table()
    assert len(table) == expected
    for row in table:
        assert row[OBJECTIVE] is not None and 0 < row[OBJECTIVE] < 5 and row["seconds"] > 0
    if expected:
        best = result.tuner.get_best_hyperparameters()[0]
        space = search_space(best, model)
        assert set(best.values) == set(space)  # every searched setting, nothing else
        assert min(r[OBJECTIVE] for r in table) == pytest.approx(  # the table rounds to 5 decimals
            result.tuner.oracle.get_best_trials(1)[0].metrics.get_best_value(OBJECTIVE), abs=1e-5
        )


def test_run_fn_trains_with_the_tuners_values(transformed, tmp_path) -> None:
    import json

    from trainer.config import HISTORY_FILE
    from trainer.run import run_fn

    model = ModelConfig(kind="ranking", embedding_dim=16, epochs=1, batch_size=256, optimizer="adam")
    args = fn_args(transformed, tmp_path, model.to_dict())
    args.hyperparameters = {"space": [], "values": {"embedding_dim": 8, "epochs": 2, "rating_layers": "32"}}
    run_fn(args)
    record = json.loads((tmp_path / "run" / HISTORY_FILE).read_text())
    assert record["config"]["embedding_dim"] == 8 and record["config"]["rating_layers"] == [32]
    assert len(record["epoch_seconds"]) == 2
    assert record["tuned_hyperparameters"] == args.hyperparameters["values"]
