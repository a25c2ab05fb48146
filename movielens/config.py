"""How MovieLens is read: where the files are, how ratings are split, what a bad line does, the
history's length, the synthetic sample's size. The one source of these defaults: the pipeline's
configuration, the CLI's flags and the ExampleGen component all take them from here."""

from __future__ import annotations

import dataclasses
from typing import Literal

from movielens.features import DEFAULT_HISTORY_LENGTH
from movielens.synthetic import SyntheticSpec

SplitKind = Literal["random", "temporal"]
BadLinePolicy = Literal["error", "skip"]


# Size and seed of the synthetic sample (`movierec generate`, default data of `run`).
SampleConfig = SyntheticSpec  # one set of fields: the generator's


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the MovieLens files are and how to split them."""

    data_dir: str | None = None  # None: the synthetic sample, generated under the work dir
    enrichment_dir: str | None = None  # TMDB / extra-info files; auto-detected when None
    split: SplitKind = "random"
    eval_fraction: float = 0.2
    seed: int = 42
    on_bad_line: BadLinePolicy = "error"
    # The user's history on every example (movielens/history.py): at most
    # this many of their other train ratings, most recent first.
    history_length: int = DEFAULT_HISTORY_LENGTH
    sample: SampleConfig = dataclasses.field(default_factory=SampleConfig)

    def __post_init__(self) -> None:
        if self.split not in ("random", "temporal"):
            raise ValueError(f"split must be 'random' or 'temporal', not {self.split!r}")
        if not 0.0 < self.eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be in (0, 1), not {self.eval_fraction}")
        if self.history_length < 1:
            raise ValueError(f"history_length must be at least 1, not {self.history_length}")
        if self.on_bad_line not in ("error", "skip"):
            raise ValueError(f"on_bad_line must be 'error' or 'skip', not {self.on_bad_line!r}")
