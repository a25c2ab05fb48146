"""The parallel local runner: independent nodes side by side, in worker processes, on one ML Metadata.

(No ``from __future__ import annotations``: TFX reads the function components' annotations.)

Real TFX function components in a real pipeline on a real SQLite ML Metadata store; the workers
are spawned processes that import these components from this module.
"""

import fcntl
import io
import logging
import multiprocessing
import pickle
import time
from pathlib import Path

import pytest
from tfx import v1 as tfx
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.orchestration import metadata
from tfx.types import standard_artifacts

from movielens.errors import DataError
from pipeline.parallel_runner import NODE_ATTRIBUTE, ParallelDagRunner, WorkerDied, lock_path_of, locked_metadata
from pipeline.progress import ComponentProgress


@component
def Stamp(out: OutputArtifact[standard_artifacts.Model], seconds: Parameter[float] = 0.0) -> None:
    """Sleeps, and records when it started and ended (wall clock)."""
    started = time.time()
    time.sleep(seconds)
    (Path(out.uri) / "times.txt").write_text(f"{started} {time.time()}")


@component
def Join(left: InputArtifact[standard_artifacts.Model], right: InputArtifact[standard_artifacts.Model]) -> None:
    """Runs only once both of its inputs exist."""
    for artifact in (left, right):
        assert (Path(artifact.uri) / "times.txt").exists()


@component
def Fail(out: OutputArtifact[standard_artifacts.Model], message: Parameter[str] = "bad") -> None:
    raise DataError("ratings.dat", 7, message)


@component
def Crash(out: OutputArtifact[standard_artifacts.Model]) -> None:
    import os

    os._exit(3)  # as if killed: no result ever reported


def _connection(root: Path):
    return tfx.orchestration.metadata.sqlite_metadata_connection_config(str(root / "metadata.db"))


def _pipeline(root: Path, third=None) -> tfx.dsl.Pipeline:
    left = Stamp(seconds=3.0).with_id("Left")
    right = Stamp(seconds=3.0).with_id("Right")
    components = [left, right, Join(left=left.outputs["out"], right=right.outputs["out"]).with_id("Join")]
    if third is not None:
        components.append(third)
    return tfx.dsl.Pipeline(
        pipeline_name="parallel",
        pipeline_root=str(root / "root"),
        components=components,
        enable_cache=True,
        metadata_connection_config=_connection(root),
    )


def _times(root: Path, node: str) -> "tuple[float, float]":
    (path,) = (root / "root" / node / "out").glob("*/times.txt")
    started, ended = path.read_text().split()
    return float(started), float(ended)


def _executions(root: Path) -> list:
    with metadata.Metadata(_connection(root)) as store:
        return store.store.get_executions()


def test_independent_nodes_run_side_by_side_and_a_rerun_is_cached(tmp_path):
    ParallelDagRunner(2).run(_pipeline(tmp_path))
    left, right = _times(tmp_path, "Left"), _times(tmp_path, "Right")
    assert left[0] < right[1] and right[0] < left[1], (left, right)  # the two sleeps overlapped
    completed = [e for e in _executions(tmp_path) if e.last_known_state == e.COMPLETE]
    assert len(completed) == 3  # Left, Right, Join: each once, published in the one store

    ParallelDagRunner(2).run(_pipeline(tmp_path))
    states = [e.last_known_state for e in _executions(tmp_path)]
    assert states.count(metadata.metadata_store_pb2.Execution.CACHED) == 3  # nothing ran again
    assert _times(tmp_path, "Left") == left


def test_one_worker_runs_them_one_after_the_other(tmp_path):
    ParallelDagRunner(1).run(_pipeline(tmp_path))
    left, right = sorted([_times(tmp_path, "Left"), _times(tmp_path, "Right")])
    assert left[1] <= right[0]


def test_a_failing_node_raises_its_own_error_and_stops_the_run(tmp_path):
    out = io.StringIO()
    with pytest.raises(DataError) as raised, ComponentProgress(out, heartbeat_seconds=0) as progress:
        ParallelDagRunner(2).run(_pipeline(tmp_path, Fail(message="rating 7 out of range").with_id("Bad")))
    assert raised.value.path == "ratings.dat" and raised.value.line == 7
    assert "rating 7 out of range" in str(raised.value)
    assert progress.current == "Bad"
    assert not (tmp_path / "root" / "Join").exists()  # nothing downstream of the failure ran


def test_a_worker_that_dies_is_reported(tmp_path):
    with pytest.raises(WorkerDied, match=r"Boom.*exit code 3"):
        ParallelDagRunner(2).run(_pipeline(tmp_path, Crash().with_id("Boom")))


def test_the_metadata_lock_is_held_for_a_whole_with_block_and_is_reentrant(tmp_path):
    connection = _connection(tmp_path)
    store = locked_metadata(connection)
    with store:
        with store:  # nested, as the launcher's driver does
            assert _is_locked(lock_path_of(connection))
        assert _is_locked(lock_path_of(connection))
    assert not _is_locked(lock_path_of(connection))


def test_a_worker_waits_for_the_metadata_lock(tmp_path):
    connection = _connection(tmp_path)
    done = multiprocessing.get_context("spawn").Event()
    with open(lock_path_of(connection), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        child = multiprocessing.get_context("spawn").Process(target=_open_store, args=(connection, done))
        child.start()
        assert not done.wait(3.0)  # blocked while the lock is held here
        fcntl.flock(held, fcntl.LOCK_UN)
    assert done.wait(60.0)
    child.join(30)
    assert child.exitcode == 0


def _open_store(connection, done) -> None:
    with locked_metadata(connection) as store:
        store.store.get_executions()
    done.set()


def _is_locked(path: str) -> bool:
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def test_data_errors_survive_pickling():
    error = pickle.loads(pickle.dumps(DataError("ratings.dat", 3, "rating 7 out of range")))
    assert (error.path, error.line, error.message) == ("ratings.dat", 3, "rating 7 out of range")
    assert str(error) == "ratings.dat:3: rating 7 out of range"


def _record(message: str, node: "str | None" = None) -> logging.LogRecord:
    record = logging.LogRecord("root", logging.INFO, __file__, 1, message, None, None)
    if node:
        setattr(record, NODE_ATTRIBUTE, node)
    return record


def test_progress_follows_components_running_side_by_side():
    out = io.StringIO()
    progress = ComponentProgress(out, heartbeat_seconds=0.2)
    with progress:
        progress.emit(_record("Component StatisticsGen is running."))
        progress.emit(_record("Component Transform is running."))
        progress.emit(_record("A cached execution 4 is used.", node="StatisticsGen"))
        time.sleep(0.7)
        progress.emit(_record("Component StatisticsGen is finished."))
        assert progress.current == "Transform"
        progress.emit(_record("Component Transform is finished."))
    text = out.getvalue()
    assert "… StatisticsGen running for" in text and "… Transform running for" in text
    assert "StatisticsGen finished in" in text and "(cached)" in text.split("StatisticsGen finished")[1].split("\n")[0]
    assert "(cached)" not in text.split("Transform finished")[1]
    assert progress.cached == {"StatisticsGen"} and set(progress.durations) == {"StatisticsGen", "Transform"}
