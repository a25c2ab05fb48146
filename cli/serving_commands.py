"""`movierec serve`, `movierec query` and `movierec serving-config` (TF Serving and the local server)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from pipeline.config import DEFAULT_WORK_DIR, PipelineConfig

DEFAULT_SERVING_DIR = PipelineConfig(work_dir=str(DEFAULT_WORK_DIR)).serving_dir


def _policy_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version-policy", choices=["latest", "all", "specific"], default="latest")
    parser.add_argument("--num-versions", type=int, default=1, help="with --version-policy latest (default: 1)")
    parser.add_argument("--versions", default="", help="comma-separated, with --version-policy specific")


def _policy(args: argparse.Namespace):
    from serving.model_config import VersionPolicy

    versions = tuple(int(v) for v in args.versions.split(",") if v.strip())
    return VersionPolicy(args.version_policy, args.num_versions, versions)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the pushed models over TF Serving's gRPC and REST APIs")
    serve.add_argument("--serving-dir", default=DEFAULT_SERVING_DIR, help="where `movierec run` pushes (%(default)s)")
    serve.add_argument("--host", default="127.0.0.1", help="local server only; TF Serving binds all interfaces")
    serve.add_argument("--grpc-port", type=int, default=8500)
    serve.add_argument("--rest-port", type=int, default=8501)
    serve.add_argument("--model-config-file", default=None, help="a TF Serving models.config (default: every model)")
    serve.add_argument("--poll-seconds", type=float, default=1.0, help="how often to look for new versions")
    serve.add_argument("--local", action="store_true", help="the local server even if tensorflow_model_server is found")
    limits = serve.add_argument_group("limits of the local server (docs/serving.md)")
    limits.add_argument("--max-instances", type=int, default=10_000, help="rows in one predict request (%(default)s)")
    limits.add_argument("--max-body-mb", type=float, default=64, help="REST body / gRPC message size (%(default)s)")
    limits.add_argument(
        "--max-concurrent-requests", type=int, default=16, help="predicts running at once (%(default)s)"
    )
    limits.add_argument(
        "--max-queued-requests", type=int, default=512, help="waiting beyond those; then 429 (%(default)s)"
    )
    limits.add_argument(
        "--allow-model-root",
        action="append",
        default=[],
        help="a folder HandleReloadConfigRequest may load models from besides --serving-dir (repeatable)",
    )
    _policy_args(serve)

    query = sub.add_parser("query", help="recommendations for a user from a running model server")
    who = query.add_argument_group("the user (a known id, or demographics for a new user)")
    who.add_argument(
        "--user-id", default="", help="looked up in --data-dir for the user's demographics and history (ratings)"
    )
    who.add_argument("--age", type=int, default=None, help="age in years")
    who.add_argument("--gender", choices=["F", "M"], default=None)
    who.add_argument("--occupation", default=None, help="e.g. programmer, 'college/grad student', writer")
    who.add_argument("--zip", default=None)
    who.add_argument("--timestamp", type=int, default=None, help="seconds since 1970 (default: now)")
    who.add_argument(
        "--history",
        default=None,
        help="movie ids the user rated, most recent first, e.g. 1,2,3 (replaces the looked-up history; "
        "stars unknown, sent as 0; '' for none: a cold start)",
    )
    query.add_argument("--data-dir", default=None, help="MovieLens data with users.dat (default: the sample)")
    query.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR))
    query.add_argument("--k", type=int, default=10)
    query.add_argument("--candidates", type=int, default=100, help="retrieved before ranking (default: 100)")
    query.add_argument(
        "--include-seen", action="store_true", help="also recommend movies in the history (default: unseen only)"
    )
    query.add_argument(
        "--rating-weight",
        type=float,
        default=None,
        help="order by retrieval score + this x predicted rating; 0 keeps the retrieval order "
        "(default: serving.client.DEFAULT_RATING_WEIGHT)",
    )
    query.add_argument("--protocol", choices=["grpc", "rest"], default="grpc")
    query.add_argument("--host", default="127.0.0.1")
    query.add_argument("--grpc-port", type=int, default=8500)
    query.add_argument("--rest-port", type=int, default=8501)
    query.add_argument("--retrieval-model", default="retrieval")
    query.add_argument(
        "--ranking-model", default="ranking", help="ranking, multitask (its rank signature), dcn, listwise or pairwise"
    )
    query.add_argument("--timeout", type=float, default=10.0)
    query.add_argument("--json", action="store_true", help="print JSON instead of a table")

    config = sub.add_parser("serving-config", help="write models.config, monitoring.config, batching.config")
    config.add_argument("--serving-dir", default=DEFAULT_SERVING_DIR)
    config.add_argument("--base-path", default="/models", help="the models' folder inside the server (%(default)s)")
    config.add_argument("--output", default="deploy/tfserving")
    _policy_args(config)


def cmd_serve(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.serving_dir) and not args.model_config_file:
        print(f"movierec serve: {args.serving_dir}: no serving directory (run `movierec run` first)", file=sys.stderr)
        return 2
    from serving.limits import ServingLimits
    from serving.server import ServerOptions, serve

    try:
        limits = ServingLimits(
            max_instances=args.max_instances,
            max_body_bytes=int(args.max_body_mb * (1 << 20)),
            max_concurrent_requests=args.max_concurrent_requests,
            max_queued_requests=args.max_queued_requests,
        )
    except ValueError as e:
        print(f"movierec serve: {e}", file=sys.stderr)
        return 2
    options = ServerOptions(
        serving_dir=args.serving_dir,
        host=args.host,
        grpc_port=args.grpc_port,
        rest_port=args.rest_port,
        model_config_file=args.model_config_file,
        policy=_policy(args),
        poll_seconds=args.poll_seconds,
        limits=limits,
        allowed_model_roots=tuple(os.path.abspath(r) for r in args.allow_model_root),
    )
    config_dir = os.path.join(os.path.dirname(os.path.abspath(args.serving_dir)), "serving-config")
    return serve(options, sys.stdout, config_dir, use_binary=not args.local)


def _user(args: argparse.Namespace):
    from serving.users import User, from_data

    user = None
    if args.user_id:
        data_dir = args.data_dir or PipelineConfig(work_dir=args.work_dir).sample_dir
        if os.path.exists(data_dir):
            user = from_data(data_dir, args.user_id, history=args.history is None)
        if user is None:
            print(
                f"[movierec] user {args.user_id} is not in {data_dir}: out-of-vocabulary features"
                + (", no history" if args.history is None else ""),
                file=sys.stderr,
            )
    if user is None or any(v is not None for v in (args.age, args.gender, args.occupation, args.zip)):
        base = user or User(user_id=args.user_id)
        user = User.new(  # flags given replace what is known (a bucket value is its own age bucket)
            age=args.age if args.age is not None else base.age,
            gender=args.gender if args.gender is not None else base.gender,
            occupation_name=args.occupation if args.occupation is not None else base.occupation_text,
            zip_code=args.zip if args.zip is not None else base.zip_code,
            user_id=args.user_id,
            history=base.history,
            history_ratings=base.history_ratings,
        )
    if args.history is not None:  # by hand: replaces the looked-up history; stars unknown (0)
        history = tuple(m.strip() for m in args.history.split(",") if m.strip())
        user = dataclasses.replace(user, history=history, history_ratings=())
    return dataclasses.replace(user, timestamp=args.timestamp)


def cmd_query(args: argparse.Namespace) -> int:
    from serving.client import DEFAULT_RATING_WEIGHT, ServingClient
    from serving.errors import ServingError

    try:
        user = _user(args)
    except ValueError as e:
        print(f"movierec query: {e}", file=sys.stderr)
        return 2
    weight = DEFAULT_RATING_WEIGHT if args.rating_weight is None else args.rating_weight
    client = ServingClient(
        args.host, args.protocol, args.grpc_port, args.rest_port, timeout=args.timeout, retries=2, backoff=0.5
    )
    try:
        with client:
            recs = client.recommend(
                user,
                args.k,
                args.candidates,
                args.retrieval_model,
                args.ranking_model,
                include_seen=args.include_seen,
                rating_weight=weight,
            )
    except ServingError as e:
        port = args.grpc_port if args.protocol == "grpc" else args.rest_port
        print(f"movierec query: {e} ({args.protocol} {args.host}:{port})", file=sys.stderr)
        if e.code == "UNAVAILABLE":
            print("is the model server running? start it with `movierec serve`", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in recs], indent=2))
        return 0
    shown = ", ".join(f"{k}={v}" for k, v in user.features().items() if k != "timestamp")
    seen = "seen included" if args.include_seen else "unseen only"
    n = len(user.history)
    history = f"history of {n} movie{'s' if n != 1 else ''}" if n else "no history (cold start)"
    print(
        f"top {len(recs)} for {shown}, {history} ({args.protocol}, {args.retrieval_model} -> "
        f"{args.ranking_model}, {seen}, ordered by score + {weight:g} x rating)"
    )
    print(f"{'#':>3}  {'movie':>6}  {'rating':>6}  {'score':>7}  {'total':>7}  {'year':>4}  title  [genres]")
    for r in recs:
        genres = "|".join(r.genres)
        print(
            f"{r.rank:>3}  {r.movie_id:>6}  {r.predicted_rating:6.2f}  {r.retrieval_score:7.3f}  {r.score:7.3f}  "
            f"{r.year:>4}  {r.title}  [{genres}]"
        )
    return 0


def cmd_serving_config(args: argparse.Namespace) -> int:
    from serving import model_config

    config = model_config.for_serving_dir(args.serving_dir, args.base_path, _policy(args))
    names = [m.name for m in config.model_config_list.config]
    if not names:
        print(f"movierec serving-config: no models under {args.serving_dir}", file=sys.stderr)
        return 2
    paths = model_config.write_all(config, args.output)
    print(f"models {', '.join(names)}: wrote {', '.join(paths.values())}")
    return 0


COMMANDS = {"serve": cmd_serve, "query": cmd_query, "serving-config": cmd_serving_config}
