"""The Evaluators' baseline: the latest blessed model other than the one being evaluated.

TFX's LatestBlessedModelStrategy returns the latest blessed model, which after a run is the very
model a rerun would evaluate again (the Trainer's cached output): the Evaluator's inputs change,
the cache misses, the model is compared with itself and pushed again as a new version. Leaving
the candidate out makes a rerun on unchanged data and code resolve the same baseline as the first
run did, so the Evaluator and the Pusher are cached.
"""

from __future__ import annotations

from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import LatestBlessedModelStrategy
from tfx.types import standard_artifacts

CANDIDATE_KEY = "candidate"  # the Trainer's model of this run


class LatestBlessedOtherModelStrategy(LatestBlessedModelStrategy):
    """Input channels: ``model`` (every model of the trainer), ``model_blessing`` and ``candidate``."""

    def resolve_artifacts(self, store, input_dict):
        excluded = {a.id for a in input_dict.get(CANDIDATE_KEY, [])}
        models = [m for m in input_dict.get("model", []) if m.id not in excluded]
        blessings = list(input_dict.get("model_blessing", []))
        empty = {"model": [], "model_blessing": [], CANDIDATE_KEY: []}
        if not models or not blessings:
            return empty
        if not all(isinstance(m, standard_artifacts.Model) for m in models):
            raise RuntimeError("the model channel must carry Model artifacts")
        result = self._resolve({"model": models, "model_blessing": blessings}, "model", "model_blessing")
        return {**empty, **result}
