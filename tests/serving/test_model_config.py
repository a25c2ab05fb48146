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


def test_serve_runs_tensorflow_model_server_when_it_is_on_path(tmp_path, monkeypatch):
    import io

    from serving.server import ServerOptions, serve

    (tmp_path / "serving" / "ranking" / "1").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "tensorflow_model_server"  # stands in for TF Serving: records how it was started
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/argv\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    stream = io.StringIO()
    options = ServerOptions(str(tmp_path / "serving"), grpc_port=9000, rest_port=9001)
    assert serve(options, stream, str(tmp_path / "config")) == 0
    argv = (tmp_path / "argv").read_text().split()
    assert "--port=9000" in argv and "--rest_api_port=9001" in argv
    assert f"--model_config_file={tmp_path / 'config' / 'models.config'}" in argv
    assert f"--monitoring_config_file={tmp_path / 'config' / 'monitoring.config'}" in argv
    config = model_config.read(str(tmp_path / "config" / "models.config"))
    assert [m.base_path for m in config.model_config_list.config] == [str(tmp_path / "serving" / "ranking")]
    assert "running TensorFlow Serving" in stream.getvalue()
