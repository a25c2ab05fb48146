"""`movierec serve` and `movierec query` as a user runs them: two processes over 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import main
from serving.client import DEFAULT_RATING_WEIGHT
from tests.serving.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def rated_movies(data_dir: str, user_id: str) -> set[str]:
    """The movies a user rated in an ml-1m format data set (ratings.dat: user::movie::stars::time)."""
    lines = (Path(data_dir) / "ratings.dat").read_text(encoding="latin-1").splitlines()
    return {fields[1] for fields in (line.split("::") for line in lines) if fields[0] == user_id}


@pytest.fixture(scope="module")
def served(trained_models, tmp_path_factory):
    """`movierec serve --local` in its own process on free ports, until the module ends."""
    tmp = tmp_path_factory.mktemp("cli")
    serving_dir = trained_models.serving_dir(tmp / "serving")
    grpc_port, rest_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--local", "--serving-dir", str(serving_dir),
         "--grpc-port", str(grpc_port), "--rest-port", str(rest_port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Ctrl-C stops" in line or process.poll() is not None:
            break
    assert process.poll() is None, "".join(lines)
    yield {"grpc": grpc_port, "rest": rest_port, "log": "".join(lines), "dir": serving_dir}
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert "model server stopped" in out and process.returncode == 0


def test_serve_reports_what_it_serves(served):
    assert "tensorflow_model_server is not on PATH: starting the local model server" in served["log"]
    assert "retrieval: 1 AVAILABLE" in served["log"] and "ranking: 1 AVAILABLE" in served["log"]


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_query_prints_recommendations_with_titles(served, protocol, capsys, tiny_dataset):
    code = main(
        ["query", "--user-id", "3", "--k", "4", "--candidates", "15", "--protocol", protocol,
         "--grpc-port", str(served["grpc"]), "--rest-port", str(served["rest"]), "--data-dir", tiny_dataset]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 4 and all("(" in r and "[" in r for r in rows)  # "Title (year)  [Genres]"
    assert "user_id=3" in out and "user_gender=" in out
    # user 3's ratings in the data are the history: those movies are not recommended again
    rated = rated_movies(tiny_dataset, "3")
    assert rated and f"history of {len(rated)} movies" in out and "unseen only" in out
    printed = [r.split()[1] for r in rows]  # "  1      7    3.52   -3.408   -1.648  1999  Title (year)  [Genres]"
    assert len(set(printed)) == 4 and not set(printed) & rated, (printed, rated)


def test_query_for_a_new_user_as_json(served, capsys):
    code = main(
        ["query", "--age", "25", "--gender", "F", "--occupation", "programmer", "--zip", "94110", "--k", "3",
         "--candidates", "10", "--grpc-port", str(served["grpc"]), "--json"]
    )  # fmt: skip
    recs = json.loads(capsys.readouterr().out)
    assert code == 0 and [r["rank"] for r in recs] == [1, 2, 3]
    assert all(r["title"] and r["genres"] for r in recs)
    scores = [r["score"] for r in recs]  # ordered by retrieval score + weight x predicted rating
    assert scores == sorted(scores, reverse=True)
    for r in recs:
        assert r["score"] == pytest.approx(r["retrieval_score"] + DEFAULT_RATING_WEIGHT * r["predicted_rating"])


def test_query_errors_are_clear(served, capsys):
    assert main(["query", "--occupation", "astronaut", "--grpc-port", str(served["grpc"])]) == 2
    assert "unknown occupation 'astronaut'" in capsys.readouterr().err
    assert main(["query", "--user-id", "3", "--grpc-port", str(free_port()), "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "UNAVAILABLE" in err and "movierec serve" in err
    assert main(["query", "--retrieval-model", "nope", "--grpc-port", str(served["grpc"])]) == 1
    assert "NOT_FOUND" in capsys.readouterr().err


def test_serving_config_writes_tf_serving_files(served, tmp_path, capsys):
    assert main(["serving-config", "--serving-dir", str(served["dir"]), "--output", str(tmp_path)]) == 0
    text = (tmp_path / "models.config").read_text()
    assert 'name: "ranking"' in text and 'base_path: "/models/retrieval"' in text
    assert main(["serving-config", "--serving-dir", str(tmp_path / "empty"), "--output", str(tmp_path)]) == 2
    assert os.path.exists(tmp_path / "monitoring.config")
