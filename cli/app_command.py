"""`movierec app`: the recommender web page, beside `movierec serve` (or TF Serving)."""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.config import DEFAULT_WORK_DIR, PipelineConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    app = sub.add_parser("app", help="a web page: pick or build a profile, rate movies, see recommendations and why")
    app.add_argument("--host", default="127.0.0.1", help="where the page listens (%(default)s)")
    app.add_argument("--port", type=int, default=8080)
    app.add_argument("--server-host", default="127.0.0.1", help="the model server (TF Serving or `movierec serve`)")
    app.add_argument("--protocol", choices=["rest", "grpc"], default="rest", help="how to reach it (%(default)s)")
    app.add_argument("--grpc-port", type=int, default=8500)
    app.add_argument("--rest-port", type=int, default=8501)
    app.add_argument(
        "--data-dir", default=None, help="MovieLens data: known users and the catalogue (default: the sample)"
    )
    app.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR))


def cmd_app(args: argparse.Namespace) -> int:
    from webapp import web
    from webapp.service import AppConfig, RecommenderService

    data_dir = args.data_dir or PipelineConfig(work_dir=args.work_dir).sample_dir
    if not os.path.exists(data_dir):
        print(f"movierec app: {data_dir}: no data (run `make run` first, or pass --data-dir)", file=sys.stderr)
        return 2
    config = AppConfig(
        data_dir=data_dir, host=args.host, port=args.port, server_host=args.server_host, protocol=args.protocol,
        grpc_port=args.grpc_port, rest_port=args.rest_port,
    )  # fmt: skip
    print(f"[movierec] reading {data_dir}", flush=True)
    service = RecommenderService(config)

    def ready(port: int) -> None:
        print(
            f"[movierec] the app is on http://{args.host}:{port}/ (model server {config.server}; "
            f"{len(service.catalogue.movies)} movies). Ctrl-C stops.",
            flush=True,
        )

    try:
        web.serve(config, service, ready)
    except KeyboardInterrupt:
        pass
    return 0
