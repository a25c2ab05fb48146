"""The app against real models: tiny retrieval, ranking and multitask models trained on the
session's synthetic data, served by the local model server, and `movierec app`'s web server."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving.ports import free_port


@dataclass(frozen=True)
class RunningApp:
    url: str
    data_dir: str
    service: object  # webapp.service.RecommenderService


def _train(root: Path, transformed) -> Path:
    from tests.model_data import fn_args
    from trainer.config import ModelConfig
    from trainer.run import train

    serving = root / "serving"
    for kind in ("retrieval", "ranking", "multitask"):
        config = ModelConfig(kind=kind, embedding_dim=8, epochs=2, batch_size=128, learning_rate=0.05, top_k=30)
        train(config, fn_args(transformed, root / kind, config.to_dict()))
        shutil.copytree(root / kind / "serving", serving / kind / "1")
    return serving


@pytest.fixture(scope="session")
def app_serving_dir(transformed, tmp_path_factory) -> Path:
    """Kept in $MOVIEREC_TEST_APP_MODELS between local sessions when set (delete it after changing the export)."""
    kept = os.environ.get("MOVIEREC_TEST_APP_MODELS")
    root = Path(kept) if kept else tmp_path_factory.mktemp("app-models")
    if not (root / "serving" / "multitask" / "1").exists():
        _train(root, transformed)
    return root / "serving"


def start_app(data_dir: str, rest_port: int) -> RunningApp:
    from webapp import web
    from webapp.service import AppConfig, RecommenderService

    config = AppConfig(data_dir=data_dir, port=0, rest_port=rest_port, timeout=10)
    service = RecommenderService(config)
    ready = threading.Event()
    port: list[int] = []

    def on_ready(p: int) -> None:
        port.append(p)
        ready.set()

    threading.Thread(target=web.serve, args=(config, service, on_ready), daemon=True).start()
    assert ready.wait(30), "the app did not start"
    return RunningApp(f"http://127.0.0.1:{port[0]}", data_dir, service)


@pytest.fixture(scope="session")
def model_server(app_serving_dir):
    from serving.server import ModelServer, ServerOptions

    server = ModelServer(ServerOptions(str(app_serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.5)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(transformed, model_server) -> RunningApp:
    return start_app(transformed.data_dir, model_server.rest_port)


@pytest.fixture(scope="session")
def app_without_server(transformed) -> RunningApp:
    """The app pointed at a port where no model server listens."""
    return start_app(transformed.data_dir, free_port())
