"""Benchmark: how long a cold `movierec query` takes, over gRPC and over REST.

    .venv/bin/python benchmarks/query_latency.py [--serving-dir DIR] [--runs 5] [--output PATH]

Protocol: `movierec serve --local` runs in its own process on 127.0.0.1 (started and warmed up
before the clock starts). Then each protocol in turn, ``--runs`` times: a fresh `movierec query`
process (a new user from demographics, top 3 of 3 candidates: retrieve, rank, titles) is started and
waited for; its wall time (process start to exit) and its peak RSS (``ru_maxrss`` of that child,
from ``os.wait4``) are recorded. The medians are what a user typing the command sees.

Models: ``--serving-dir`` (as `movierec run` pushes them), else the trained test models kept in
$MOVIEREC_TEST_MODELS or /tmp/serving-models (tests/serving/conftest.py), else the tiny hand-made
models of tests/serving/history_models.py (built in a subprocess).
Writes benchmarks/results/query_latency.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import results_file  # noqa: E402
from benchmarks.machine import describe  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROTOCOLS = ("rest", "grpc")
QUERY = ["--age", "25", "--gender", "F", "--occupation", "programmer", "--zip", "94110", "--k", "3",
         "--candidates", "3", "--json"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def movierec() -> list[str]:
    script = Path(sys.executable).parent / "movierec"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def serving_dir(given: str | None, tmp: Path) -> tuple[Path, str]:
    if given:
        return Path(given), given
    kept = Path(os.environ.get("MOVIEREC_TEST_MODELS", "/tmp/serving-models"))
    if (kept / "retrieval" / "serving").exists() and (kept / "ranking" / "serving").exists():
        for model in ("retrieval", "ranking"):
            shutil.copytree(kept / model / "serving", tmp / model / "1")
        return tmp, f"trained test models from {kept}"
    code = (
        "import sys; from pathlib import Path; from tests.serving.history_models import save_all; "
        "save_all(Path(sys.argv[1]))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp)], cwd=ROOT, check=True)
    return tmp, "tests/serving/history_models.py (hand-made)"


def start_server(directory: Path, grpc_port: int, rest_port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [*movierec(), "serve", "--local", "--serving-dir", str(directory),
         "--grpc-port", str(grpc_port), "--rest-port", str(rest_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Ctrl-C stops" in line or process.poll() is not None:
            break
    if process.poll() is not None:
        raise SystemExit("movierec serve failed:\n" + "".join(lines))
    return process


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process; raises if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{out.decode()}{err.decode()}")
    return wall, usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serving-dir", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", default=str(RESULTS / "query_latency"))
    parser.add_argument("--label", default="", help="a note written into the results (e.g. 'before')")
    args = parser.parse_args()

    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        directory, models = serving_dir(args.serving_dir, Path(tmp) / "serving")
        grpc_port, rest_port = free_port(), free_port()
        server = start_server(directory, grpc_port, rest_port, env)
        try:
            ports = ["--grpc-port", str(grpc_port), "--rest-port", str(rest_port)]
            for protocol in PROTOCOLS:  # warm the server's side (first calls trace the signatures)
                timed([*movierec(), "query", *QUERY, *ports, "--protocol", protocol], env)
            runs: dict[str, list[tuple[float, float]]] = {p: [] for p in PROTOCOLS}
            for _ in range(args.runs):  # interleaved, so that a noisy neighbour hits both alike
                for protocol in PROTOCOLS:
                    runs[protocol].append(timed([*movierec(), "query", *QUERY, *ports, "--protocol", protocol], env))
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=60)

    results = {
        protocol: {
            "runs": len(values),
            "median_wall_s": round(statistics.median(w for w, _ in values), 3),
            "min_wall_s": round(min(w for w, _ in values), 3),
            "max_wall_s": round(max(w for w, _ in values), 3),
            "median_peak_rss_mib": round(statistics.median(r for _, r in values), 1),
            "wall_s": [round(w, 3) for w, _ in values],
        }
        for protocol, values in runs.items()
    }
    machine = describe()
    record = {
        "benchmark": "query_latency",
        "label": args.label,
        "machine": machine,
        "models": models,
        "command": "movierec query " + " ".join(QUERY) + " --protocol {rest,grpc}",
        "results": results,
    }
    lines = [
        f"# Cold `movierec query` latency{f' ({args.label})' if args.label else ''}",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, commit {machine['commit']}.",
        f"Models: {models}. Each run is a new process (`{record['command']}`); `movierec serve --local` "
        "was already up and warm.",
        "",
        "| protocol | runs | median wall (s) | min (s) | max (s) | median peak RSS (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for protocol, r in results.items():
        lines.append(
            f"| {protocol} | {r['runs']} | {r['median_wall_s']:.2f} | {r['min_wall_s']:.2f} | "
            f"{r['max_wall_s']:.2f} | {r['median_peak_rss_mib']:.0f} |"
        )
    results_file.write(args.output, record, "\n".join(lines))


if __name__ == "__main__":
    main()
