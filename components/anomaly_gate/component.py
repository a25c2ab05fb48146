"""A gate after ExampleValidator: fails the run (naming every anomaly) unless told to go on."""

from __future__ import annotations

from typing import Any

from absl import logging
from tfx import types
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from schema import anomalies


class AnomaliesFoundError(RuntimeError):
    """ExampleValidator found anomalies and the pipeline is configured to stop on them."""


class Executor(base_executor.BaseExecutor):
    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        artifact = artifact_utils.get_single_instance(input_dict["anomalies"])
        found = anomalies.rows(anomalies.load(artifact.uri))
        if not found:
            logging.info("AnomalyGate: no anomalies in %s", artifact.uri)
            return
        message = (
            f"ExampleValidator found {len(found)} anomal{'y' if len(found) == 1 else 'ies'} "
            f"against the schema:\n{anomalies.describe(found)}\n"
            "Fix the data or the schema (schema/schema.pbtxt), or run with --no-halt-on-anomalies."
        )
        if exec_properties.get("halt", 1):
            raise AnomaliesFoundError(message)
        logging.warning("AnomalyGate (not halting): %s", message)


class AnomalyGateSpec(ComponentSpec):
    PARAMETERS = {"halt": ExecutionParameter(type=int)}
    INPUTS = {"anomalies": ChannelParameter(type=standard_artifacts.ExampleAnomalies)}
    OUTPUTS: dict = {}


class AnomalyGate(base_component.BaseComponent):
    """Stops the pipeline after ExampleValidator when its anomalies artifact lists any anomaly."""

    SPEC_CLASS = AnomalyGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, anomalies: types.BaseChannel, halt: bool = True) -> None:
        super().__init__(spec=AnomalyGateSpec(anomalies=anomalies, halt=int(halt)))
