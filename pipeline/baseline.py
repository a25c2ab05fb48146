"""The Evaluators' baseline: the latest blessed model other than the one being evaluated.

TFX's LatestBlessedModelStrategy returns the latest blessed model. After one run that is the very
model a rerun on unchanged data evaluates again (the Trainer's cached output): the Evaluator's
inputs change, its cache misses, the model is compared with itself and pushed again as a new
version, which TF Serving reloads for nothing. Leaving the candidate out makes a rerun resolve the
same baseline as the first run did, so the Evaluator and the Pusher are cached too.

The Resolver takes two channels: ``model``, this run's model (the Trainer's output), and
``model_blessing``, every blessing the Evaluator ever wrote; the blessed model is read from ML
Metadata. (Passing the Trainer's past models as a third channel does not work: TFX 1.16 merges two
channels of the same producer and output key into one input and then fails to resolve the other.)
"""

from __future__ import annotations

from tfx.components.evaluator import constants
from tfx.dsl.components.common.resolver import ResolverStrategy
from tfx.types import artifact_utils, standard_artifacts

_BLESSED = constants.ARTIFACT_PROPERTY_BLESSED_KEY
_CURRENT_MODEL_ID = constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY


class LatestBlessedOtherModelStrategy(ResolverStrategy):
    """Resolves the latest blessed model other than this run's (and its blessing); nothing if none.

    "Latest" is the highest ML Metadata id, as in TFX's LatestBlessedModelStrategy. Channels are
    told apart by artifact type, as TFX's strategy does.
    """

    def resolve_artifacts(self, store, input_dict):
        model_key = _key_of(input_dict, standard_artifacts.Model)
        blessing_key = _key_of(input_dict, standard_artifacts.ModelBlessing)
        result = {key: [] for key in input_dict}
        if model_key is None or blessing_key is None:  # no candidate, or nothing blessed yet
            return result
        candidates = {a.id for a in input_dict[model_key]}
        blessed = {
            b.get_int_custom_property(_CURRENT_MODEL_ID): b
            for b in input_dict[blessing_key]
            if b.get_int_custom_property(_BLESSED) == 1
        }
        others = sorted(set(blessed) - candidates)
        if not others:
            return result
        (stored,) = store.get_artifacts_by_id([others[-1]])
        (stored_type,) = store.get_artifact_types_by_id([stored.type_id])
        result[model_key] = [artifact_utils.deserialize_artifact(stored_type, stored)]
        result[blessing_key] = [blessed[others[-1]]]
        return result


def _key_of(input_dict: dict, artifact_type: type) -> str | None:
    """The key of the (non-empty) channel whose artifacts are of a type."""
    keys = [k for k, v in input_dict.items() if v and isinstance(v[0], artifact_type)]
    if len(keys) > 1:
        raise RuntimeError(f"expected one {artifact_type.TYPE_NAME} channel, got {sorted(input_dict)}")
    return keys[0] if keys else None
