"""Runs the pipeline with TFX's LocalDagRunner, ML Metadata on SQLite under the work dir."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from typing import TextIO

from pipeline import env
from pipeline.config import PipelineConfig
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
    from components.movielens_example_gen.synthetic import SyntheticSpec, generate

    marker = os.path.join(config.sample_dir, "ratings.dat")
    if os.path.exists(marker):
        return
    s = config.data.sample
    print(f"[movierec] generating the synthetic sample in {config.sample_dir}", file=stream, flush=True)
    generate(config.sample_dir, SyntheticSpec(users=s.users, movies=s.movies, ratings=s.ratings, seed=s.seed))


def _configure_logging(log_file: str) -> tuple[logging.Handler, tuple[int, int]]:
    """Everything INFO and above to the log file; the console keeps warnings and progress."""
    from absl import logging as absl_logging

    root = logging.getLogger()
    previous_level = (root.level, absl_logging.get_verbosity())
    absl_logging.set_verbosity(absl_logging.INFO)
    root.setLevel(logging.INFO)
    for handler in root.handlers:
        handler.setLevel(logging.WARNING)
    file_handler = logging.FileHandler(log_file)
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    return file_handler, previous_level


def run(config: PipelineConfig, stream: TextIO | None = None) -> RunResult:
    """Run the pipeline once; raises what the failing component raised."""
    stream = stream or sys.stderr
    os.makedirs(config.work_dir, exist_ok=True)
    ensure_sample(config, stream)
    log_dir = os.path.join(config.work_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    log_file = os.path.join(log_dir, time.strftime("run-%Y%m%d-%H%M%S.log"))
    print(f"[movierec] loading TFX (full log: {log_file})", file=stream, flush=True)
    file_handler, previous_level = _configure_logging(log_file)

    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(os.path.abspath(config.metadata_path))
    started = time.perf_counter()
    try:
        with ComponentProgress(stream) as progress:
            tfx.orchestration.LocalDagRunner().run(create_pipeline(config, metadata))
    except BaseException:
        if progress.current:
            print(f"[movierec] ✘ {progress.current} failed (full log: {log_file})", file=stream, flush=True)
        raise
    finally:
        logging.getLogger().removeHandler(file_handler)
        from absl import logging as absl_logging

        logging.getLogger().setLevel(previous_level[0])
        absl_logging.set_verbosity(previous_level[1])
        file_handler.close()
    return RunResult(config, progress.durations, progress.cached, time.perf_counter() - started, log_file)
