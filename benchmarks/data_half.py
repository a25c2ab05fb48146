"""Benchmark: the data half of the pipeline on real MovieLens 1M (wall time per component, peak memory).

    .venv/bin/python benchmarks/data_half.py --data-dir ../shared/data/ml-1m --enrichment-dir ../shared/data/enrich

Writes benchmarks/results/data_half.json and data_half.md. MovieLens is never committed: point
--data-dir (or MOVIEREC_ML1M) at a local copy (`movierec download ml-1m` fetches one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import describe
from pipeline import env

env.setup()

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATA = os.environ.get("MOVIEREC_ML1M", str(Path.home() / ".cache/movierec/ml-1m"))  # movierec download ml-1m


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--enrichment-dir", default=None)
    parser.add_argument("--split", choices=["random", "temporal"], default="random")
    parser.add_argument("--work-dir", default=None, help="default: a fresh temporary folder")
    parser.add_argument("--output", default=str(RESULTS / "data_half"))
    args = parser.parse_args()

    from pipeline import local_runner, outputs
    from pipeline.config import DataConfig, PipelineConfig
    from pipeline.pipeline_ids import EXAMPLE_GEN

    work = args.work_dir or tempfile.mkdtemp(prefix="movierec-bench-")
    config = PipelineConfig(
        work_dir=work,
        data=DataConfig(data_dir=args.data_dir, enrichment_dir=args.enrichment_dir, split=args.split),
        enable_cache=False,
        models=(),  # the data half only (no model: no Transform)
    )
    started = time.perf_counter()
    result = local_runner.run(config)
    wall = time.perf_counter() - started
    examples = outputs.latest_artifact(config.metadata_path, "Examples", EXAMPLE_GEN)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    record = {
        "benchmark": "data_half",
        "protocol": "one cold run of MovieLensExampleGen -> StatisticsGen -> SchemaGen -> ImportSchemaGen -> "
        "ExampleValidator -> AnomalyGate -> ExplorationReport (`movierec run --models none`: cache off, "
        "independent components side by side in 2 worker processes, Beam DirectRunner: ExampleGen with "
        "the configured worker processes on real data, the others in_memory with 1 worker), "
        f"{args.split} 80/20 split; wall time per component from the runner's start/finish lines; "
        "peak RSS from getrusage (this process and its workers)",
        "data": {
            "dir": args.data_dir,
            "enrichment": args.enrichment_dir or "auto",
            **(examples.properties if examples else {}),
        },
        "machine": describe(),
        "component_seconds": {k: round(v, 2) for k, v in result.durations.items()},
        "pipeline_seconds": round(result.wall_seconds, 1),
        "total_seconds_with_imports": round(wall, 1),
        "peak_rss_mib": {"process": round(peak_self), "children": round(peak_children)},
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Data half on MovieLens 1M",
        "",
        f"Machine: {record['machine']['cpu']}, {record['machine']['cores']} cores, "
        f"{record['machine']['memory_gib']} GiB; commit {record['machine']['commit']}.",
        f"Data: {args.data_dir} ({record['data'].get('train_examples')} train / "
        f"{record['data'].get('eval_examples')} eval examples, "
        f"enrichment: {record['data'].get('enrichment') or 'none'}).",
        f"Protocol: {record['protocol']}.",
        "",
        "| component | seconds |",
        "|---|---:|",
        *[f"| {k} | {v:.1f} |" for k, v in record["component_seconds"].items()],
        f"| **pipeline ({config.parallel_components} components side by side)** | "
        f"**{record['pipeline_seconds']:.1f}** |",
        f"| total incl. imports | {record['total_seconds_with_imports']:.1f} |",
        "",
        f"Peak RSS: {max(record['peak_rss_mib'].values())} MiB (the largest of this process and its workers).",
    ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
