"""Finding a run's outputs in ML Metadata (no TFX import: ml_metadata only)."""

from __future__ import annotations

import dataclasses
import os


@dataclasses.dataclass(frozen=True)
class ArtifactRef:
    id: int
    type_name: str
    uri: str
    properties: dict[str, object]


def latest_artifact(metadata_path: str, type_name: str, component: str | None = None) -> ArtifactRef | None:
    """The newest LIVE artifact of a type (optionally produced by a component id), or None."""
    if not os.path.exists(metadata_path):
        return None
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    store = metadata_store.MetadataStore(config)
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
    props: dict[str, object] = {}
    for key, value in newest.custom_properties.items():
        kind = value.WhichOneof("value")
        props[key] = getattr(value, kind) if kind in ("int_value", "string_value", "double_value") else str(value)
    return ArtifactRef(newest.id, type_name, newest.uri, props)
