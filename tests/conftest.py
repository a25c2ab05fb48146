"""Shared fixtures: every test builds its own data (MovieLens is never redistributed)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from movielens.synthetic import SyntheticSpec, generate

TINY = SyntheticSpec(users=60, movies=40, ratings=900, seed=3)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny synthetic data set in the ml-1m format with TMDB files (read-only: copy to change)."""
    path = tmp_path_factory.mktemp("tiny") / "ml-synthetic"
    generate(path, TINY)
    return str(path)


@pytest.fixture(scope="session")
def transformed(tmp_path_factory: pytest.TempPathFactory):
    """The pipeline run up to Transform on tiny synthetic data (see tests/model_data.py).

    ``MOVIEREC_TEST_TRANSFORMED=<dir>`` keeps it in <dir> between local test sessions (a developer
    shortcut; delete the folder after changing ExampleGen or Transform; CI builds it fresh).
    """
    from pathlib import Path

    from tests.model_data import build_transformed

    keep = os.environ.get("MOVIEREC_TEST_TRANSFORMED")
    return build_transformed(Path(keep) if keep else tmp_path_factory.mktemp("transformed"))
