"""The table `movierec run` prints at the end: every output of the latest run and where it is."""

from __future__ import annotations

import json
import math
import os

from components.topk_evaluator.metrics import METRICS_FILE
from pipeline import outputs
from pipeline.config import PipelineConfig
from pipeline.pipeline_ids import (
    CATALOGUE_TYPE,
    EXAMPLE_GEN,
    EXAMPLE_VALIDATOR,
    EXPLORATION_REPORT,
    IMPORT_SCHEMA_GEN,
    REPORT_TYPE,
    SCHEMA_GEN,
    STATISTICS_GEN,
)
from schema.show import render


def outputs_table(config: PipelineConfig, views: dict[str, str]) -> str:
    rows: list[dict[str, str]] = []

    def add(what: str, path: str | None, detail: str = "") -> None:
        rows.append({"output": what, "path": path or "(not produced)", "detail": detail})

    md = config.metadata_path
    examples = outputs.latest_artifact(md, "Examples", EXAMPLE_GEN)
    if examples:
        p = examples.properties
        add(
            "examples (tf.Example, train/eval)",
            examples.uri,
            f"{p.get('format', '?')}, train {p.get('train_examples', '?')}, eval {p.get('eval_examples', '?')}, "
            f"{p.get('rejected_lines', 0)} rejected lines, enrichment: {p.get('enrichment') or 'none'}",
        )
    else:
        add("examples (tf.Example, train/eval)", None)
    catalogue = outputs.latest_artifact(md, CATALOGUE_TYPE, EXAMPLE_GEN)
    add(
        "movie catalogue",
        catalogue.uri if catalogue else None,
        f"{catalogue.properties.get('movies', '?')} movies" if catalogue else "",
    )
    stats = outputs.latest_artifact(md, "ExampleStatistics", STATISTICS_GEN)
    add("statistics (TFDV)", stats.uri if stats else None)
    inferred = outputs.latest_artifact(md, "Schema", SCHEMA_GEN)
    add("inferred schema", inferred and os.path.join(inferred.uri, "schema.pbtxt"))
    if config.curated_schema:
        imported = outputs.latest_artifact(md, "Schema", IMPORT_SCHEMA_GEN)
        add(
            "curated schema (validated against)",
            imported and os.path.join(imported.uri, "schema.pbtxt"),
            f"from {config.curated_schema}",
        )
    anomalies = outputs.latest_artifact(md, "ExampleAnomalies", EXAMPLE_VALIDATOR)
    add("anomalies (ExampleValidator)", anomalies.uri if anomalies else None)
    report = outputs.latest_artifact(md, REPORT_TYPE, EXPLORATION_REPORT)
    if config.report.enabled:
        add(
            "exploration report",
            report.uri if report else None,
            f"{report.properties.get('figures', '?')} figures, {report.properties.get('tables', '?')} tables"
            if report
            else "",
        )
    for name, path in sorted(views.items()):
        add(name if name.endswith(")") else f"{name} view (HTML)", path)
    add("ML Metadata (SQLite)", os.path.abspath(md))
    return render(rows)


def model_metrics(metadata_path: str, kind: str) -> dict[str, float]:
    """The latest evaluation of a model: TFMA's (ranking: RMSE derived from MSE; listwise: ndcg@5,
    ndcg@10) or TopKEvaluator's."""
    from pipeline.pipeline_ids import evaluator_id

    evaluation = outputs.latest_artifact(metadata_path, "ModelEvaluation", evaluator_id(kind))
    if evaluation is None:
        return {}
    metrics_file = os.path.join(evaluation.uri, METRICS_FILE)
    if os.path.exists(metrics_file):
        with open(metrics_file) as f:
            return json.load(f)
    import tensorflow_model_analysis as tfma

    result: dict[str, float] = {}
    for per_slice in tfma.load_metrics(evaluation.uri):
        if len(per_slice.slice_key.single_slice_keys) == 0:  # the overall slice
            for entry in per_slice.metric_keys_and_values:
                if entry.key.is_diff or entry.key.model_name == tfma.BASELINE_KEY:  # the candidate's own values
                    continue
                name = entry.key.name
                if entry.key.HasField("sub_key") and entry.key.sub_key.HasField("top_k"):
                    name += f"@{entry.key.sub_key.top_k.value}"  # NDCG@5, NDCG@10
                result[name] = entry.value.double_value.value
    if "mean_squared_error" in result:
        result["rmse"] = math.sqrt(result["mean_squared_error"])
    return result


def models_table(config: PipelineConfig) -> str:
    """One row per configured model: key metrics, blessed or not (and why), where it was pushed."""
    from pipeline.pipeline_ids import evaluator_id, pusher_id

    rows = []
    for model in config.models:
        metrics = model_metrics(config.metadata_path, model.name)
        blessing = outputs.latest_artifact(config.metadata_path, "ModelBlessing", evaluator_id(model.name))
        pushed = outputs.latest_artifact(config.metadata_path, "PushedModel", pusher_id(model.name))
        shown = []
        for key, label in (
            ("top_k_accuracy@10", "top-10"),
            ("top_k_accuracy@100", "top-100"),
            ("popularity_accuracy@100", "popularity top-100"),
            ("filtered_precision@10", "per-user p@10"),
            ("popularity_filtered_precision@10", "popularity p@10"),
            ("rmse", "RMSE"),
            ("mean_absolute_error", "MAE"),
            ("ndcg@10", "NDCG@10"),
        ):
            if key in metrics:
                shown.append(f"{label} {metrics[key]:.4f}")
        if blessing is None:
            verdict = "not evaluated"
        elif blessing.properties.get("blessed"):
            verdict = "blessed"
        else:
            verdict = str(blessing.properties.get("blessing_message") or "not blessed")
        where = pushed.properties.get("pushed_destination") if pushed and pushed.properties.get("pushed") else ""
        rows.append(
            {
                "model": model.name,
                "metrics": ", ".join(shown) or "-",
                "blessing": verdict,
                "pushed to": where or "(not pushed)",
            }
        )
    return render(rows) if rows else "(no models configured)"
