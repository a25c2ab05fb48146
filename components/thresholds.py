"""What a model must reach to be blessed (and pushed): the one source of the Evaluators' thresholds
(light: no TFX import)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """What a model must reach to be blessed (and pushed)."""

    max_rmse: float = 1.2  # ranking (TFMA, on MSE) and the multitask rating head
    max_rmse_increase: float = 0.02  # ranking: RMSE may not grow more than this over the blessed model
    min_lift_over_popularity: float = 0.0  # retrieval: top-100 accuracy must beat popularity by this share
    max_accuracy_drop: float = 0.01  # retrieval: top-100 accuracy may not fall more than this
    # listwise ranking (TFMA NDCG@10 over each user's eval movies, gain = stars): its floor, and
    # how far it may fall below the blessed model's
    min_ndcg: float = 0.5
    max_ndcg_drop: float = 0.01
