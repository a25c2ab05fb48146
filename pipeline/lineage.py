"""The chain that produced a pushed model, read from ML Metadata (SQLite or MySQL).

From the Pusher's PushedModel artifact back through every completed execution whose outputs it
descends from (Evaluator and blessing, Trainer and its configuration, Transform graph, schema,
ExampleGen and its data source and split), plus the statistics and anomalies computed from those
examples. ml_metadata only (no TFX import): ``movierec lineage`` answers in seconds.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pipeline import metadata_store
from pipeline.outputs import ArtifactRef, scalar
from pipeline.pipeline_ids import pusher_id

# The execution properties worth showing per component (the rest are in ML Metadata).
SHOWN_PROPERTIES = (
    "data_dir", "enrichment_dir", "split", "eval_fraction", "seed", "history_length", "input_fingerprint",
    "schema_file", "preprocessing_fn", "run_fn", "custom_config", "halt", "push_destination",
)  # fmt: skip
DERIVED_FROM_EXAMPLES = ("ExampleStatistics", "ExampleAnomalies")


class LineageError(LookupError):
    """No such pushed model (or version) in the metadata source."""


@dataclasses.dataclass(frozen=True)
class Step:
    node: str  # the component id
    execution_id: int
    state: str
    properties: dict[str, Any]
    inputs: tuple[ArtifactRef, ...]
    outputs: tuple[ArtifactRef, ...]


def _value(value: Any) -> Any:
    """A property's scalar (JSON text decoded), or None for structured values."""
    plain = scalar(value)
    if isinstance(plain, str) and plain[:1] in "{[":
        try:
            return json.loads(plain)
        except ValueError:
            return plain
    return plain


def _scalars(properties: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values = {k: _value(v) for k, v in properties.items() if k not in skip}
    return {k: v for k, v in values.items() if v is not None}


class _Reader:
    def __init__(self, source: str) -> None:
        from ml_metadata.proto import metadata_store_pb2

        self.pb = metadata_store_pb2
        self.store = metadata_store.open_store(source)
        self._types: dict[int, str] = {}

    def type_name(self, artifact: Any) -> str:
        if artifact.type_id not in self._types:
            self._types[artifact.type_id] = self.store.get_artifact_types_by_id([artifact.type_id])[0].name
        return self._types[artifact.type_id]

    def info(self, artifact: Any) -> ArtifactRef:
        props = _scalars(artifact.custom_properties, ("tfx_version", "is_external", "stats_dashboard_link"))
        return ArtifactRef(artifact.id, self.type_name(artifact), artifact.uri, props)

    def node(self, execution: Any) -> str:
        names = [c.name for c in self.store.get_contexts_by_execution(execution.id)]
        nodes = [n.split(".", 1)[1] for n in names if n.count(".") == 1 and not n[0].isdigit()]
        return nodes[0] if nodes else f"execution {execution.id}"

    def step(self, execution: Any) -> Step:
        events = self.store.get_events_by_execution_ids([execution.id])
        artifacts = {a.id: a for a in self.store.get_artifacts_by_id([e.artifact_id for e in events])}
        inputs = tuple(self.info(artifacts[e.artifact_id]) for e in events if e.type == self.pb.Event.INPUT)
        outputs = tuple(self.info(artifacts[e.artifact_id]) for e in events if e.type == self.pb.Event.OUTPUT)
        props = {k: v for k, v in _scalars(execution.custom_properties).items() if k in SHOWN_PROPERTIES}
        state = self.pb.Execution.State.Name(execution.last_known_state)
        return Step(self.node(execution), execution.id, state, props, inputs, outputs)

    def completed(self, artifact_id: int, event_type: int) -> list[Any]:
        """Completed executions with an event of ``event_type`` on the artifact, oldest first."""
        ids = [e.execution_id for e in self.store.get_events_by_artifact_ids([artifact_id]) if e.type == event_type]
        executions = self.store.get_executions_by_id(ids) if ids else []
        return sorted((e for e in executions if e.last_known_state == self.pb.Execution.COMPLETE), key=lambda e: e.id)


def pushed_versions(source: str, model: str) -> list[ArtifactRef]:
    """Every version of ``model`` a Pusher pushed, oldest first."""
    return _pushed(_Reader(source), model)


def _pushed(reader: _Reader, model: str) -> list[ArtifactRef]:
    pushed = [
        reader.info(a)
        for a in reader.store.get_artifacts_by_type("PushedModel")
        if f"/{pusher_id(model)}/" in a.uri and a.state == reader.pb.Artifact.LIVE
    ]
    return sorted((p for p in pushed if p.properties.get("pushed") == 1), key=lambda p: p.id)


def lineage(source: str, model: str, version: int | None = None) -> tuple[ArtifactRef, list[Step]]:
    """The pushed version (the latest if ``version`` is None) and the steps that produced it, in
    execution order."""
    reader = _Reader(source)
    pushes = _pushed(reader, model)
    chosen = [p for p in pushes if version is None or str(p.properties.get("pushed_version")) == str(version)]
    if not chosen:
        known = ", ".join(str(p.properties.get("pushed_version")) for p in pushes) or "none"
        wanted = f"version {version} of " if version is not None else ""
        raise LineageError(
            f"no pushed {wanted}model {model!r} in {metadata_store.describe(source)} (pushed versions: {known})"
        )
    pushed = chosen[-1]
    steps: dict[int, Step] = {}
    queue = [pushed.id]
    seen: set[int] = set()
    while queue:
        artifact_id = queue.pop()
        if artifact_id in seen:
            continue
        seen.add(artifact_id)
        producers = reader.completed(artifact_id, reader.pb.Event.OUTPUT)
        if not producers:
            continue
        step = reader.step(producers[0])
        steps[step.execution_id] = step
        queue += [a.id for a in step.inputs]
        if any(a.type_name == "Examples" for a in step.outputs):
            _add_derived(reader, step, steps)
    return pushed, [steps[i] for i in sorted(steps)]


def _add_derived(reader: _Reader, example_gen: Step, steps: dict[int, Step]) -> None:
    """The statistics of the examples, and the anomalies found in those statistics."""
    frontier = [a.id for a in example_gen.outputs if a.type_name == "Examples"]
    for type_name in DERIVED_FROM_EXAMPLES:
        found = []
        for artifact_id in frontier:
            for execution in reader.completed(artifact_id, reader.pb.Event.INPUT):
                step = reader.step(execution)
                if any(a.type_name == type_name for a in step.outputs):
                    steps.setdefault(step.execution_id, step)
                    found += [a.id for a in step.outputs if a.type_name == type_name]
        frontier = found


def _short(value: Any, width: int | None = None) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def render(model: str, pushed: ArtifactRef, steps: list[Step]) -> str:
    """The chain as text, oldest step first."""
    version, where = pushed.properties.get("pushed_version"), pushed.properties.get("pushed_destination")
    lines = [f"{model} version {version} pushed to {where}", ""]
    for step in steps:
        lines.append(f"{step.node}  (execution {step.execution_id}, {step.state})")
        for key, value in sorted(step.properties.items()):
            lines.append(f"    {key}: {_short(value)}")
        for label, artifacts in (("in", step.inputs), ("out", step.outputs)):
            for a in artifacts:
                props = ", ".join(f"{k}={_short(v, 40)}" for k, v in sorted(a.properties.items()))
                lines.append(f"    {label:>3} {a.type_name} #{a.id} {a.uri}" + (f"  [{props}]" if props else ""))
    return "\n".join(lines)
