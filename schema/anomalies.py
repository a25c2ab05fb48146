"""Reading ExampleValidator output (Split-*/SchemaDiff.pb) into readable rows. No TFX import."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tensorflow_metadata.proto.v0 import anomalies_pb2

SCHEMA_DIFF_FILE = "SchemaDiff.pb"


@dataclasses.dataclass(frozen=True)
class AnomalyRow:
    split: str
    feature: str
    severity: str
    short: str
    detail: str


def load(uri: str) -> dict[str, anomalies_pb2.Anomalies]:
    """{split: Anomalies} from an ExampleAnomalies artifact directory."""
    result: dict[str, anomalies_pb2.Anomalies] = {}
    for split_dir in sorted(Path(uri).glob("Split-*")):
        path = split_dir / SCHEMA_DIFF_FILE
        if path.is_file():
            proto = anomalies_pb2.Anomalies()
            proto.ParseFromString(path.read_bytes())
            result[split_dir.name[len("Split-") :]] = proto
    return result


def rows(by_split: dict[str, anomalies_pb2.Anomalies]) -> list[AnomalyRow]:
    """One row per anomalous feature (and per data-set-level anomaly), per split."""
    out: list[AnomalyRow] = []
    for split, proto in by_split.items():
        for feature, info in sorted(proto.anomaly_info.items()):
            out.append(
                AnomalyRow(
                    split=split,
                    feature=feature,
                    severity=anomalies_pb2.AnomalyInfo.Severity.Name(info.severity),
                    short=info.short_description,
                    detail="; ".join(r.description for r in info.reason) or info.description,
                )
            )
        if proto.HasField("dataset_anomaly_info"):
            info = proto.dataset_anomaly_info
            out.append(
                AnomalyRow(
                    split,
                    "(dataset)",
                    anomalies_pb2.AnomalyInfo.Severity.Name(info.severity),
                    info.short_description,
                    info.description,
                )
            )
    return out


def as_table(found: list[AnomalyRow]) -> list[dict[str, str]]:
    """Rows for a printed or HTML table."""
    return [
        {"split": r.split, "feature": r.feature, "severity": r.severity, "anomaly": r.short, "detail": r.detail}
        for r in found
    ]


def describe(found: list[AnomalyRow]) -> str:
    return "\n".join(f"  [{r.split}] {r.feature}: {r.short} ({r.detail})" for r in found)
