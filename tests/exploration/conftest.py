"""The tiny synthetic data set as the report's frames, and its raw ratings read directly by pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def frames(tiny_dataset):
    from exploration.frames import from_data_dir

    return from_data_dir(tiny_dataset)


@pytest.fixture(scope="session")
def raw_ratings(tiny_dataset) -> pd.DataFrame:
    """ratings.dat read straight with pandas (no project code): the reference for the tables."""
    return pd.read_csv(
        Path(tiny_dataset) / "ratings.dat", sep="::", engine="python", names=["user", "movie", "rating", "ts"],
        dtype={"user": str, "movie": str},
    )  # fmt: skip
