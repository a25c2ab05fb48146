"""deploy/: the TF Serving config, docker-compose and Kubernetes manifests agree with each other."""

from __future__ import annotations

from pathlib import Path

import yaml

from serving import model_config
from serving.model_config import VersionPolicy

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MODELS = ["multitask", "ranking", "retrieval"]


def flags(args: list[str]) -> dict[str, str]:
    return dict(a.lstrip("-").split("=", 1) for a in args)


def test_the_committed_tfserving_config_is_what_serving_config_generates(tmp_path):
    for name in MODELS:
        (tmp_path / "serving" / name / "1").mkdir(parents=True)
    generated = model_config.write_all(
        model_config.for_serving_dir(str(tmp_path / "serving"), "/models", VersionPolicy()), str(tmp_path / "out")
    )
    for name, path in generated.items():
        assert (DEPLOY / "tfserving" / name).read_text() == Path(path).read_text(), name
    entries = model_config.entries(model_config.read(str(DEPLOY / "tfserving" / model_config.MODELS_CONFIG)))
    assert [(e.name, e.base_path) for e in entries] == [(m, f"/models/{m}") for m in MODELS]


def test_docker_compose_serves_the_pushed_models_with_the_config():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    service = compose["services"]["tfserving"]
    assert service["image"].startswith("tensorflow/serving:")
    assert set(service["ports"]) == {"8500:8500", "8501:8501"}
    mounts = dict(v.rsplit(":", 1)[0].split(":") for v in service["volumes"])
    assert mounts == {"../work/serving": "/models", "./tfserving": "/config"}
    f = flags(service["command"])
    for key in ("model_config_file", "monitoring_config_file", "batching_parameters_file"):
        assert (DEPLOY / "tfserving" / Path(f[key]).name).exists() and f[key].startswith("/config/")


def test_kubernetes_manifests_are_consistent():
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (DEPLOY / resource).exists()
    (generator,) = kustomization["configMapGenerator"]
    assert all((DEPLOY / f).exists() for f in generator["files"])
    deployment = yaml.safe_load((DEPLOY / "k8s" / "deployment.yaml").read_text())
    service = yaml.safe_load((DEPLOY / "k8s" / "service.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    f = flags(container["args"])
    assert (f["port"], f["rest_api_port"]) == ("8500", "8501")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": 8500, "http": 8501}
    assert {p["targetPort"] for p in service["spec"]["ports"]} == set(ports)
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    for probe in ("readinessProbe", "livenessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert path.startswith("/v1/models/") and path.rsplit("/", 1)[1] in MODELS
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == generator["name"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"models": "/models", "config": "/config"}
    assert f["model_config_file"] == "/config/models.config"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == model_config.PROMETHEUS_PATH
