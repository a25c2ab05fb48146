"""Typed model configuration: every hyperparameter of every model, passed through custom_config."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

# The Trainer's custom_config keys (the MovieTrainer component writes them, run_fn reads them) and
# the per-run record run_fn writes beside the model's TensorBoard logs.
MODEL_CONFIG_KEY = "model"
CATALOGUE_URI_KEY = "catalogue_uri"
HISTORY_FILE = "history.json"
TUNING_CONFIG_KEY = "tuning"  # the Tuner's custom_config: a TuningConfig
# Files of a run that the views copy (named here, where reading them needs no TensorFlow):
IMPORTANCE_CSV = "feature_importance.csv"  # DCN-v2's feature importance, in the Trainer's model_run
IMPORTANCE_PNG = "feature_importance.png"
TUNING_CSV = "tuning.csv"  # the tuning table, in the Tuner's tuner_results
TUNING_MD = "tuning.md"

ModelKind = Literal["retrieval", "ranking", "multitask"]
MODEL_KINDS: tuple[str, ...] = ("retrieval", "ranking", "multitask")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of one model (defaults: the report's, embedding 64)."""

    kind: ModelKind = "retrieval"
    embedding_dim: int = 64
    tower_layers: tuple[int, ...] = (128,)  # hidden layers of the query/candidate towers
    rating_layers: tuple[int, ...] = (256, 64)  # hidden layers of the rating head
    dropout: float = 0.1
    max_norm: float = 3.0  # max-norm constraint on dense kernels of the rating head (0: none)
    optimizer: Literal["adagrad", "adam"] = "adagrad"
    learning_rate: float = 0.1
    epochs: int = 3
    batch_size: int = 4096
    retrieval_weight: float = 1.0  # multitask loss weights
    rating_weight: float = 1.0
    # One pass over the eval split after the last epoch (loss and RMSE into history.json); off by
    # default: the Evaluators measure the eval split anyway.
    evaluate_after_training: bool = False
    top_k: int = 100  # candidates returned by the exported retrieval signature
    # Retrieval loss: a full softmax over every catalogue movie, or TFRS's in-batch softmax.
    retrieval_loss: Literal["softmax", "in_batch"] = "softmax"
    logq_correction: bool = True  # in-batch only: correct for movie popularity (sampling bias)
    use_user_id: bool = True  # a user-id embedding in the query tower (besides the history)
    embedding_l2: float = 0.0  # L2 on the history's movie embeddings
    # The hybrid's item-item member (EASE, fitted in the Trainer): its L2, and its weight in the
    # retrieval score (0: the two-tower model alone).
    ease_l2: float = 500.0
    ease_weight: float = 0.0
    # Ranking only: "towers" (the towers' embeddings into an MLP head) or "dcn" (DCN-v2: every
    # feature embedded to embedding_dim, cross layers, then rating_layers; trainer/dcn.py).
    architecture: Literal["towers", "dcn"] = "towers"
    cross_layers: int = 2
    cross_projection_dim: int = 0  # 0: full-rank cross layers; > 0: low-rank (W = U V)
    cross_structure: Literal["stacked", "parallel"] = "stacked"
    # Ranking only: the rating head's loss. "mse": pointwise, on single ratings. A list loss
    # (trainer/listwise.py: "softmax" cross-entropy, "listmle", pairwise "hinge") trains on
    # lists_per_user lists of list_length of each user's train ratings, drawn afresh each epoch;
    # the head then outputs a ranking score, not a star rating. batch_size counts list items.
    ranking_loss: Literal["mse", "softmax", "listmle", "hinge"] = "mse"
    list_length: int = 10
    lists_per_user: int = 20
    seed: int = 42

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"model kind must be one of {MODEL_KINDS}, not {self.kind!r}")
        if self.embedding_dim <= 0 or self.epochs <= 0 or self.batch_size <= 0:
            raise ValueError("embedding_dim, epochs and batch_size must be positive")
        if self.retrieval_loss not in ("softmax", "in_batch"):
            raise ValueError(f"retrieval_loss must be 'softmax' or 'in_batch', not {self.retrieval_loss!r}")
        if self.optimizer not in ("adagrad", "adam"):
            raise ValueError(f"optimizer must be 'adagrad' or 'adam', not {self.optimizer!r}")
        if self.architecture not in ("towers", "dcn"):
            raise ValueError(f"architecture must be 'towers' or 'dcn', not {self.architecture!r}")
        if self.architecture == "dcn" and self.kind != "ranking":
            raise ValueError(f"architecture 'dcn' is a ranking model, not {self.kind!r}")
        if self.cross_structure not in ("stacked", "parallel"):
            raise ValueError(f"cross_structure must be 'stacked' or 'parallel', not {self.cross_structure!r}")
        if self.cross_layers < 0 or self.cross_projection_dim < 0:
            raise ValueError("cross_layers and cross_projection_dim must not be negative")
        if self.ranking_loss not in ("mse", "softmax", "listmle", "hinge"):
            raise ValueError(f"ranking_loss must be 'mse', 'softmax', 'listmle' or 'hinge', not {self.ranking_loss!r}")
        if self.is_listwise and (self.kind != "ranking" or self.architecture != "towers"):
            raise ValueError("a list loss trains the towers' ranking model (kind 'ranking', architecture 'towers')")
        if self.is_listwise and (self.list_length < 2 or self.lists_per_user < 1 or self.batch_size < self.list_length):
            raise ValueError("list_length must be at least 2, lists_per_user at least 1, batch_size >= list_length")
        if self.is_listwise and self.evaluate_after_training:
            raise ValueError("evaluate_after_training scores single ratings: not for a list loss")

    @property
    def name(self) -> str:
        """The model's name in the pipeline (component ids, serving folder): its kind, "dcn",
        "listwise" (softmax or ListMLE list loss) or "pairwise" (hinge)."""
        if self.architecture == "dcn":
            return "dcn"
        if self.is_listwise:
            return "pairwise" if self.ranking_loss == "hinge" else "listwise"
        return self.kind

    @property
    def is_listwise(self) -> bool:
        """Trained on per-user lists with a list loss (a ranking score, not a rating)."""
        return self.ranking_loss != "mse"

    @property
    def has_retrieval(self) -> bool:
        return self.kind in ("retrieval", "multitask")

    @property
    def has_rating(self) -> bool:
        return self.kind in ("ranking", "multitask")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown model setting(s): {', '.join(sorted(unknown))}")
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**cleaned)


# The hyperparameters the Tuner searches (trainer/tuning.py) -> how a value becomes a setting.
TUNABLE: dict[str, Any] = {
    "embedding_dim": int,
    "learning_rate": float,
    "epochs": int,
    "rating_layers": lambda v: tuple(int(x) for x in str(v).split(",") if x),
    "dropout": float,
    "max_norm": float,
}


def apply_hyperparameters(config: ModelConfig, values: dict[str, Any]) -> ModelConfig:
    """``config`` with the tuned ``values`` (KerasTuner's HyperParameters values) in place."""
    unknown = set(values) - set(TUNABLE)
    if unknown:
        raise ValueError(f"not a tunable setting: {', '.join(sorted(unknown))}")
    return dataclasses.replace(config, **{k: TUNABLE[k](v) for k, v in values.items()})


@dataclasses.dataclass(frozen=True)
class TuningConfig:
    """The Tuner's budget (`movierec run --tune`): trials, seconds, the validation slice."""

    max_trials: int = 6
    max_seconds: float = 1800.0  # no trial starts after this
    validation_every: int = 8  # every 8th train example is held out for validation

    def __post_init__(self) -> None:
        if self.max_trials < 1 or self.max_seconds <= 0 or self.validation_every < 2:
            raise ValueError("max_trials >= 1, max_seconds > 0 and validation_every >= 2, please")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
