"""A Transform graph on tiny synthetic data (the pipeline up to Transform), and the Trainer's FnArgs for it."""

from __future__ import annotations

import glob
import io
from dataclasses import dataclass
from pathlib import Path

from movielens.synthetic import SyntheticSpec, generate


@dataclass(frozen=True)
class TransformedData:
    transform_graph: str
    raw_examples: str
    catalogue: str
    data_dir: str  # the synthetic MovieLens folder it was made from


def build_transformed(root: Path) -> TransformedData:
    """Run the pipeline up to Transform on tiny synthetic data under ``root`` (reused if it is there)."""
    from pipeline import local_runner
    from pipeline.config import DataConfig, PipelineConfig

    config = PipelineConfig(
        work_dir=str(root / "work"),
        data=DataConfig(data_dir=str(root / "data")),
        models=(),
        transform_without_models=True,
    )
    pr = config.pipeline_root
    if not glob.glob(f"{pr}/Transform/transform_graph/*"):
        generate(root / "data", SyntheticSpec(users=60, movies=40, ratings=1200, seed=3))
        local_runner.run(config, stream=io.StringIO())

    def one(pattern: str) -> str:
        (path,) = glob.glob(f"{pr}/{pattern}")
        return path

    return TransformedData(
        transform_graph=one("Transform/transform_graph/*"),
        raw_examples=one("MovieLensExampleGen/examples/*"),
        catalogue=one("MovieLensExampleGen/catalogue/*"),
        data_dir=str(root / "data"),
    )


def fn_args(data: TransformedData, out, model: dict):
    """The FnArgs TFX's Trainer gives run_fn, for these artifacts."""
    from tfx.components.trainer.fn_args_utils import DataAccessor, FnArgs
    from tfx.components.util import tfxio_utils
    from tfx.types import standard_artifacts

    examples = standard_artifacts.Examples()
    examples.uri = data.raw_examples
    examples.split_names = '["train", "eval"]'
    accessor = DataAccessor(
        tf_dataset_factory=tfxio_utils.get_tf_dataset_factory_from_artifact([examples], []),
        record_batch_factory=None,
        data_view_decode_fn=None,
    )
    return FnArgs(
        train_files=[f"{data.raw_examples}/Split-train/*"],
        eval_files=[f"{data.raw_examples}/Split-eval/*"],
        transform_output=data.transform_graph,
        serving_model_dir=str(out / "serving"),
        model_run_dir=str(out / "run"),
        data_accessor=accessor,
        custom_config={"model": model, "catalogue_uri": data.catalogue},
    )
