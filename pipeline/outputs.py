"""Finding a run's outputs in ML Metadata (no TFX import: ml_metadata only)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from pipeline import metadata_store

SCALAR_KINDS = ("int_value", "string_value", "double_value")


@dataclasses.dataclass(frozen=True)
class ArtifactRef:
    """An ML Metadata artifact: id, type, URI and its custom properties' values."""

    id: int
    type_name: str
    uri: str
    properties: dict[str, object]


def scalar(value: Any) -> object | None:
    """An ML Metadata property value's int, string or double; None for a structured one."""
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind in SCALAR_KINDS else None


def _shown(value: Any) -> object:
    """A property's scalar, or the text of a structured value."""
    plain = scalar(value)
    return str(value) if plain is None else plain


def latest_artifact(metadata_path: str, type_name: str, component: str | None = None) -> ArtifactRef | None:
    """The newest LIVE artifact of a type (optionally produced by a component id), or None.
    ``metadata_path``: a metadata source (a SQLite file or a mysql:// URI)."""
    if not metadata_store.exists(metadata_path):
        return None
    from ml_metadata.proto import metadata_store_pb2

    store = metadata_store.open_store(metadata_path)
    try:
        artifacts = store.get_artifacts_by_type(type_name)
    except Exception:
        return None
    live = [
        a
        for a in artifacts
        if a.state == metadata_store_pb2.Artifact.LIVE
        and (component is None or f"{os.sep}{component}{os.sep}" in a.uri)
    ]
    if not live:
        return None
    newest = max(live, key=lambda a: a.id)
    props = {key: _shown(value) for key, value in newest.custom_properties.items()}
    return ArtifactRef(newest.id, type_name, newest.uri, props)
