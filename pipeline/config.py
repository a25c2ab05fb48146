"""One typed configuration for the whole pipeline.

Runners build a :class:`PipelineConfig` (from CLI flags or code) and hand it to
:func:`pipeline.pipeline.create_pipeline`; nothing else in the project reads flags or the
environment for these values.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from components.thresholds import Thresholds
from exploration.config import ReportConfig
from movielens.config import BadLinePolicy, DataConfig, SampleConfig, SplitKind  # noqa: F401 (re-exported)
from trainer.config import ModelConfig, TuningConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
CURATED_SCHEMA_PATH = REPO_ROOT / "schema" / "schema.pbtxt"
DEFAULT_WORK_DIR = Path(os.environ.get("MOVIEREC_WORK_DIR", "work"))

DEFAULT_EASE_L2 = 500.0  # EASE's L2 (Steck 2019 used 500 on ml-20m-sized data; measured on ml-1m)
DEFAULT_EASE_WEIGHT = 100.0  # the hybrid's EASE weight (docs/models.md: tuned on a validation slice)


def _hybrid(kind: str, **settings: object) -> ModelConfig:
    """A retrieval or multitask model: history-only query (no user id), EASE member, Adam."""
    return ModelConfig(
        kind=kind,  # type: ignore[arg-type]
        optimizer="adam",
        use_user_id=False,
        ease_weight=DEFAULT_EASE_WEIGHT,
        ease_l2=DEFAULT_EASE_L2,
        **settings,  # type: ignore[arg-type]
    )


def default_models() -> tuple[ModelConfig, ...]:
    """The models `movierec run` trains on the synthetic sample (small, quick)."""
    return (
        _hybrid("retrieval", epochs=8, batch_size=512, learning_rate=0.005),
        ModelConfig(kind="ranking", epochs=5, batch_size=1024, optimizer="adam", learning_rate=0.001),
        _hybrid("multitask", epochs=8, batch_size=512, learning_rate=0.005),
    )


def movielens_models() -> tuple[ModelConfig, ...]:
    """The models `movierec run --data-dir <MovieLens>` trains: sized for ml-1m on 2 cores.

    Chosen on a validation slice carved from ml-1m's train split (docs/models.md).
    """
    return (
        _hybrid("retrieval", epochs=5, batch_size=1024, learning_rate=0.003),
        ModelConfig(
            kind="ranking",
            embedding_dim=64,
            epochs=5,
            batch_size=1024,
            optimizer="adam",
            learning_rate=0.001,
            dropout=0.3,
            embedding_l2=3e-5,
            max_norm=0.0,
        ),
        _hybrid("multitask", epochs=5, batch_size=1024, learning_rate=0.003, rating_weight=1.0),
    )


def dcn_model(sample: bool = False) -> ModelConfig:
    """DCN-v2 ranking (trainer/dcn.py), trained beside the others when asked for (`--models ...,dcn`)."""
    if sample:
        return ModelConfig(
            kind="ranking",
            architecture="dcn",
            embedding_dim=16,
            epochs=5,
            batch_size=1024,
            optimizer="adam",
            learning_rate=0.003,
            rating_layers=(64, 32),
            dropout=0.1,
            max_norm=0.0,
        )
    # the MovieLens ranking model's training settings, DCN's architecture, 32 wide per feature
    (ranking,) = (m for m in movielens_models() if m.kind == "ranking")
    return dataclasses.replace(ranking, architecture="dcn", embedding_dim=32, cross_layers=2)


def listwise_model(sample: bool = False) -> ModelConfig:
    """Listwise ranking (trainer/listwise.py): the ranking model's architecture and optimizer,
    trained on per-user lists with the softmax list loss (`--models ...,listwise`)."""
    (ranking,) = (m for m in (default_models() if sample else movielens_models()) if m.kind == "ranking")
    return dataclasses.replace(ranking, ranking_loss="softmax", list_length=10, lists_per_user=10)


def pairwise_model(sample: bool = False) -> ModelConfig:
    """The listwise model's settings with the pairwise hinge loss (`--models ...,pairwise`)."""
    return dataclasses.replace(listwise_model(sample), ranking_loss="hinge")


def optional_models(sample: bool = False) -> tuple[ModelConfig, ...]:
    """The models `--models` may add to the default three: DCN-v2, listwise and pairwise ranking."""
    return (dcn_model(sample), listwise_model(sample), pairwise_model(sample))


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Everything a pipeline run needs; paths derive from ``work_dir``."""

    name: str = "movierec"
    work_dir: str = str(DEFAULT_WORK_DIR)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    # The curated schema to import; None (or a missing file) falls back to the inferred one.
    schema_path: str | None = str(CURATED_SCHEMA_PATH)
    halt_on_anomalies: bool = True
    # Which models to train (one Trainer -> Evaluator -> Pusher per model); empty: the data half only.
    models: tuple[ModelConfig, ...] = dataclasses.field(default_factory=default_models)
    # Transform runs only for the models, unless this asks for its graph anyway (the tests build one).
    transform_without_models: bool = False
    thresholds: Thresholds = dataclasses.field(default_factory=Thresholds)
    # A Tuner (KerasTuner) before the ranking model's Trainer with this budget; None: no tuning.
    tuning: TuningConfig | None = None
    report: ReportConfig = dataclasses.field(default_factory=ReportConfig)
    enable_cache: bool = True
    # Where this repository lives where components run (the container image: /pipeline); None: here.
    runtime_repo_root: str | None = None
    beam_args: tuple[str, ...] = ("--direct_running_mode=in_memory", "--direct_num_workers=1")
    # Beam worker processes of the ExampleGen on real data (per-user Python work: 124 s -> 84 s on
    # ml-1m with 2; the synthetic sample stays in-process, where starting workers costs more than it
    # saves); the other Beam components measured slower with worker processes and keep ``beam_args``.
    example_gen_workers: int = 2
    # Components run side by side by the local runner (pipeline/parallel_runner.py), each in a worker
    # process; 1: TFX's LocalDagRunner, one at a time in this process.
    parallel_components: int = 2
    # The Evaluators' baseline leaves out the model being evaluated (pipeline/baseline.py), so a
    # rerun on unchanged data is cached end to end. Off for Kubeflow: its compiler takes only TFX's
    # built-in resolver strategies (there: TFX's LatestBlessedModelStrategy).
    baseline_excludes_candidate: bool = True
    # A run refuses to start with less free space than this on the work dir's disk (pipeline/work_dir.py).
    min_free_bytes: int = 256 << 20
    # ML Metadata: None for the SQLite file in the work dir, or mysql://USER@HOST:PORT/DATABASE
    # (the password from $MOVIEREC_MYSQL_PASSWORD; pipeline/metadata_store.py).
    metadata_uri: str | None = None

    @property
    def pipeline_root(self) -> str:
        return os.path.join(self.work_dir, "pipeline_root")

    @property
    def metadata_path(self) -> str:
        """The metadata source (pipeline/metadata_store.py): ``metadata_uri`` if set, else the work
        dir's SQLite file."""
        return self.metadata_uri or os.path.join(self.work_dir, "metadata.sqlite")

    @property
    def views_dir(self) -> str:
        return os.path.join(self.work_dir, "views")

    @property
    def sample_dir(self) -> str:
        return os.path.join(self.work_dir, "sample-data")

    @property
    def serving_dir(self) -> str:
        return os.path.join(self.work_dir, "serving")

    @property
    def curated_schema(self) -> str | None:
        """The curated schema file when one is configured and exists."""
        if self.schema_path and os.path.exists(self.schema_path):
            return self.schema_path
        return None

    def runtime_path(self, path: str) -> str:
        """A file of this repository as components see it (mapped into the image when configured)."""
        absolute = os.path.abspath(path)
        if self.runtime_repo_root and absolute.startswith(str(REPO_ROOT) + os.sep):
            return os.path.join(self.runtime_repo_root, os.path.relpath(absolute, REPO_ROOT))
        return absolute

    def replace(self, **changes: object) -> PipelineConfig:
        return dataclasses.replace(self, **changes)
