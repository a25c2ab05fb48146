"""Reading a schema file and rendering it as a table (protobuf only: no TFX, no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

CURATED = Path(__file__).resolve().parent / "schema.pbtxt"
INFERRED = Path(__file__).resolve().parent / "inferred.pbtxt"


def load(path: str | Path = CURATED) -> schema_pb2.Schema:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no schema file")
    try:
        return text_format.Parse(p.read_text(encoding="utf-8"), schema_pb2.Schema())
    except text_format.ParseError as exc:
        raise ValueError(f"{p}: not a valid schema ({exc})") from None


def _domain(schema: schema_pb2.Schema, feature: schema_pb2.Feature) -> str:
    kind = feature.WhichOneof("domain_info")
    if kind == "int_domain":
        d = feature.int_domain
        lo = d.min if d.HasField("min") else "-inf"
        hi = d.max if d.HasField("max") else "inf"
        return f"int [{lo}, {hi}]"
    if kind == "float_domain":
        d = feature.float_domain
        lo = d.min if d.HasField("min") else "-inf"
        hi = d.max if d.HasField("max") else "inf"
        return (
            f"float [{lo:g}, {hi:g}]" if not isinstance(lo, str) and not isinstance(hi, str) else f"float [{lo}, {hi}]"
        )
    if kind == "domain":
        for sd in schema.string_domain:
            if sd.name == feature.domain:
                values = list(sd.value)
                shown = ", ".join(values[:6]) + (f", ... ({len(values)} values)" if len(values) > 6 else "")
                return "{" + shown + "}"
        return f"domain {feature.domain}"
    if kind == "string_domain":
        return "{" + ", ".join(feature.string_domain.value[:6]) + "}"
    return ""


def rows(schema: schema_pb2.Schema) -> list[dict[str, str]]:
    out = []
    for feature in schema.feature:
        presence = feature.presence
        if presence.min_fraction >= 1.0:
            required = "required"
        elif presence.min_fraction > 0:
            required = f">= {presence.min_fraction:.0%}"
        else:
            required = "optional"
        if feature.HasField("shape"):
            valency = "x".join(str(d.size) for d in feature.shape.dim) or "scalar"
        elif feature.HasField("value_count"):
            vc = feature.value_count
            valency = str(vc.min) if vc.min == vc.max else f"{vc.min}..{vc.max or 'n'}"
        else:
            valency = "any"
        envs = ""
        if feature.not_in_environment:
            envs = "not in " + ",".join(feature.not_in_environment)
        elif feature.in_environment:
            envs = "only in " + ",".join(feature.in_environment)
        out.append(
            {
                "feature": feature.name,
                "type": schema_pb2.FeatureType.Name(feature.type),
                "presence": required,
                "values": valency,
                "domain": _domain(schema, feature),
                "environments": envs,
            }
        )
    return out


def render(table: list[dict[str, str]]) -> str:
    """A plain-text table with aligned columns."""
    if not table:
        return "(empty)"
    columns = list(table[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    sep = "  ".join("-" * widths[c] for c in columns)
    body = ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in table]
    return "\n".join([line, sep, *body])
