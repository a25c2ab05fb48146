"""models.config (TF Serving's ModelServerConfig), monitoring and batching files; users."""

from __future__ import annotations

import pytest

from serving import model_config
from serving.model_config import VersionPolicy
from serving.users import User, occupation
from transform import features as F


def test_config_for_a_serving_dir_round_trips(tmp_path):
    for name in ("ranking", "retrieval"):
        (tmp_path / "serving" / name / "1").mkdir(parents=True)
    config = model_config.for_serving_dir(
        str(tmp_path / "serving"), "/models", VersionPolicy("latest", 2), {"ranking": {"stable": 1}}
    )
    paths = model_config.write_all(config, str(tmp_path / "out"))
    text = open(paths[model_config.MODELS_CONFIG]).read()
    assert 'base_path: "/models/ranking"' in text and "num_versions: 2" in text and 'key: "stable"' in text
    entries = model_config.entries(model_config.read(paths[model_config.MODELS_CONFIG]))
    assert [(e.name, e.base_path, e.policy, dict(e.labels)) for e in entries] == [
        ("ranking", "/models/ranking", VersionPolicy("latest", 2), {"stable": 1}),
        ("retrieval", "/models/retrieval", VersionPolicy("latest", 2), {}),
    ]
    assert model_config.PROMETHEUS_PATH in open(paths[model_config.MONITORING_CONFIG]).read()
    assert "max_batch_size" in open(paths[model_config.BATCHING_CONFIG]).read()


def test_a_malformed_config_names_its_file(tmp_path):
    bad = tmp_path / "models.config"
    bad.write_text("model_config_list { nonsense: 1 }")
    with pytest.raises(ValueError, match=r"models\.config"):
        model_config.read(str(bad))


def test_users_from_friendly_values():
    user = User.new(age=30, gender="f", occupation_name="Programmer", zip_code="94110-1234")
    row = user.features()
    assert row[F.BUCKETIZED_USER_AGE] == 25 and row[F.USER_GENDER] == "F" and row[F.USER_ZIP_CODE] == "94110"
    assert row[F.USER_OCCUPATION_LABEL] == F.OCCUPATION_LABEL_IDS["programmer"]
    assert occupation("K-12 student") == ("K-12 student", F.K12_STUDENT_LABEL)
    assert occupation("engineer") == ("engineer", F.OCCUPATION_LABEL_IDS["technician/engineer"])
    with pytest.raises(ValueError, match="unknown occupation"):
        occupation("astronaut")
    with pytest.raises(ValueError, match="gender"):
        User.new(age=30, gender="X", occupation_name="writer")
