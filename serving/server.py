"""``movierec serve``: TF Serving itself when installed, otherwise the local model server.

The local server speaks TF Serving's gRPC and REST APIs for these SavedModels (see docs/serving.md):
models come from ``models.config`` (TF Serving's own format) or, without one, from every model
folder under the serving directory; new versions are picked up as the Pusher writes them.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from typing import TextIO

from serving import grpc_service, model_config, rest_service
from serving.core import ServerCore
from serving.limits import ServingLimits
from serving.model_config import ModelEntry, VersionPolicy
from serving.model_store import AVAILABLE, ModelStore, Watcher

log = logging.getLogger("movierec.serving")
TF_SERVING_BINARY = "tensorflow_model_server"


@dataclass(frozen=True)
class ServerOptions:
    serving_dir: str
    host: str = "127.0.0.1"
    grpc_port: int = 8500
    rest_port: int = 8501
    model_config_file: str | None = None
    policy: VersionPolicy = field(default_factory=VersionPolicy)
    poll_seconds: float = 1.0
    settle_seconds: float = 1.0  # a new version's files must be unchanged this long before it loads
    limits: ServingLimits = field(default_factory=ServingLimits)
    # HandleReloadConfigRequest loads base paths under these folders only (default: the serving dir)
    allowed_model_roots: tuple[str, ...] = ()

    @property
    def model_roots(self) -> tuple[str, ...]:
        return (self.serving_dir, *self.allowed_model_roots)


class ModelServer:
    """The local model server: a ModelStore behind gRPC and REST, and a watcher thread."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self._config_mtime: float | None = None
        self.store = ModelStore(self._entries(), settle_seconds=options.settle_seconds)
        self.core = ServerCore(self.store, limits=options.limits, model_roots=options.model_roots)
        self._grpc = None
        self._rest = None
        self._watcher: Watcher | None = None
        self.grpc_port = self.rest_port = 0

    def _entries(self) -> list[ModelEntry]:
        o = self.options
        if o.model_config_file:
            self._config_mtime = os.path.getmtime(o.model_config_file)
            return model_config.entries(model_config.read(o.model_config_file))
        return [
            ModelEntry(name, os.path.join(o.serving_dir, name), o.policy)
            for name in model_config.discover(o.serving_dir)
        ]

    def _reload(self) -> None:
        """Re-read the config file when it changed; without one, pick up newly pushed models."""
        o = self.options
        if o.model_config_file and os.path.getmtime(o.model_config_file) == self._config_mtime:
            return
        try:
            entries = self._entries()
        except (OSError, ValueError) as e:
            log.error("keeping the current models: %s", e)
            return
        if [e.name for e in entries] != self.store.model_names or o.model_config_file:
            self.store.set_entries(entries)

    def _update_gauges(self) -> None:
        for name in self.store.model_names:
            counts: dict[str, int] = {}
            for state in self.store.status(name):
                counts[state.state] = counts.get(state.state, 0) + 1
            self.core.metrics.set_versions(name, counts)

    def start(self) -> ModelServer:
        """Load what is on disk now, then open both ports (as TF Serving does) and start watching."""
        self.store.poll(settle=False)
        self._update_gauges()
        o = self.options
        self._grpc, self.grpc_port = grpc_service.make_server(self.core, o.host, o.grpc_port)
        self._rest = rest_service.RestFrontEnd(self.core, o.host, o.rest_port)
        self.rest_port = self._rest.port
        self._grpc.start()
        self._rest.start()

        def reload_and_count() -> None:
            self._reload()
            self._update_gauges()

        self._watcher = Watcher(self.store, o.poll_seconds, reload_and_count)
        self._watcher.start()
        return self

    def summary(self) -> list[str]:
        lines = []
        for name in self.store.model_names:
            shown = ", ".join(
                f"{s.version} {s.state}" + (f" ({s.error})" if s.error else "") for s in self.store.status(name)
            )
            lines.append(f"{name}: {shown or 'no versions yet'}")
        return lines

    def stop(self) -> None:
        if self._watcher:
            self._watcher.stop()
        if self._rest:
            self._rest.stop()
        if self._grpc:
            self._grpc.stop(grace=1.0).wait()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def available(self) -> dict[str, list[int]]:
        return {n: [s.version for s in self.store.status(n) if s.state == AVAILABLE] for n in self.store.model_names}


def tensorflow_model_server_command(binary: str, options: ServerOptions, config_dir: str) -> list[str]:
    """The ``tensorflow_model_server`` command line for the generated config files."""
    return [
        binary,
        f"--port={options.grpc_port}",
        f"--rest_api_port={options.rest_port}",
        f"--model_config_file={os.path.join(config_dir, model_config.MODELS_CONFIG)}",
        "--model_config_file_poll_wait_seconds=60",
        f"--file_system_poll_wait_seconds={max(1, round(options.poll_seconds))}",
        f"--monitoring_config_file={os.path.join(config_dir, model_config.MONITORING_CONFIG)}",
    ]


def write_local_config(options: ServerOptions, config_dir: str) -> str:
    """models.config (+ monitoring, batching) for the models under the serving directory."""
    if options.model_config_file:
        config = model_config.read(options.model_config_file)
    else:
        config = model_config.for_serving_dir(options.serving_dir, policy=options.policy)
    model_config.write_all(config, config_dir)
    return config_dir


def serve(options: ServerOptions, stream: TextIO, config_dir: str, use_binary: bool = True) -> int:
    """Run until interrupted (Ctrl-C or SIGTERM). Returns the exit status."""
    binary = shutil.which(TF_SERVING_BINARY) if use_binary else None
    if binary:
        write_local_config(options, config_dir)
        command = tensorflow_model_server_command(binary, options, config_dir)
        print(f"[movierec] running TensorFlow Serving: {' '.join(command)}", file=stream, flush=True)
        return subprocess.call(command)
    print(
        f"[movierec] {TF_SERVING_BINARY} is not on PATH: starting the local model server "
        "(TF Serving's gRPC and REST APIs)",
        file=stream,
        flush=True,
    )
    server = ModelServer(options).start()
    for line in server.summary():
        print(f"[movierec]   {line}", file=stream, flush=True)
    o = options
    print(
        f"[movierec] gRPC on {o.host}:{server.grpc_port}, REST on http://{o.host}:{server.rest_port}/v1/models/<name>, "
        f"metrics on http://{o.host}:{server.rest_port}{model_config.PROMETHEUS_PATH}; watching every "
        f"{o.poll_seconds:g} s. Ctrl-C stops.",
        file=stream,
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()
    print("[movierec] model server stopped", file=stream, flush=True)
    return 0
