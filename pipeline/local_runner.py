"""Runs the pipeline on this machine (TFX's LocalDagRunner, or its parallel variant), ML Metadata on
SQLite under the work dir."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

from pipeline import env, metadata_store, work_dir
from pipeline.config import PipelineConfig
from pipeline.parallel_runner import ParallelDagRunner
from pipeline.progress import ComponentProgress

env.setup()


@dataclasses.dataclass
class RunResult:
    config: PipelineConfig
    durations: dict[str, float]
    cached: set[str]
    wall_seconds: float
    log_file: str


def ensure_sample(config: PipelineConfig, stream: TextIO | None = None) -> None:
    """Generate the synthetic sample into the work dir when no data dir is configured."""
    if config.data.data_dir:
        return
    stream = stream or sys.stderr
    from movielens.synthetic import generate

    marker = os.path.join(config.sample_dir, "ratings.dat")
    if os.path.exists(marker):
        return
    s = config.data.sample
    print(f"[movierec] generating the synthetic sample in {config.sample_dir}", file=stream, flush=True)
    generate(config.sample_dir, s)


def new_log_file(config: PipelineConfig) -> str:
    """The path of a new run log under the work dir's logs/ (the folder is made; the file is not)."""
    log_dir = os.path.join(config.work_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    return os.path.join(log_dir, time.strftime("run-%Y%m%d-%H%M%S.log"))


def _configure_logging(log_file: str) -> tuple[logging.Handler | None, tuple[int, int]]:
    """Everything INFO and above to the log file; the console keeps warnings and progress.

    Returns the file handler added (None when one for ``log_file`` is there already, e.g. from
    :func:`pipeline.env.output_to_log`) and the levels to restore.
    """
    from absl import logging as absl_logging

    root = logging.getLogger()
    previous_level = (root.level, absl_logging.get_verbosity())
    absl_logging.set_verbosity(absl_logging.INFO)
    root.setLevel(logging.INFO)
    target = os.path.abspath(log_file)
    existing = [h for h in root.handlers if isinstance(h, logging.FileHandler) and h.baseFilename == target]
    for handler in root.handlers:
        if handler not in existing and not isinstance(handler, env.ConsoleHandler):  # it filters for itself
            handler.setLevel(max(handler.level, logging.WARNING))
    if existing:
        existing[0].setLevel(logging.INFO)
        return None, previous_level
    file_handler = logging.FileHandler(log_file)
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    return file_handler, previous_level


@contextlib.contextmanager
def _runner(config: PipelineConfig) -> Iterator[Any]:
    """TFX's LocalDagRunner (one component at a time, in this process) for ``parallel_components``
    1, else :class:`ParallelDagRunner`, whose workers start now and import TFX while this process
    builds the pipeline."""
    if config.parallel_components <= 1:
        from tfx import v1 as tfx

        yield tfx.orchestration.LocalDagRunner()
        return
    with ParallelDagRunner(config.parallel_components) as runner:
        yield runner


def run(
    config: PipelineConfig,
    stream: TextIO | None = None,
    log_file: str | None = None,
    heartbeat_seconds: float = 30.0,
) -> RunResult:
    """Run the pipeline once; raises what the failing component raised.

    ``stream`` gets the progress lines (default stderr); ``log_file`` the full log (default: a new
    one under the work dir's logs/). ``movierec run`` also points fds 1 and 2 at that log
    (:func:`pipeline.env.output_to_log`) so that TensorFlow's C++ output stays off the console.
    """
    with work_dir.run_lock(config.work_dir):  # one run per work dir; a second stops with a message
        return _run(config, stream or sys.stderr, log_file, heartbeat_seconds)


def _run(config: PipelineConfig, stream: TextIO, log_file: str | None, heartbeat_seconds: float) -> RunResult:
    ensure_sample(config, stream)
    log_file = log_file or new_log_file(config)
    print(f"[movierec] loading TFX (full log: {log_file})", file=stream, flush=True)
    file_handler, previous_level = _configure_logging(log_file)

    progress = ComponentProgress(stream, heartbeat_seconds=heartbeat_seconds)
    try:
        with _runner(config) as runner:  # a parallel runner's workers import TFX meanwhile
            from pipeline.pipeline import create_pipeline

            source = config.metadata_path
            if not metadata_store.is_mysql(source):
                source = os.path.abspath(source)
            pipeline = create_pipeline(config, metadata_store.connection_config(source))
            started = time.perf_counter()
            with progress:
                runner.run(pipeline)
    except BaseException:
        if progress.current:
            print(f"[movierec] ✘ {progress.current} failed (full log: {log_file})", file=stream, flush=True)
        raise
    finally:
        from absl import logging as absl_logging

        logging.getLogger().setLevel(previous_level[0])
        absl_logging.set_verbosity(previous_level[1])
        if file_handler is not None:
            logging.getLogger().removeHandler(file_handler)
            file_handler.close()
    return RunResult(config, progress.durations, progress.cached, time.perf_counter() - started, log_file)
