"""Compiles the same pipeline definition for Kubeflow Pipelines (v2 spec) with KubeflowV2DagRunner.

Nothing runs here: the JSON spec is submitted to a KFP cluster (see the README). Data and the
pipeline root must be reachable from the cluster (e.g. gs:// or a mounted volume); the data
directory and the split are runtime parameters of the compiled pipeline.
"""

from __future__ import annotations

import dataclasses
import os

from pipeline import env
from pipeline.config import DataConfig, PipelineConfig

env.setup()

DEFAULT_IMAGE = "ghcr.io/movierec/movierec-tfx:0.1.0"
IMAGE_REPO_ROOT = "/pipeline"  # where deploy/Dockerfile puts this repository
DATA_DIR_PARAMETER = "data-dir"


def compile_pipeline(config: PipelineConfig, output: str, image: str = DEFAULT_IMAGE) -> str:
    """Write the KFP v2 pipeline spec of ``config`` to ``output`` (a .json path); returns the path."""
    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    data_dir = tfx.dsl.experimental.RuntimeParameter(
        name=DATA_DIR_PARAMETER, ptype=str, default=config.data.data_dir or ""
    )
    kfp_config = dataclasses.replace(
        config,
        data=dataclasses.replace(config.data, data_dir=data_dir),  # type: ignore[arg-type]
    )
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
        output_dir=os.path.dirname(os.path.abspath(output)),
        output_filename=os.path.basename(output),
    )
    runner.run(create_pipeline(kfp_config))
    return output


def default_kubeflow_config(pipeline_root: str, data_dir: str) -> PipelineConfig:
    """A configuration for a cluster: outputs under ``pipeline_root``, data from ``data_dir``."""
    return PipelineConfig(
        work_dir=pipeline_root,
        data=DataConfig(data_dir=data_dir),
        runtime_repo_root=IMAGE_REPO_ROOT,
        baseline_excludes_candidate=False,  # the KFP v2 compiler knows TFX's built-in strategies only
    )
