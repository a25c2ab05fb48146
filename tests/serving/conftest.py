"""Real SavedModels for the serving tests: tiny retrieval (two seeds) and ranking models, trained once."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class TrainedModels:
    retrieval: str  # SavedModel folders
    retrieval_other: str  # the same model trained with another seed (a "new version")
    ranking: str
    movie_ids: list[str]

    def serving_dir(self, root: Path, versions: dict[str, dict[int, str]] | None = None) -> Path:
        """A serving directory laid out as the Pushers write it: <root>/<model>/<version>/."""
        versions = versions or {"retrieval": {1: self.retrieval}, "ranking": {1: self.ranking}}
        for model, by_version in versions.items():
            for version, source in by_version.items():
                shutil.copytree(source, root / model / str(version))
        return root


MODELS = (("retrieval", "retrieval", 1), ("retrieval_other", "retrieval", 2), ("ranking", "ranking", 1))


def _train_all(root: Path, transformed) -> None:
    from tests.model_data import fn_args
    from trainer.config import ModelConfig
    from trainer.run import train

    for name, kind, seed in MODELS:
        config = ModelConfig(
            kind=kind, embedding_dim=8, epochs=1, batch_size=256, learning_rate=0.01, top_k=20, seed=seed
        )
        train(config, fn_args(transformed, root / name, config.to_dict()))
    shutil.copytree(transformed.catalogue, root / "catalogue")


@pytest.fixture(scope="session")
def trained_models(request, tmp_path_factory) -> TrainedModels:
    """Trained once per session; with MOVIEREC_TEST_MODELS=<dir> they are kept there and reused
    across sessions (a developer's shortcut: delete the folder after changing the exporter)."""
    from movielens.catalogue import read_catalogue

    kept = os.environ.get("MOVIEREC_TEST_MODELS")
    root = Path(kept) if kept else tmp_path_factory.mktemp("models")
    if not (root / "catalogue").exists():
        _train_all(root, request.getfixturevalue("transformed"))  # the session's Transform output
    movie_ids = sorted(m["movie_id"] for m in read_catalogue(str(root / "catalogue")))
    return TrainedModels(movie_ids=movie_ids, **{name: str(root / name / "serving") for name, _, _ in MODELS})
