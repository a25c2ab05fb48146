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
    tuning = _tuning_table(metadata_path, views_dir)
    if tuning:
        written["tuning table (markdown)"] = tuning
    picture = _feature_importance(metadata_path, views_dir)
    if picture:
        written["DCN-v2 feature importance (PNG)"] = picture
        if "exploration report (HTML)" in written:
            _link_from_report(written["exploration report (HTML)"], os.path.relpath(picture, target))
    return written


def _feature_importance(metadata_path: str, views_dir: str) -> str | None:
    """The latest DCN run's feature-importance picture and CSV, copied into the views; the PNG's path."""
    from pipeline import outputs
    from pipeline.pipeline_ids import trainer_id
    from trainer.config import IMPORTANCE_CSV, IMPORTANCE_PNG

    run = outputs.latest_artifact(metadata_path, "ModelRun", trainer_id("dcn"))
    if run is None or not os.path.exists(os.path.join(run.uri, IMPORTANCE_PNG)):
        return None
    _copied(run.uri, IMPORTANCE_CSV, os.path.join(views_dir, IMPORTANCE_CSV))
    _copied(run.uri, IMPORTANCE_PNG, os.path.join(views_dir, IMPORTANCE_PNG))
    return os.path.join(views_dir, IMPORTANCE_PNG)


def _tuning_table(metadata_path: str, views_dir: str) -> str | None:
    """The latest Tuner's tuning table (CSV and markdown), copied into the views; the markdown's path."""
    from pipeline import outputs
    from pipeline.pipeline_ids import TUNED_MODEL, tuner_id
    from trainer.config import TUNING_CSV, TUNING_MD

    results = outputs.latest_artifact(metadata_path, "TunerResults", tuner_id(TUNED_MODEL))
    if results is None or not _copied(results.uri, TUNING_MD, os.path.join(views_dir, TUNING_MD)):
        return None
    _copied(results.uri, TUNING_CSV, os.path.join(views_dir, TUNING_CSV))
    return os.path.join(views_dir, TUNING_MD)


def _link_from_report(report_html: str, href: str) -> None:
    """A link to the model's picture at the end of the (copied) report page, which is written before
    any model is trained."""
    with open(report_html, encoding="utf-8") as f:
        page = f.read()
    link = (
        '<p class="model-views">Model: <a href="' + href + '">DCN-v2 feature importance</a> '
        "(which feature crosses the ranking model relies on)</p>"
    )
    page = page.replace("</body>", link + "\n</body>", 1) if "</body>" in page else page + link
    with open(report_html, "w", encoding="utf-8") as f:
        f.write(page)


def _copied(folder: str | None, name: str, target: str) -> bool:
    """Copy ``folder/name`` to ``target`` if it is there."""
    if not folder or not os.path.exists(os.path.join(folder, name)):
        return False
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.join(folder, name), target)
    return True
