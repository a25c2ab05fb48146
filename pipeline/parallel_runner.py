"""TFX's LocalDagRunner with independent nodes run side by side, each in a worker process.

LocalDagRunner launches one node at a time in topological order (its source leaves running
independent nodes in parallel as a TODO). On 2 cores most of a run is single-threaded (Beam's
in-process runner, TFMA, model export), so StatisticsGen, the exploration report and Transform, or
one model's Evaluator and another's Trainer, can share the machine. Each worker is a spawned
process that runs, for the node the scheduler hands it, the same TFX ``Launcher`` LocalDagRunner
runs (driver, executor, publisher, caching). ML Metadata stays one SQLite file; a worker's ML
Metadata work (each ``with`` block of the launcher) takes a file lock beside it, so that one
process writes at a time. The workers' log records come back to this process's handlers.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import logging
import logging.handlers
import multiprocessing
import os
import pickle
import queue
import threading
import traceback
from typing import Any

from pipeline import env

env.setup()

_SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this process' TF state
_POLL_SECONDS = 1.0
NODE_ATTRIBUTE = "movierec_node"  # set on every log record a worker sends: the node it was running


class WorkerDied(RuntimeError):
    """A worker process ended without reporting its node's result (killed, out of memory)."""


class ParallelDagRunner:
    """Runs a TFX pipeline like ``LocalDagRunner().run(pipeline)``, up to ``workers`` nodes at once.

    A node starts when every node upstream of it has finished; among the nodes ready, the earliest
    in topological order goes first. The first failure stops the run: the other workers are
    stopped and the node's exception is raised here (its type kept when it can be pickled).

    Used as a context manager, the worker processes start (and import TFX) on entering, while this
    process builds the pipeline; :meth:`run` alone starts and stops them itself.
    """

    def __init__(self, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._pool = _Workers(workers)
        self._entered = False

    def __enter__(self) -> ParallelDagRunner:
        self._pool.__enter__()
        self._entered = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._entered = False
        self._pool.__exit__(*exc)

    def run(self, pipeline: Any) -> None:
        from tfx.dsl.compiler import compiler

        self.run_with_ir(compiler.Compiler().compile(pipeline))

    def run_with_ir(self, ir: Any) -> None:
        if not self._entered:
            with self:
                self.run_with_ir(ir)
            return
        from tfx.dsl.compiler import constants
        from tfx.orchestration.portable import runtime_parameter_utils

        runtime_parameter_utils.substitute_runtime_parameter(
            ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: datetime.datetime.now().isoformat()}
        )
        nodes = [n.pipeline_node for n in ir.nodes]
        upstream = {n.node_info.id: set(n.upstream_nodes) for n in nodes}
        skipped = {n.node_info.id for n in nodes if n.execution_options.HasField("skip")}
        for node_id in skipped:
            logging.info("Skipping component %s.", node_id)
        self._pool.send_pipeline(ir.SerializeToString())
        _Schedule([n.node_info.id for n in nodes], upstream, skipped).run(self._pool)


class _Schedule:
    """Which node runs next: topological order among the nodes whose upstream nodes are done."""

    def __init__(self, order: list[str], upstream: dict[str, set[str]], done: set[str]) -> None:
        self.order, self.upstream = order, upstream
        self.done = set(done)
        self.started: set[str] = set(done)

    def next_ready(self) -> str | None:
        for node_id in self.order:
            if node_id not in self.started and self.upstream[node_id] <= self.done:
                return node_id
        return None

    def run(self, workers: _Workers) -> None:
        running: dict[int, str] = {}
        while True:
            for slot in workers.idle(running):
                node_id = self.next_ready()
                if node_id is None:
                    break
                self.started.add(node_id)
                running[slot] = node_id
                logging.info("Component %s is running.", node_id)
                workers.start(slot, node_id)
            if not running:
                unreached = [n for n in self.order if n not in self.done]
                if unreached:  # cannot happen for a compiled (acyclic) pipeline
                    raise RuntimeError(f"nodes never became ready: {', '.join(unreached)}")
                return
            slot, error = workers.wait(running)
            node_id = running.pop(slot)
            if error is not None:
                logging.error("Component %s failed.", node_id)
                raise error
            self.done.add(node_id)
            logging.info("Component %s is finished.", node_id)


class _Workers:
    """The worker processes, a task queue each, and one queue of what they send back: their log
    records and their nodes' results, in the order each worker sent them (a node's "cached" record
    arrives before its result)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._events = _SPAWN.Queue()
        self._results: queue.Queue = queue.Queue()
        self._tasks = [_SPAWN.Queue() for _ in range(count)]
        self._processes: list[Any] = []
        self._relay = threading.Thread(target=self._relay_events, name="movierec-worker-events")

    def __enter__(self) -> _Workers:
        self._relay.start()
        level = logging.getLogger().getEffectiveLevel()
        for slot in range(self._count):
            process = _SPAWN.Process(
                target=_worker_main,
                args=(slot, self._tasks[slot], self._events, level),
                name=f"movierec-worker-{slot}",
            )
            process.start()
            self._processes.append(process)
        return self

    def send_pipeline(self, ir: bytes) -> None:
        for tasks in self._tasks:
            tasks.put(ir)

    def idle(self, running: dict[int, str]) -> list[int]:
        return [slot for slot in range(self._count) if slot not in running]

    def start(self, slot: int, node_id: str) -> None:
        self._tasks[slot].put(node_id)

    def wait(self, running: dict[int, str]) -> tuple[int, BaseException | None]:
        """The next result: (slot, None) when its node succeeded, else (slot, the exception)."""
        while True:
            try:
                slot, payload = self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                for slot, node_id in running.items():
                    process = self._processes[slot]
                    if not process.is_alive():
                        return slot, WorkerDied(
                            f"the worker process running {node_id} ended with exit code {process.exitcode}"
                        )
                continue
            return slot, (None if payload is None else pickle.loads(payload))

    def _relay_events(self) -> None:
        """Log records go to this process' handlers (console, log file, progress); results to :meth:`wait`."""
        while True:
            try:
                event = self._events.get()
            except Exception:  # an event half-written by a worker stopped mid-run
                continue
            if event is None:
                return
            if isinstance(event, logging.LogRecord):
                logger = logging.getLogger(event.name)
                if not logger.disabled:
                    logger.handle(event)
            else:
                self._results.put(event)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        for slot, process in enumerate(self._processes):
            if exc_type is None and process.is_alive():
                self._tasks[slot].put(None)  # done: the worker leaves its loop
            else:
                process.terminate()  # a failed run stops what else was running
        for process in self._processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        self._events.put(None)
        self._relay.join(timeout=30)
        for q in (self._events, *self._tasks):
            q.close()


def _pickled_error(node_id: str, exc: BaseException) -> bytes:
    """The exception itself when it survives pickling (DataError, AnomaliesFoundError...), else a
    RuntimeError with its traceback's text."""
    with contextlib.suppress(Exception):
        payload = pickle.dumps(exc)
        pickle.loads(payload)
        return payload
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return pickle.dumps(RuntimeError(f"{node_id} failed: {type(exc).__name__}: {exc}\n{text}"))


class _NodeTag(logging.Filter):
    """Marks each record with the node the worker is running."""

    node: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        setattr(record, NODE_ATTRIBUTE, self.node)
        return True


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the runner dies, even by SIGKILL; no orphan goes on
    writing artifacts and ML Metadata beside the next run (which reruns the node from the start)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not Linux: workers end when their task queue closes
        return
    parent = os.getppid()
    libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the runner died before prctl took effect
        os._exit(1)


def _worker_main(slot: int, tasks: Any, events: Any, level: int) -> None:
    """A worker's life: logging towards the parent, TFX imported, then the pipeline (compiled, as
    bytes) and each node to launch arrive on ``tasks``; None ends it."""
    _die_with_parent()
    from absl import logging as absl_logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    tag = _NodeTag()
    handler = logging.handlers.QueueHandler(events)
    handler.addFilter(tag)
    root.addHandler(handler)
    root.setLevel(level)
    absl_logging.set_verbosity(absl_logging.INFO if level <= logging.INFO else absl_logging.WARNING)
    absl_logging.use_python_logging(quiet=True)

    from tfx.orchestration.portable import launcher  # noqa: F401 (imported while the parent compiles)
    from tfx.proto.orchestration import pipeline_pb2

    ir = tasks.get()
    if ir is None:
        return
    pipeline = pipeline_pb2.Pipeline.FromString(ir)
    while (node_id := tasks.get()) is not None:
        tag.node = node_id
        try:
            _launch(pipeline, node_id)
            events.put((slot, None))
        except BaseException as exc:  # reported to the parent, which stops the run
            logging.exception("Component %s raised", node_id)
            events.put((slot, _pickled_error(node_id, exc)))
        finally:
            tag.node = None


def _launch(pipeline: Any, node_id: str) -> None:
    """What LocalDagRunner does for one node, with the ML Metadata connection behind a file lock."""
    from tfx.orchestration.local import runner_utils
    from tfx.orchestration.portable import launcher

    deployment = runner_utils.extract_local_deployment_config(pipeline)
    connection = getattr(
        deployment.metadata_connection_config, deployment.metadata_connection_config.WhichOneof("connection_config")
    )
    node = next(n.pipeline_node for n in pipeline.nodes if n.pipeline_node.node_info.id == node_id)
    launcher.Launcher(
        pipeline_node=node,
        mlmd_connection=locked_metadata(connection),
        pipeline_info=pipeline.pipeline_info,
        pipeline_runtime_spec=pipeline.runtime_spec,
        executor_spec=runner_utils.extract_executor_spec(deployment, node_id),
        custom_driver_spec=runner_utils.extract_custom_driver_spec(deployment, node_id),
    ).launch()


def lock_path_of(connection: Any) -> str:
    """The lock file beside an SQLite store (one per store), or in the temp dir for other stores."""
    sqlite_file = getattr(getattr(connection, "sqlite", None), "filename_uri", "")
    if sqlite_file:
        return sqlite_file + ".lock"
    import tempfile

    return os.path.join(tempfile.gettempdir(), "movierec-mlmd.lock")


def locked_metadata(connection: Any) -> Any:
    """A TFX ``Metadata`` whose every (outermost) ``with`` block holds an exclusive file lock."""
    from tfx.orchestration import metadata

    class LockedMetadata(metadata.Metadata):
        _depth = 0
        _lock_file: Any = None

        def __enter__(self) -> Any:
            if self._depth == 0:
                self._lock_file = open(lock_path_of(connection), "a")  # closed in __exit__
                fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._depth += 1
            try:
                return super().__enter__()
            except BaseException:
                self._release()
                raise

        def __exit__(self, *exc: Any) -> None:
            try:
                super().__exit__(*exc)
            finally:
                self._release()

        def _release(self) -> None:
            self._depth -= 1
            if self._depth == 0 and self._lock_file is not None:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
                self._lock_file = None

    return LockedMetadata(connection)
