"""The run's views, written beside its outputs (work_dir/views): statistics, anomalies, the report."""

from __future__ import annotations

import os
import shutil

from exploration.config import ANOMALIES_VIEW, REPORT_FILE, STATISTICS_VIEW
from exploration.data_views import write_anomalies_view, write_statistics_view


def write_views(metadata_path: str, views_dir: str, schema_path: str | None) -> dict[str, str]:
    """Write every view whose input exists in the latest run; returns {view: path}.

    The statistics and anomalies pages are rendered once: the ExplorationReport renders them beside
    its page, and they are copied from there; without a report they are rendered here.
    """
    from pipeline import outputs
    from pipeline.pipeline_ids import EXAMPLE_VALIDATOR, EXPLORATION_REPORT, REPORT_TYPE, STATISTICS_GEN

    written: dict[str, str] = {}
    views_dir = os.path.abspath(views_dir)
    report = outputs.latest_artifact(metadata_path, REPORT_TYPE, EXPLORATION_REPORT)
    rendered = report.uri if report and os.path.exists(os.path.join(report.uri, REPORT_FILE)) else None
    stats = outputs.latest_artifact(metadata_path, "ExampleStatistics", STATISTICS_GEN)
    if stats:
        target = os.path.join(views_dir, STATISTICS_VIEW)
        if not _copied(rendered, STATISTICS_VIEW, target):
            write_statistics_view(stats.uri, target)
        written["statistics"] = target
    anomalies_ref = outputs.latest_artifact(metadata_path, "ExampleAnomalies", EXAMPLE_VALIDATOR)
    if anomalies_ref:
        target = os.path.join(views_dir, ANOMALIES_VIEW)
        if not _copied(rendered, ANOMALIES_VIEW, target):
            write_anomalies_view(anomalies_ref.uri, target, schema_path)
        written["anomalies"] = target
    if rendered:
        target = os.path.join(views_dir, "report")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(rendered, target)  # with the statistics and anomalies views it links to
        written["exploration report (HTML)"] = os.path.join(target, REPORT_FILE)
    return written


def _copied(folder: str | None, name: str, target: str) -> bool:
    """Copy ``folder/name`` to ``target`` if it is there."""
    if not folder or not os.path.exists(os.path.join(folder, name)):
        return False
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.join(folder, name), target)
    return True
