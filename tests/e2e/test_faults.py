"""Pipeline runs that survive faults: SIGKILL in the middle of a component, two runs on one work
dir, an unwritable or full work dir. `movierec run` runs as a child process, as a user starts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from movielens.synthetic import SyntheticSpec, generate
from pipeline import work_dir

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SPEC = SyntheticSpec(users=60, movies=50, ratings=1500, seed=11)


def movierec_run(data: Path, work: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run", "--data-dir", str(data), "--work-dir", str(work),
         "--models", "ranking"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def kill_when_started(process: subprocess.Popen, component: str, after_seconds: float = 3.0) -> list[str]:
    """SIGKILL the run ``after_seconds`` into ``component`` (its workers die with it); its console lines."""
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if f"▶ {component} started" in line:
            time.sleep(after_seconds)
            process.send_signal(signal.SIGKILL)
            break
    process.wait(60)
    assert process.returncode == -signal.SIGKILL, "".join(lines)
    return lines


def finish(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, out
    return out


def executions(work: Path, node: str) -> list[metadata_store_pb2.Execution]:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(work / "metadata.sqlite")
    store = metadata_store.MetadataStore(config)
    contexts = [c for c in store.get_contexts_by_type("node") if c.name.endswith(f".{node}")]
    return sorted(store.get_executions_by_context(contexts[0].id), key=lambda e: e.id)


def test_a_run_killed_in_transform_and_in_a_trainer_finishes_when_started_again(tmp_path):
    data, work = tmp_path / "data", tmp_path / "work"
    generate(data, SPEC)

    kill_when_started(movierec_run(data, work), "Transform")
    second = movierec_run(data, work)
    lines = kill_when_started(second, "RankingTrainer")
    text = "".join(lines)
    assert re.search(r"✔ MovieLensExampleGen finished in .* \(cached\)", text), text
    assert re.search(r"✔ Transform finished in [0-9.]+ s\n", text), text  # run again from the start

    out = finish(movierec_run(data, work))
    for cached in ("MovieLensExampleGen", "StatisticsGen", "Transform"):
        assert re.search(rf"✔ {cached} finished in .* \(cached\)", out), out
    for ran in ("RankingTrainer", "RankingEvaluator", "RankingPusher"):
        assert re.search(rf"✔ {ran} finished in [0-9.]+ s\n", out), out

    state = metadata_store_pb2.Execution.State.Name
    transform = executions(work, "Transform")
    trainer = executions(work, "RankingTrainer")
    # the killed executions never completed; the next run made its own, which completed (and the
    # third run's Transform came from the cache)
    assert [state(e.last_known_state) for e in transform] == ["RUNNING", "COMPLETE", "CACHED"]
    assert [state(e.last_known_state) for e in trainer] == ["RUNNING", "COMPLETE"]
    # no half-written artifact was read: the trainer that finished read the complete Transform's graph
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(work / "metadata.sqlite")
    store = metadata_store.MetadataStore(config)
    events = store.get_events_by_execution_ids([trainer[1].id, transform[0].id])
    output, input_ = metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.INPUT
    trainer_inputs = {e.artifact_id for e in events if e.execution_id == trainer[1].id and e.type == input_}
    killed_outputs = {e.artifact_id for e in events if e.execution_id == transform[0].id and e.type == output}
    assert trainer_inputs and not trainer_inputs & killed_outputs
    live = metadata_store_pb2.Artifact.LIVE
    assert all(a.state != live for a in store.get_artifacts_by_id(list(killed_outputs)))


def test_a_second_run_on_the_same_work_dir_stops_with_a_message(tmp_path):
    data, work = tmp_path / "data", tmp_path / "work"
    generate(data, SPEC)
    with work_dir.run_lock(str(work)):  # a run in progress holds the work dir
        second = subprocess.run(
            [sys.executable, "-m", "cli.main", "run", "--data-dir", str(data), "--work-dir", str(work),
             "--models", "none"],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert second.returncode == 2
    assert f"another movierec run is using {work} (pid {os.getpid()}" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert not (work / "metadata.sqlite").exists()  # it touched nothing


def test_an_unwritable_or_full_work_dir_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--work-dir", str(blocker / "work"), "--models", "none"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and f"work dir {blocker / 'work'} is not writable" in bad.stderr
    with pytest.raises(work_dir.WorkDirError, match=f"work dir {tmp_path}: only .* MiB free"):
        work_dir.check_writable(str(tmp_path), min_free_bytes=1 << 62)


def test_a_failed_write_names_the_path():
    try:
        try:
            raise OSError(28, "No space left on device", "/data/work/pipeline_root/Transform/x")
        except OSError as e:
            raise RuntimeError("component failed") from e
    except RuntimeError as e:
        sentence = work_dir.unwritable_path(e)
    assert sentence == "cannot write /data/work/pipeline_root/Transform/x: No space left on device"
    assert work_dir.unwritable_path(ValueError("bad value")) is None
