"""Benchmark: the full pipeline on real MovieLens, every model, beside the report, popularity and EASE.

    .venv/bin/python benchmarks/ml1m_models.py --data-dir ../shared/data/ml-1m
    .venv/bin/python benchmarks/ml1m_models.py --data-dir ../shared/data/ml-100k \
        --output benchmarks/results/ml100k_models

Two protocols on the same random 80/20 split (seed 42), in the same run (benchmarks/offline_eval.py):
the report's (one query per eval rating, every movie a candidate, nothing excluded: top-K
accuracy) and the per-user view (one query per eval user with their train movies as history and
excluded: precision/recall/NDCG@10, top-100 accuracy, coverage@10). Models are measured through
their exported signatures; popularity and EASE (lambda 500) are computed here with numpy; the
two-stage recommend (retrieve 100 unseen, rank, keep 10) goes through the pushed SavedModels.
Writes benchmarks/results/ml1m_models.{json,md}.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import re
import resource
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
DEFAULT_DATA = os.environ.get("MOVIEREC_ML1M", str(Path.home() / ".cache/movierec/ml-1m"))  # movierec download ml-1m
PROTOCOL = (
    "random 80/20 split (seed 42), every catalogue movie a candidate. Report's protocol: one query per eval rating "
    "(user, time, history = the user's train ratings before that time), nothing excluded; top-K accuracy = share "
    "of eval ratings whose movie is in the top K. Per-user view: one query per eval user (history = all their train "
    "movies, time = their latest train rating), train movies excluded; precision@10, recall@10 (hits / the user's "
    "eval movies), NDCG@10, top-100 accuracy (per eval rating), coverage@10 (share of the catalogue in anyone's "
    "top 10). RMSE on the eval split. One cold run of `movierec run`'s local runner (fresh work dir; independent "
    "components side by side in 2 worker processes, pipeline/parallel_runner.py), then `movierec run` again from a "
    "fresh process on the same work dir (the cached rerun)"
)
METRIC_KEYS = (
    *(f"top_k_accuracy@{k}" for k in (1, 5, 10, 50, 100)),
    "filtered_precision@10",
    "filtered_recall@10",
    "filtered_ndcg@10",
    "filtered_top_k_accuracy@100",
    "coverage@10",
    "rmse",
)
RATING_WEIGHTS = (0.0, 0.1, 0.5, 2.0)
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
    parser.add_argument("--enrichment-dir", default=None)
    parser.add_argument("--epochs", type=int, default=None, help="override every model's epochs")
    parser.add_argument("--models", default=None, help="as `movierec run --models` (default: its default models)")
    parser.add_argument("--work-dir", default=None)
    parser.add_argument("--output", default=str(RESULTS / "ml1m_models"))
    args = parser.parse_args()

    from cli.main import build_parser, config_from_args
    from pipeline import local_runner

    work = args.work_dir or tempfile.mkdtemp(prefix="movierec-bench-")
    argv = ["run", "--data-dir", args.data_dir, "--work-dir", work, "--model-sizes", "movielens"]
    if args.enrichment_dir:
        argv += ["--enrichment-dir", args.enrichment_dir]
    if args.models:
        argv += ["--models", args.models]
    config = config_from_args(build_parser().parse_args(argv))  # exactly what `movierec run` builds
    if args.epochs:
        config = dataclasses.replace(
            config, models=tuple(dataclasses.replace(m, epochs=args.epochs) for m in config.models)
        )
    # cold: a fresh work dir (nothing in ML Metadata to reuse); console and log as `movierec run` has them
    started = time.perf_counter()
    log_file = local_runner.new_log_file(config)
    with env.output_to_log(log_file) as console:
        result = local_runner.run(config, console.err, log_file=log_file)
    wall = time.perf_counter() - started
    # the largest of this process and the runner's worker processes (they have ended by now)
    peak_rss_mib = (
        max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    )
    rerun = None if args.epochs else cached_rerun(argv, config)
    record: dict = {
        "benchmark": "ml1m_models",
        "protocol": PROTOCOL,
        "data": args.data_dir + (f" (enriched from {args.enrichment_dir})" if args.enrichment_dir else ""),
        "machine": describe(),
        "component_seconds": {k: round(v, 1) for k, v in result.durations.items()},
        "pipeline_seconds": round(result.wall_seconds, 1),
        "parallel_components": config.parallel_components,
        "total_seconds_with_imports": round(wall, 1),
        "peak_rss_mib": round(peak_rss_mib),
        **(rerun or {}),
        "models": model_entries(config, config.models),
    }
    started = time.perf_counter()
    record["models"].update(baselines_and_recommend(config))
    record["offline_eval_seconds"] = round(time.perf_counter() - started, 1)
    results_file.write(args.output, record, markdown(record))
    return 0


def biased_mf_baseline(split) -> dict:
    """Biased MF (benchmarks/biased_mf.py) on the train split, its L2 chosen on every 8th train
    rating held out (never the eval split), then refitted on the whole train split: eval RMSE."""
    import numpy as np

    from benchmarks import biased_mf

    tr, ev = split.train, split.eval
    n_users, n_items = len(split.users), len(split.movies)
    held = np.arange(len(tr["rating"])) % 8 == 0
    scores = {}
    for l2 in (10.0, 25.0, 50.0, 100.0, 200.0):
        fitted = biased_mf.fit(tr["user"][~held], tr["movie"][~held], tr["rating"][~held], n_users, n_items, l2=l2)
        scores[l2] = biased_mf.rmse(fitted, tr["user"][held], tr["movie"][held], tr["rating"][held])
    best = min(scores, key=scores.get)
    model = biased_mf.fit(tr["user"], tr["movie"], tr["rating"], n_users, n_items, l2=best)
    return {
        "config": {
            "dim": 32,
            "l2": best,
            "iterations": 10,
            "validation_rmse": {str(k): round(v, 4) for k, v in scores.items()},
        },
        "metrics": {"rmse": biased_mf.rmse(model, ev["user"], ev["movie"], ev["rating"])},
    }


def serving_versions(config) -> int:
    return len(glob.glob(os.path.join(config.serving_dir, "*", "*")))


def cached_rerun(argv: list[str], config) -> dict:
    """`movierec run` again from a fresh shell on the same data, code and work dir: seconds
    (imports included), the components that did not come from the cache, new versions pushed."""
    import subprocess

    before = serving_versions(config)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *argv], capture_output=True, text=True, cwd=Path(__file__).parent.parent
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the cached rerun failed:\n{done.stderr[-4000:]}")
    finished = re.findall(r"✔ (\S+) finished in [0-9.]+ s( \(cached\))?", done.stderr)
    return {
        "cached_rerun_seconds": round(seconds, 1),
        "cached_rerun_executed": [name for name, cached in finished if not cached],
        "cached_rerun_new_versions": serving_versions(config) - before,
    }


def model_entries(config, models) -> dict:
    from pipeline import run_summary
    from pipeline.pipeline_ids import trainer_id
    from trainer.config import HISTORY_FILE

    entries = {}
    for model in models:
        metrics = run_summary.model_metrics(config.metadata_path, model.name)
        runs = sorted(
            glob.glob(os.path.join(config.pipeline_root, trainer_id(model.name), "model_run", "*", HISTORY_FILE))
        )
        history = json.load(open(runs[-1])) if runs else {}
        seconds = history.get("epoch_seconds", [])
        median = sorted(seconds)[len(seconds) // 2] if seconds else None
        entries[model.name] = {
            "config": model.to_dict(),
            "metrics": {k: v for k, v in metrics.items() if k in METRIC_KEYS or k.startswith(("popularity_", "ndcg@"))},
            "report": REPORT[model.kind],  # DCN: the report's ranking RMSE
            "epoch_seconds": seconds,
            "median_epoch_seconds": median,
            "train_examples_per_second": round(history.get("train_examples", 0) / median) if median else None,
        }
    return entries


def baselines_and_recommend(config) -> dict:
    """Popularity and EASE under both protocols, and recommend through the pushed models."""
    import numpy as np

    from benchmarks import offline_eval as O
    from components.topk_evaluator.split_arrays import read_split, split_files
    from movielens.catalogue import read_catalogue
    from pipeline import outputs
    from pipeline.config import DEFAULT_EASE_L2
    from pipeline.pipeline_ids import EXAMPLE_GEN

    examples = outputs.latest_artifact(config.metadata_path, "Examples", EXAMPLE_GEN)
    catalogue = outputs.latest_artifact(config.metadata_path, "movierec.MovieCatalogue", EXAMPLE_GEN)
    movie_ids = np.array(sorted((m["movie_id"].encode() for m in read_catalogue(catalogue.uri)), key=lambda b: int(b)))
    split = read_split(examples.uri, movie_ids)
    x = split.matrix()
    popularity = x.sum(0)
    b = O.fit_ease(split, DEFAULT_EASE_L2)
    out = {
        "popularity": {
            "metrics": {
                **O.report_protocol(split, lambda u: np.tile(popularity, (len(u), 1))),
                **O.per_user_view(split, lambda u: O.top_unseen_of(np.tile(popularity, (len(u), 1)), x[u])),
            }
        },
        "ease": {
            "config": {"l2": DEFAULT_EASE_L2},
            "metrics": {
                **O.report_protocol(split, lambda u: x[u] @ b),
                **O.per_user_view(split, lambda u: O.top_unseen_of(x[u] @ b, x[u])),
            },
        },
        "biased_mf": biased_mf_baseline(split),
    }
    serving = {}
    for kind in ("retrieval", "ranking", "multitask", "dcn", "listwise", "pairwise"):
        versions = sorted(glob.glob(os.path.join(config.serving_dir, kind, "*")))
        if versions:
            serving[kind] = versions[-1]
    if "retrieval" in serving and ("ranking" in serving or "multitask" in serving):
        ranker, signature = (
            (serving["ranking"], "serving_default") if "ranking" in serving else (serving["multitask"], "rank")
        )
        lists = O.recommend_lists(split, serving["retrieval"], ranker, RATING_WEIGHTS, signature)
        from serving.client import DEFAULT_RATING_WEIGHT

        for w, per_user in lists.items():
            metrics = O.per_user_view(split, lambda u, p=per_user: np.array([p[int(i)] for i in u]))
            key = "recommend" if w == DEFAULT_RATING_WEIGHT else f"recommend_w{w:g}"
            out[key] = {
                "config": {"rating_weight": w, "ranker": os.path.basename(os.path.dirname(ranker))},
                "metrics": metrics,
            }
    # Rankers on the same per-user lists of eval ratings (pointwise, DCN, pairwise, listwise), and
    # recommend with the list-trained rankers (their score is not on the star scale: every weight).
    eval_files = split_files(examples.uri, "eval")
    lists = {
        k: O.list_metrics(split, eval_files, serving[k])
        for k in ("ranking", "dcn", "pairwise", "listwise")
        if k in serving
    }
    if lists:
        out["ranking_lists"] = lists
    for kind in ("listwise", "pairwise"):
        if "retrieval" in serving and kind in serving:
            for w, per_user in O.recommend_lists(split, serving["retrieval"], serving[kind], RATING_WEIGHTS).items():
                metrics = O.per_user_view(split, lambda u, p=per_user: np.array([p[int(i)] for i in u]))
                out[f"recommend_{kind}_w{w:g}"] = {"config": {"rating_weight": w, "ranker": kind}, "metrics": metrics}
    return out


def markdown(record: dict) -> str:
    m = record["machine"]
    lines = [
        "# Models on MovieLens",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; commit {m['commit']}.",
        f"Data: {record['data']}.",
        f"Protocol: {record['protocol']}.",
        "",
        "| model | " + " | ".join(METRIC_KEYS) + " |",
        "|---|" + "---:|" * len(METRIC_KEYS),
    ]
    report_row = {**REPORT["retrieval"], "rmse": REPORT["ranking"]["rmse"]}
    lines.append(
        "| the report (retrieval; ranking RMSE) | " + " | ".join(_fmt(report_row.get(k)) for k in METRIC_KEYS) + " |"
    )
    lines.append(
        "| the report (joint model) | " + " | ".join(_fmt(REPORT["multitask"].get(k)) for k in METRIC_KEYS) + " |"
    )
    lists = record["models"].get("ranking_lists", {})
    for kind, entry in record["models"].items():
        if kind != "ranking_lists":
            lines.append(f"| {kind} | " + " | ".join(_fmt(entry["metrics"].get(k)) for k in METRIC_KEYS) + " |")
    if lists:
        lines += [
            "",
            "Rankers on the same per-user lists of eval ratings (5 lists of up to 10 a user, seed 0; gain 2^stars - 1; "
            "MRR of the first 4+ star movie), each eval example scored through the model's `tf_example` signature:",
            "",
            "| ranker | training | NDCG@5 | NDCG@10 | MRR | RMSE |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for kind, m in lists.items():
            loss = record["models"].get(kind, {}).get("config", {}).get("ranking_loss", "mse")
            rmse = record["models"].get(kind, {}).get("metrics", {}).get("rmse")
            training = {"mse": "pointwise (MSE)", "hinge": "pairwise (hinge)"}.get(loss, f"listwise ({loss})")
            lines.append(
                f"| {kind} | {training} | {_fmt(m['list_ndcg@5'])} | {_fmt(m['list_ndcg@10'])} | "
                f"{_fmt(m['list_mrr'])} | {_fmt(rmse)} |"
            )
    lines += ["", "| model | epochs | batch | median s/epoch | train examples/s |", "|---|---:|---:|---:|---:|"]
    for kind, entry in record["models"].items():
        if "epoch_seconds" in entry:
            c = entry["config"]
            lines.append(
                f"| {kind} | {c['epochs']} | {c['batch_size']} | {_fmt(entry['median_epoch_seconds'], 1)} | "
                f"{entry['train_examples_per_second']} |"
            )
    lines += ["", "| component | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in record["component_seconds"].items()]
    side = record.get("parallel_components", 1)
    runner = f"{side} components side by side" if side > 1 else "LocalDagRunner"
    lines.append(f"| **pipeline ({runner})** | **{record['pipeline_seconds']:.1f}** |")
    lines.append(f"| offline evaluation (baselines, recommend) | {record.get('offline_eval_seconds', 0):.1f} |")
    if "cached_rerun_seconds" in record:
        executed = ", ".join(record["cached_rerun_executed"]) or "none"
        lines += [
            "",
            f"Cached rerun (`movierec run` again, same data/code/work dir, imports included): "
            f"**{record['cached_rerun_seconds']:.1f} s**; components executed again: {executed}; "
            f"new versions pushed: {record['cached_rerun_new_versions']}.",
        ]
    if "peak_rss_mib" in record:
        rss = record["peak_rss_mib"]
        lines.append(f"Peak RSS of the largest pipeline process (the runner or one of its workers): {rss} MiB.")
    return "\n".join(lines)


def _fmt(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


if __name__ == "__main__":
    sys.exit(main())
