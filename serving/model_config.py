"""TF Serving's model server config (``models.config``), its monitoring and batching files.

The config is TF Serving's own ``ModelServerConfig`` proto (from tensorflow-serving-api), written in
text format: the local server and ``tensorflow_model_server`` read the same file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2 as msc

PROMETHEUS_PATH = "/monitoring/prometheus/metrics"
MODELS_CONFIG = "models.config"
MONITORING_CONFIG = "monitoring.config"
BATCHING_CONFIG = "batching.config"


@dataclass(frozen=True)
class VersionPolicy:
    """Which versions to serve: ``latest`` (the newest ``num_versions``), ``all``, or ``specific``."""

    kind: str = "latest"
    num_versions: int = 1
    versions: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("latest", "all", "specific"):
            raise ValueError(f"version policy must be latest, all or specific, not {self.kind!r}")
        if self.kind == "specific" and not self.versions:
            raise ValueError("the 'specific' version policy needs at least one version")
        if self.num_versions < 1:
            raise ValueError("num_versions must be >= 1")

    def select(self, available: Iterable[int]) -> list[int]:
        """The versions this policy wants, of those on disk (newest first)."""
        ordered = sorted(set(available), reverse=True)
        if self.kind == "latest":
            return ordered[: self.num_versions]
        if self.kind == "specific":
            return [v for v in ordered if v in self.versions]
        return ordered

    @classmethod
    def from_proto(cls, config: msc.ModelConfig) -> VersionPolicy:
        policy = config.model_version_policy
        which = policy.WhichOneof("policy_choice")
        if which == "all":
            return cls("all")
        if which == "specific":
            return cls("specific", versions=tuple(policy.specific.versions))
        if which == "latest":
            return cls("latest", num_versions=policy.latest.num_versions or 1)
        return cls()  # TF Serving's default: the latest version

    def fill(self, config: msc.ModelConfig) -> None:
        policy = config.model_version_policy
        if self.kind == "all":
            policy.all.SetInParent()
        elif self.kind == "specific":
            policy.specific.versions.extend(self.versions)
        else:
            policy.latest.num_versions = self.num_versions


@dataclass(frozen=True)
class ModelEntry:
    """One model as the server sees it."""

    name: str
    base_path: str
    policy: VersionPolicy = VersionPolicy()
    labels: Mapping[str, int] = field(default_factory=dict)


def discover(serving_dir: str) -> list[str]:
    """Model names under the serving directory (one folder per model, as the Pushers write them)."""
    if not os.path.isdir(serving_dir):
        return []
    return sorted(n for n in os.listdir(serving_dir) if os.path.isdir(os.path.join(serving_dir, n)))


def build(entries: Iterable[ModelEntry]) -> msc.ModelServerConfig:
    config = msc.ModelServerConfig()
    for entry in entries:
        model = config.model_config_list.config.add(name=entry.name, base_path=entry.base_path)
        model.model_platform = "tensorflow"
        entry.policy.fill(model)
        for label, version in sorted(entry.labels.items()):
            model.version_labels[label] = version
    return config


def for_serving_dir(
    serving_dir: str,
    base_path_root: str | None = None,
    policy: VersionPolicy = VersionPolicy(),
    labels: Mapping[str, Mapping[str, int]] | None = None,
) -> msc.ModelServerConfig:
    """A config naming every model under ``serving_dir``; base paths under ``base_path_root``
    (e.g. ``/models`` inside the TF Serving container) or the absolute local path."""
    root = base_path_root or os.path.abspath(serving_dir)
    names = discover(serving_dir)
    return build(ModelEntry(n, f"{root.rstrip('/')}/{n}", policy, (labels or {}).get(n, {})) for n in names)


def entries(config: msc.ModelServerConfig) -> list[ModelEntry]:
    return [
        ModelEntry(m.name, m.base_path, VersionPolicy.from_proto(m), dict(m.version_labels))
        for m in config.model_config_list.config
    ]


def to_text(config: msc.ModelServerConfig) -> str:
    return text_format.MessageToString(config)


def read(path: str) -> msc.ModelServerConfig:
    """Parse a ``models.config`` file; a malformed file is reported with its path."""
    with open(path) as f:
        text = f.read()
    try:
        return text_format.Parse(text, msc.ModelServerConfig())
    except text_format.ParseError as e:
        raise ValueError(f"{path}: not a TF Serving ModelServerConfig: {e}") from None


def monitoring_text(path: str = PROMETHEUS_PATH) -> str:
    """TF Serving's ``--monitoring_config_file``: Prometheus metrics on the REST port at ``path``."""
    return f'prometheus_config {{\n  enable: true\n  path: "{path}"\n}}\n'


def batching_text(
    max_batch_size: int = 1024, batch_timeout_micros: int = 2000, num_batch_threads: int = 4, max_enqueued: int = 100
) -> str:
    """TF Serving's ``--batching_parameters_file`` (server-side batching of concurrent requests)."""
    return (
        f"max_batch_size {{ value: {max_batch_size} }}\n"
        f"batch_timeout_micros {{ value: {batch_timeout_micros} }}\n"
        f"num_batch_threads {{ value: {num_batch_threads} }}\n"
        f"max_enqueued_batches {{ value: {max_enqueued} }}\n"
    )


def write_all(config: msc.ModelServerConfig, output_dir: str) -> dict[str, str]:
    """Write models.config, monitoring.config and batching.config; returns their paths."""
    os.makedirs(output_dir, exist_ok=True)
    files = {MODELS_CONFIG: to_text(config), MONITORING_CONFIG: monitoring_text(), BATCHING_CONFIG: batching_text()}
    paths = {}
    for name, text in files.items():
        paths[name] = os.path.join(output_dir, name)
        with open(paths[name], "w") as f:
            f.write(text)
    return paths
