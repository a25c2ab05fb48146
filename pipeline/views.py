"""The run's views, written beside its outputs (work_dir/views): statistics, anomalies, the report."""

from __future__ import annotations

import os
import shutil

from exploration.config import REPORT_FILE
from exploration.data_views import write_anomalies_view, write_statistics_view


def write_views(metadata_path: str, views_dir: str, schema_path: str | None) -> dict[str, str]:
    """Write every view whose input exists in the latest run; returns {view: path}."""
    from pipeline import outputs
    from pipeline.pipeline_ids import EXAMPLE_VALIDATOR, EXPLORATION_REPORT, REPORT_TYPE, STATISTICS_GEN

    written: dict[str, str] = {}
    views_dir = os.path.abspath(views_dir)
    stats = outputs.latest_artifact(metadata_path, "ExampleStatistics", STATISTICS_GEN)
    if stats:
        written["statistics"] = write_statistics_view(stats.uri, os.path.join(views_dir, "statistics.html"))
    anomalies_ref = outputs.latest_artifact(metadata_path, "ExampleAnomalies", EXAMPLE_VALIDATOR)
    if anomalies_ref:
        written["anomalies"] = write_anomalies_view(
            anomalies_ref.uri, os.path.join(views_dir, "anomalies.html"), schema_path
        )
    report = outputs.latest_artifact(metadata_path, REPORT_TYPE, EXPLORATION_REPORT)
    if report and os.path.exists(os.path.join(report.uri, REPORT_FILE)):
        target = os.path.join(views_dir, "report")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(report.uri, target)  # with the statistics and anomalies views it links to
        written["exploration report (HTML)"] = os.path.join(target, REPORT_FILE)
    return written
