"""`movierec report`: the exploration report for a MovieLens folder, without running the pipeline."""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.config import DEFAULT_WORK_DIR, PipelineConfig, ReportConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    defaults = ReportConfig()
    report = sub.add_parser("report", help="write the exploration (EDA) report for a MovieLens data set")
    report.add_argument("--data-dir", default=None, help="an ml-1m/ml-100k folder or zip (default: the sample)")
    report.add_argument("--enrichment-dir", default=None, help="TMDB or extra-info files (default: looked for)")
    report.add_argument("--output", default=os.path.join(str(DEFAULT_WORK_DIR), "report"))
    report.add_argument("--top-n", type=int, default=defaults.top_n)
    report.add_argument("--min-ratings", type=int, default=defaults.min_ratings_best, help="best-loved and worst lists")
    report.add_argument("--state", default=defaults.map_state, help="the state the map shows first (%(default)s)")
    report.add_argument("--cdn", action="store_true", help="load Leaflet from its CDN instead of embedding it")


def cmd_report(args: argparse.Namespace) -> int:
    from exploration import assets, frames
    from exploration.build import build
    from movielens.errors import DataError

    data_dir = args.data_dir or PipelineConfig().sample_dir
    if not os.path.exists(data_dir):
        print(f"movierec report: {data_dir}: not found (`movierec generate --output {data_dir}` makes a sample)",
              file=sys.stderr)  # fmt: skip
        return 2
    config = ReportConfig(
        top_n=args.top_n, min_ratings_best=args.min_ratings, min_ratings_worst=args.min_ratings, map_state=args.state
    )
    try:
        if not args.cdn:
            assets.leaflet()
        print(f"[movierec] reading {data_dir}", flush=True)
        data = frames.from_data_dir(data_dir, args.enrichment_dir)
        print(f"[movierec] {len(data.ratings):,} ratings; writing the report to {args.output}", flush=True)
        result = build(data, args.output, config, offline=not args.cdn, progress=lambda m: print(f"[movierec]   {m}"))
    except (DataError, assets.MissingAsset, ValueError) as e:
        print(f"movierec report: {e}", file=sys.stderr)
        return 1
    print(f"wrote {result.path} ({result.figures} figures, {result.tables} tables) in {result.seconds:.1f} s")
    return 0
