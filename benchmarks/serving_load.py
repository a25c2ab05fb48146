"""Benchmark: latency and throughput of retrieve, rank and recommend through the local model server.

    .venv/bin/python benchmarks/serving_load.py [--serving-dir work/serving] [--seconds 5]

Protocol: `movierec serve --local` runs in its own process on 127.0.0.1 with the models pushed to
the serving directory; this process is the load generator: N threads (concurrency 1, 8, 32), each
with its own client, call one operation back to back for a fixed time after a warm-up; latencies are
per call as the client sees them. retrieve = top 10 for one user; rank = 100 movies for one user;
recommend = retrieve 100, rank them, look up the best 10 (three calls). The floor is the same work
in-process on the loaded SavedModels (no server, no wire), at concurrency 1.
Writes benchmarks/results/serving_load.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import results_file
from benchmarks.machine import describe
from pipeline import env

env.setup()

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ("retrieve", "rank", "recommend")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summarize(latencies: list[float], seconds: float, errors: int) -> dict[str, float]:
    ms = np.asarray(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "requests": len(ms),
        "errors": errors,
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "p99_ms": round(float(p99), 2),
        "throughput_rps": round(len(ms) / seconds, 1),
    }


def run_load(make_call: Callable[[], Callable[[], object]], concurrency: int, seconds: float, warmup: int = 5):
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker() -> None:
        call = make_call()
        for _ in range(warmup):
            call()
        barrier.wait()
        mine: list[float] = []
        while time.perf_counter() < deadline[0]:
            started = time.perf_counter()
            try:
                call()
            except Exception:  # counted, not raised: the table shows errors
                with lock:
                    errors[0] += 1
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + 3600  # set for real once every worker is warm
    barrier.wait()
    started = time.perf_counter()
    deadline[0] = started + seconds
    for t in threads:
        t.join()
    return summarize(latencies, time.perf_counter() - started, errors[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-dir", default=str(ROOT / "work" / "serving"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--output", default=str(RESULTS / "serving_load"))
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    from serving.client import GRPC, REST, ServingClient
    from serving.model_store import version_dirs
    from serving.users import User
    from transform import features as F

    user = User("42", "M", 35, "executive/managerial", F.OCCUPATION_LABEL_IDS["executive/managerial"], "46556")
    grpc_port, rest_port = free_port(), free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--local", "--serving-dir", args.serving_dir,
         "--grpc-port", str(grpc_port), "--rest-port", str(rest_port), "--poll-seconds", "30"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with ServingClient(protocol=REST, rest_port=rest_port, retries=60, backoff=0.5) as probe:
            probe.status("ranking")
            movie_ids = [c.movie_id for c in probe.retrieve(user, 100)]

        def operation(client: ServingClient, name: str) -> Callable[[], object]:
            if name == "retrieve":
                return lambda: client.retrieve(user, 10)
            if name == "rank":
                return lambda: client.rank(user, movie_ids)
            return lambda: client.recommend(user, 10, 100)

        cells = []
        for protocol in (GRPC, REST):
            for name in OPERATIONS:
                for concurrency in levels:

                    def make_call(protocol=protocol, name=name):
                        client = ServingClient(protocol=protocol, grpc_port=grpc_port, rest_port=rest_port)
                        client.rank_signature("ranking")  # metadata lookup once, outside the timing
                        return operation(client, name)

                    result = run_load(make_call, concurrency, args.seconds)
                    cells.append({"protocol": protocol, "operation": name, "concurrency": concurrency, **result})
                    print(json.dumps(cells[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(30)

    cells += in_process_floor(args.serving_dir, user, movie_ids, args.seconds)

    record = {
        "machine": describe(),
        "protocol": __doc__.split("Protocol: ", 1)[1].split("Writes")[0].replace("\n", " ").strip(),
        "serving_dir": args.serving_dir,
        "models": {n: sorted(version_dirs(os.path.join(args.serving_dir, n))) for n in ("retrieval", "ranking")},
        "seconds_per_cell": args.seconds,
        "cells": cells,
    }
    results_file.write(args.output, record, markdown(record))
    return 0


def in_process_floor(serving_dir: str, user, movie_ids: list[str], seconds: float) -> list[dict]:
    """The floor: the same work on the SavedModels in this process, one caller."""
    from serving.model_store import version_dirs
    from serving.servable import Servable
    from transform import features as F

    def load(name: str) -> Servable:
        version = max(version_dirs(os.path.join(serving_dir, name)))
        return Servable(name, version, os.path.join(serving_dir, name, str(version)))

    retrieval, ranking = load("retrieval"), load("ranking")
    row = user.features()
    one = {k: [v] for k, v in row.items()}
    many = {**{k: [v] * len(movie_ids) for k, v in row.items()}, F.MOVIE_ID: movie_ids}

    def in_process_recommend() -> None:
        ids = [m.decode() for m in retrieval.predict("serving_default", one)["movie_ids"][0]]
        rated = ranking.predict("serving_default", {**{k: [v] * len(ids) for k, v in row.items()}, F.MOVIE_ID: ids})
        best = [ids[i] for i in rated["predicted_rating"].argsort()[::-1][:10]]
        ranking.predict("movies", {F.MOVIE_ID: best})

    floor_ops = {
        "retrieve": lambda: retrieval.predict("serving_default", one),
        "rank": lambda: ranking.predict("serving_default", many),
        "recommend": in_process_recommend,
    }
    cells = []
    for name in OPERATIONS:
        result = run_load(lambda name=name: floor_ops[name], 1, seconds)
        cells.append({"protocol": "in-process", "operation": name, "concurrency": 1, **result})
        print(json.dumps(cells[-1]), flush=True)
    return cells


def markdown(record: dict) -> str:
    m = record["machine"]
    lines = [
        "# Serving load: local model server",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; commit {m['commit']}. "
        f"Models: {record['serving_dir']}. {record['seconds_per_cell']:g} s per cell.",
        f"Protocol: {record['protocol']}",
        "",
        "| protocol | operation | concurrency | p50 ms | p95 ms | p99 ms | requests/s | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in record["cells"]:
        lines.append(
            f"| {c['protocol']} | {c['operation']} | {c['concurrency']} | {c['p50_ms']:.1f} | {c['p95_ms']:.1f} | "
            f"{c['p99_ms']:.1f} | {c['throughput_rps']:.0f} | {c['errors']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
