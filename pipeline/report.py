"""The table `movierec run` prints at the end: every output of the latest run and where it is."""

from __future__ import annotations

import os

from pipeline import outputs
from pipeline.config import PipelineConfig
from pipeline.pipeline_ids import (
    EXAMPLE_GEN,
    EXAMPLE_VALIDATOR,
    IMPORT_SCHEMA_GEN,
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
    catalogue = outputs.latest_artifact(md, "MovieCatalogue", EXAMPLE_GEN)
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
    for name, path in sorted(views.items()):
        add(f"{name} view (HTML)", path)
    add("ML Metadata (SQLite)", os.path.abspath(md))
    return render(rows)
