"""ExampleValidator's anomalies read into rows, the gate that stops a run on them, and the HTML views."""

from __future__ import annotations

from pathlib import Path

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2
from tfx.types import standard_artifacts

from components.anomaly_gate.component import AnomaliesFoundError, Executor
from exploration.data_views import write_anomalies_view, write_statistics_view
from schema import anomalies


def _anomalies_dir(root: Path, **by_split: anomalies_pb2.Anomalies) -> Path:
    for split, proto in by_split.items():
        (root / f"Split-{split}").mkdir(parents=True)
        (root / f"Split-{split}" / anomalies.SCHEMA_DIFF_FILE).write_bytes(proto.SerializeToString())
    return root


def _one_anomaly() -> anomalies_pb2.Anomalies:
    proto = anomalies_pb2.Anomalies()
    info = proto.anomaly_info["user_gender"]
    info.severity = anomalies_pb2.AnomalyInfo.ERROR
    info.short_description = "Unexpected string values"
    info.reason.add(description="Examples contain values missing from the schema: X (<1%).")
    return proto


def _gate(uri: Path, halt: bool) -> None:
    artifact = standard_artifacts.ExampleAnomalies()
    artifact.uri = str(uri)
    Executor().Do({"anomalies": [artifact]}, {}, {"halt": int(halt)})


def test_rows_name_split_feature_severity_and_reason(tmp_path):
    found = anomalies.rows(
        anomalies.load(str(_anomalies_dir(tmp_path, eval=_one_anomaly(), train=anomalies_pb2.Anomalies())))
    )
    assert [(r.split, r.feature, r.severity, r.short) for r in found] == [
        ("eval", "user_gender", "ERROR", "Unexpected string values")
    ]
    assert "values missing from the schema: X" in found[0].detail
    assert "[eval] user_gender" in anomalies.describe(found)


def test_the_gate_halts_on_an_anomaly_and_names_it(tmp_path):
    uri = _anomalies_dir(tmp_path, eval=_one_anomaly())
    with pytest.raises(AnomaliesFoundError, match=r"(?s)1 anomaly.*user_gender.*--no-halt-on-anomalies"):
        _gate(uri, halt=True)
    _gate(uri, halt=False)  # told to go on: a warning, no error


def test_the_gate_lets_clean_data_through(tmp_path):
    _gate(_anomalies_dir(tmp_path / "a", train=anomalies_pb2.Anomalies(), eval=anomalies_pb2.Anomalies()), halt=True)


def test_anomalies_view_lists_each_anomaly_or_says_none(tmp_path):
    page = Path(
        write_anomalies_view(str(_anomalies_dir(tmp_path / "a", eval=_one_anomaly())), str(tmp_path / "a.html"))
    )
    text = page.read_text()
    assert "1 anomaly found" in text and "user_gender" in text and "Unexpected string values" in text
    clean = _anomalies_dir(tmp_path / "b", eval=anomalies_pb2.Anomalies())
    assert "No anomalies" in Path(write_anomalies_view(str(clean), str(tmp_path / "b.html"), "s.pbtxt")).read_text()


def test_statistics_view_has_a_row_per_feature_and_split(tmp_path):
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    dataset = stats.datasets.add(num_examples=4)
    rating = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.FLOAT)
    rating.path.step.append("user_rating")
    rating.num_stats.mean, rating.num_stats.max = 3.5, 5.0
    gender = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.STRING)
    gender.path.step.append("user_gender")
    gender.string_stats.unique = 2
    gender.string_stats.top_values.add(value="M", frequency=3)
    (tmp_path / "s" / "Split-train").mkdir(parents=True)
    (tmp_path / "s" / "Split-train" / "FeatureStats.pb").write_bytes(stats.SerializeToString())
    text = Path(write_statistics_view(str(tmp_path / "s"), str(tmp_path / "s.html"))).read_text()
    assert "Split train: 4 examples" in text
    assert "user_rating" in text and "3.5" in text and "M (3)" in text
