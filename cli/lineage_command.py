"""`movierec lineage`: the chain that produced a pushed model, from ML Metadata."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from pipeline.config import DEFAULT_WORK_DIR, PipelineConfig


def add_parser(sub: argparse._SubParsersAction, add_work_dir) -> None:
    lineage = sub.add_parser(
        "lineage", help="how a pushed model was made: data, split, statistics, schema, anomalies, training, evaluation"
    )
    add_work_dir(lineage)
    lineage.add_argument("--model", default="retrieval", help="the model's name, as in the serving folder")
    lineage.add_argument("--version", type=int, default=None, help="a pushed version (default: the latest)")
    lineage.add_argument("--json", action="store_true", help="print JSON instead of text")


def cmd_lineage(args: argparse.Namespace) -> int:
    from pipeline import lineage, metadata_store

    config = PipelineConfig(work_dir=args.work_dir or str(DEFAULT_WORK_DIR), metadata_uri=args.metadata)
    source = config.metadata_path
    if not metadata_store.exists(source):
        print(f"movierec lineage: {source}: no ML Metadata yet (run `movierec run` first)", file=sys.stderr)
        return 2
    try:
        pushed, steps = lineage.lineage(source, args.model, args.version)
    except (lineage.LineageError, ValueError) as e:
        print(f"movierec lineage: {e}", file=sys.stderr)
        return 1
    if args.json:
        doc = {"pushed": dataclasses.asdict(pushed), "steps": [dataclasses.asdict(s) for s in steps]}
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(lineage.render(args.model, pushed, steps))
    return 0
