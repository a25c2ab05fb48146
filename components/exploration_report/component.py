"""ExplorationReport: the report's EDA from ExampleGen's examples and catalogue, as an artifact."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from absl import logging
from tfx import types
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.artifacts import ExplorationReport as ExplorationReportArtifact
from components.artifacts import MovieCatalogue
from exploration.config import ANOMALIES_VIEW, STATISTICS_VIEW, ReportConfig


class Executor(base_executor.BaseExecutor):
    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        from exploration import assets, data_views, frames
        from exploration.build import build

        examples = artifact_utils.get_single_instance(input_dict["examples"])
        catalogue = artifact_utils.get_single_instance(input_dict["catalogue"])
        report = artifact_utils.get_single_instance(output_dict["report"])
        config = ReportConfig(**json.loads(exec_properties["config"]))
        kind = catalogue.get_string_custom_property("enrichment") if catalogue.has_custom_property("enrichment") else ""
        data = frames.from_examples(examples.uri, catalogue.uri, kind)
        links = {}
        if input_dict.get("statistics"):
            stats = artifact_utils.get_single_instance(input_dict["statistics"])
            data_views.write_statistics_view(stats.uri, os.path.join(report.uri, STATISTICS_VIEW))
            links["statistics view (TFDV)"] = STATISTICS_VIEW
        if input_dict.get("anomalies"):
            found = artifact_utils.get_single_instance(input_dict["anomalies"])
            schema = input_dict.get("schema")
            schema_path = os.path.join(schema[0].uri, "schema.pbtxt") if schema else None
            data_views.write_anomalies_view(found.uri, os.path.join(report.uri, ANOMALIES_VIEW), schema_path)
            links["anomalies view"] = ANOMALIES_VIEW
        try:
            assets.leaflet()
            offline = True
        except assets.MissingAsset as e:  # e.g. a container built without `make vendor`
            logging.warning("ExplorationReport: %s; the map loads Leaflet from %s", e, assets.CDN)
            offline = False
        result = build(
            data, report.uri, config, links, offline=offline, progress=lambda m: logging.info("report: %s", m)
        )
        report.set_int_custom_property("figures", result.figures)
        report.set_int_custom_property("tables", result.tables)
        report.set_int_custom_property("ratings", len(data.ratings))
        report.set_int_custom_property("offline_map", int(offline))
        logging.info("ExplorationReport: %s in %.1f s", result.path, result.seconds)


class ExplorationReportSpec(ComponentSpec):
    PARAMETERS = {"config": ExecutionParameter(type=str)}
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "catalogue": ChannelParameter(type=MovieCatalogue),
        "statistics": ChannelParameter(type=standard_artifacts.ExampleStatistics, optional=True),
        "anomalies": ChannelParameter(type=standard_artifacts.ExampleAnomalies, optional=True),
        "schema": ChannelParameter(type=standard_artifacts.Schema, optional=True),
    }
    OUTPUTS = {"report": ChannelParameter(type=ExplorationReportArtifact)}


class ExplorationReport(base_component.BaseComponent):
    """Writes the exploration report for the examples and catalogue of a run."""

    SPEC_CLASS = ExplorationReportSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(
        self,
        examples: types.BaseChannel,
        catalogue: types.BaseChannel,
        statistics: types.BaseChannel | None = None,
        anomalies: types.BaseChannel | None = None,
        schema: types.BaseChannel | None = None,
        config: ReportConfig | None = None,
    ) -> None:
        report = types.Channel(type=ExplorationReportArtifact)
        spec = ExplorationReportSpec(
            examples=examples,
            catalogue=catalogue,
            statistics=statistics,
            anomalies=anomalies,
            schema=schema,
            config=json.dumps(dataclasses.asdict(config or ReportConfig())),
            report=report,
        )
        super().__init__(spec=spec)
