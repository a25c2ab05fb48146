"""Benchmark: the local model server under load while versions are pushed, rolled back and corrupted.

    .venv/bin/python benchmarks/serving_soak.py [--serving-dir work/serving] [--seconds 60]

Protocol: `movierec serve --local` runs in its own process on 127.0.0.1, serving a copy of the
retrieval model (a temporary serving folder; the source folder is not touched). For each
concurrency level (1, 8, 64) that many REST clients and as many gRPC clients call retrieve (top
10 for one user) back to back, with no client retries, for the level's seconds. Meanwhile, at 20%
of the level a new version is pushed (a copy, as the Pusher writes it) and awaited, at 50% it is
removed again (a rollback to the version before), and at 80% a corrupt version is pushed (it must
never be served). Every failed call counts. Latencies are per call as the client sees them; peak
RSS is the server process's high-water mark (VmHWM). Writes benchmarks/results/serving_soak.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import results_file
from benchmarks.machine import describe

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
MODEL = "retrieval"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """`movierec serve --local` in a child process, on free ports."""

    def __init__(self, serving_dir: Path, poll_seconds: float = 0.5) -> None:
        self.grpc_port, self.rest_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--local", "--serving-dir", str(serving_dir),
             "--grpc-port", str(self.grpc_port), "--rest-port", str(self.rest_port),
             "--poll-seconds", str(poll_seconds)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def available(self) -> list[int]:
        from serving.client import REST, ServingClient

        with ServingClient(protocol=REST, rest_port=self.rest_port, retries=0) as c:
            return [int(s["version"]) for s in c.status(MODEL) if s["state"] == "AVAILABLE"]

    def wait_for(self, versions: list[int], seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.available() == versions:
                    return
            except Exception:  # not up yet
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{MODEL} versions {versions} not AVAILABLE within {seconds} s")

    def stop(self) -> float:
        rss = peak_rss_mib(self.process.pid)
        self.process.terminate()
        self.process.wait(30)
        return rss


def summarize(latencies: list[float], errors: list[str], seconds: float) -> dict:
    ms = np.asarray(latencies or [0.0]) * 1000
    p50, p99 = np.percentile(ms, [50, 99])
    return {
        "requests": len(latencies) + len(errors),
        "failures": len(errors),
        "first_failures": sorted(set(errors))[:3],
        "p50_ms": round(float(p50), 2),
        "p99_ms": round(float(p99), 2),
        "rps": round(len(latencies) / seconds, 1),
    }


def soak(source: str, work: Path, levels: list[int], seconds: float) -> dict:
    """Run the protocol against a copy of the SavedModel folder ``source``; the record of every level."""
    from serving.users import User
    from transform import features as F

    user = User("42", "M", 35, "executive/managerial", F.OCCUPATION_LABEL_IDS["executive/managerial"], "46556")
    base = work / "serving" / MODEL
    shutil.copytree(source, base / "1")
    server = Server(work / "serving")
    cells: list[dict] = []
    try:
        server.wait_for([1])
        for concurrency in levels:
            cells += level(server, source, base, user, concurrency, seconds)
    finally:
        rss = server.stop()
    return {"cells": cells, "server_peak_rss_mib": round(rss, 1)}


def level(server: Server, source: str, base: Path, user, concurrency: int, seconds: float) -> list[dict]:
    """One concurrency level: clients of both protocols through a push, a rollback and a corrupt push."""
    from serving.client import GRPC, REST, ServingClient

    latencies: dict[str, list[float]] = {GRPC: [], REST: []}
    errors: dict[str, list[str]] = {GRPC: [], REST: []}
    lock = threading.Lock()
    stop = threading.Event()
    ready = threading.Barrier(2 * concurrency + 1)

    def client_loop(protocol: str) -> None:
        with ServingClient(
            protocol=protocol, grpc_port=server.grpc_port, rest_port=server.rest_port, retries=0, timeout=30
        ) as client:
            client.retrieve(user, 10)  # warm: channel and output names
            ready.wait()
            mine, failed = [], []
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    client.retrieve(user, 10)
                except Exception as e:  # every failure counts
                    failed.append(f"{type(e).__name__}: {str(e)[:120]}")
                    continue
                mine.append(time.perf_counter() - started)
        with lock:
            latencies[protocol].extend(mine)
            errors[protocol].extend(failed)

    threads = [threading.Thread(target=client_loop, args=(p,)) for p in (GRPC, REST) for _ in range(concurrency)]
    for t in threads:
        t.start()
    ready.wait()
    started = time.monotonic()
    events = []

    def at(fraction: float) -> None:
        time.sleep(max(0.0, started + fraction * seconds - time.monotonic()))

    at(0.2)
    shutil.copytree(source, base / "2")  # push
    server.wait_for([2])
    events.append(("pushed 2", round(time.monotonic() - started, 1)))
    at(0.5)
    shutil.rmtree(base / "2")  # roll back to 1
    server.wait_for([1])
    events.append(("rolled back to 1", round(time.monotonic() - started, 1)))
    at(0.8)
    (base / "3").mkdir()
    (base / "3" / "saved_model.pb").write_bytes(b"not a SavedModel")  # a corrupt push
    events.append(("pushed corrupt 3", round(time.monotonic() - started, 1)))
    at(1.0)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    served = server.available()
    shutil.rmtree(base / "3")
    cells = []
    for protocol in (GRPC, REST):
        cell = {"protocol": protocol, "concurrency": concurrency, "seconds": round(elapsed, 1)}
        cell.update(summarize(latencies[protocol], errors[protocol], elapsed))
        cell.update(events=events, served_after=served)
        cells.append(cell)
        print(json.dumps(cell), flush=True)
    return cells


def markdown(record: dict) -> str:
    m = record["machine"]
    lines = [
        "# Serving soak: load through push, rollback and a corrupt push",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; commit {m['commit']}.",
        f"Model: {record['source']}.",
        f"Protocol: {record['protocol']}",
        "",
        "| protocol | clients | seconds | requests | failures | p50 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in record["cells"]:
        lines.append(
            f"| {c['protocol']} | {c['concurrency']} | {c['seconds']} | {c['requests']} | {c['failures']} | "
            f"{c['p50_ms']} | {c['p99_ms']} | {c['rps']} |"
        )
    lines += ["", f"Peak server RSS: {record['server_peak_rss_mib']} MiB."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-dir", default=str(ROOT / "work" / "serving"))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--output", default=str(RESULTS / "serving_soak"))
    args = parser.parse_args()
    from serving.model_store import version_dirs

    versions = version_dirs(os.path.join(args.serving_dir, MODEL))
    if not versions:
        print(f"no {MODEL} model under {args.serving_dir}: run `make run` first", file=sys.stderr)
        return 2
    source = versions[max(versions)]
    with tempfile.TemporaryDirectory() as work:
        record = soak(source, Path(work), [int(c) for c in args.concurrency.split(",")], args.seconds)
    record = {
        "machine": describe(),
        "protocol": __doc__.split("Protocol: ", 1)[1].split("Writes")[0].replace("\n", " ").strip(),
        "source": source,
        "seconds_per_level": args.seconds,
        **record,
    }
    results_file.write(args.output, record, markdown(record))
    return 0 if all(c["failures"] == 0 for c in record["cells"]) else 1


if __name__ == "__main__":
    sys.exit(main())
