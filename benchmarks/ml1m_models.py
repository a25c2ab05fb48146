"""Benchmark: the full pipeline on real MovieLens 1M, every model, beside the report's figures.

    .venv/bin/python benchmarks/ml1m_models.py --data-dir ../shared/data/ml-1m --epochs 10

Protocol (the report's): random 80/20 split (seed 42), all 3,883 movies as candidates, seen movies
not filtered; top-K accuracy = share of eval ratings whose movie is in the model's top K for that
(user, time) query; RMSE on the eval split. Writes benchmarks/results/ml1m_models.{json,md}.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import results_file
from benchmarks.machine import describe
from pipeline import env

env.setup()

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATA = os.environ.get("MOVIEREC_ML1M", str(Path(__file__).resolve().parents[2] / "shared/data/ml-1m"))
PROTOCOL = (
    "the report's: random 80/20 split (seed 42), all 3,883 movies as candidates, seen movies not filtered; "
    "top-K accuracy = share of eval ratings whose movie is in the model's top K for that (user, time) query; "
    "RMSE on the eval split; one cold LocalDagRunner run, cache off"
)
REPORT = {  # "Movies Recommendation Engine using TFRS" (tables 7, 8, 9)
    "retrieval": {
        "top_k_accuracy@1": 0.0033,
        "top_k_accuracy@5": 0.0222,
        "top_k_accuracy@10": 0.0431,
        "top_k_accuracy@50": 0.1597,
        "top_k_accuracy@100": 0.2590,
    },
    "ranking": {"rmse": 0.866},
    "multitask": {"top_k_accuracy@100": 0.158, "rmse": 0.974},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--work-dir", default=None)
    parser.add_argument("--output", default=str(RESULTS / "ml1m_models"))
    args = parser.parse_args()

    from pipeline import local_runner, report
    from pipeline.config import DataConfig, PipelineConfig
    from pipeline.pipeline_ids import trainer_id
    from trainer.config import ModelConfig

    d, e = args.embedding_dim, args.epochs
    models = (
        ModelConfig(
            kind="retrieval", embedding_dim=d, epochs=e, batch_size=1024, optimizer="adam", learning_rate=0.005
        ),
        ModelConfig(kind="ranking", embedding_dim=d, epochs=e, batch_size=1024, optimizer="adam", learning_rate=0.001),
        ModelConfig(
            kind="multitask", embedding_dim=d, epochs=e, batch_size=1024, optimizer="adam", learning_rate=0.005
        ),
    )
    work = args.work_dir or tempfile.mkdtemp(prefix="movierec-ml1m-")
    config = PipelineConfig(work_dir=work, data=DataConfig(data_dir=args.data_dir), models=models, enable_cache=False)
    started = time.perf_counter()
    result = local_runner.run(config)
    wall = time.perf_counter() - started

    record: dict = {
        "benchmark": "ml1m_models",
        "protocol": PROTOCOL,
        "data": args.data_dir,
        "machine": describe(),
        "component_seconds": {k: round(v, 1) for k, v in result.durations.items()},
        "pipeline_seconds": round(result.wall_seconds, 1),
        "total_seconds_with_imports": round(wall, 1),
        "models": {},
    }
    for model in models:
        metrics = report.model_metrics(config.metadata_path, model.kind)
        runs = sorted(
            glob.glob(os.path.join(config.pipeline_root, trainer_id(model.kind), "model_run", "*", "history.json"))
        )
        history = json.load(open(runs[-1])) if runs else {}
        seconds = history.get("epoch_seconds", [])
        train_examples = 800_167
        record["models"][model.kind] = {
            "config": model.to_dict(),
            "metrics": metrics,
            "report": REPORT[model.kind],
            "median_epoch_seconds": sorted(seconds)[len(seconds) // 2] if seconds else None,
            "examples_per_second": round(train_examples / sorted(seconds)[len(seconds) // 2]) if seconds else None,
        }
    results_file.write(args.output, record, markdown(record))
    return 0


def markdown(record: dict) -> str:
    m = record["machine"]
    lines = [
        "# Models on MovieLens 1M",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; commit {m['commit']}.",
        f"Protocol: {record['protocol']}. Epochs per model below (the report trained retrieval 32 epochs).",
        "",
        "| model | metric | movierec | report |",
        "|---|---|---:|---:|",
    ]
    for kind, entry in record["models"].items():
        for key, ours in entry["metrics"].items():
            if key.startswith(("top_k_accuracy", "popularity_accuracy", "recall@100")) or key in ("rmse",):
                theirs = entry["report"].get(key)
                lines.append(f"| {kind} | {key} | {ours:.4f} | {'' if theirs is None else f'{theirs:.4f}'} |")
    lines += ["", "| model | epochs | batch | median s/epoch | examples/s |", "|---|---:|---:|---:|---:|"]
    for kind, entry in record["models"].items():
        c = entry["config"]
        lines.append(
            f"| {kind} | {c['epochs']} | {c['batch_size']} | {entry['median_epoch_seconds']:.1f} | "
            f"{entry['examples_per_second']} |"
        )
    lines += ["", "| component | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in record["component_seconds"].items()]
    lines.append(f"| **pipeline (LocalDagRunner)** | **{record['pipeline_seconds']:.1f}** |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
