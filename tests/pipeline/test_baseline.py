"""The Evaluators' baseline resolver: the latest blessed model other than the candidate."""

from __future__ import annotations

from tfx.components.evaluator import constants
from tfx.types import standard_artifacts

from pipeline.baseline import CANDIDATE_KEY, LatestBlessedOtherModelStrategy


def _model(model_id: int) -> standard_artifacts.Model:
    model = standard_artifacts.Model()
    model.id = model_id
    return model


def _blessing(model_id: int, blessed: bool) -> standard_artifacts.ModelBlessing:
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model_id)
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY, int(blessed))
    return blessing


def _resolve(models, blessings, candidate):
    inputs = {"model": models, "model_blessing": blessings, CANDIDATE_KEY: candidate}
    return LatestBlessedOtherModelStrategy().resolve_artifacts(None, inputs)


def test_a_rerun_does_not_compare_the_model_with_itself():
    # first run: model 1 trained, nothing blessed yet
    assert _resolve([_model(1)], [], [_model(1)])["model"] == []
    # the rerun (Trainer cached): model 1 is blessed now, but it is the candidate: same (empty) baseline
    assert _resolve([_model(1)], [_blessing(1, True)], [_model(1)])["model"] == []


def test_a_new_model_is_compared_with_the_latest_blessed_other_one():
    models = [_model(1), _model(2), _model(3), _model(4)]
    blessings = [_blessing(1, True), _blessing(2, True), _blessing(3, False)]
    result = _resolve(models, blessings, [_model(4)])
    assert [m.id for m in result["model"]] == [2]  # 3 was not blessed, 4 is the candidate
    assert result["model_blessing"][0].get_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY) == 2
    assert result[CANDIDATE_KEY] == []
