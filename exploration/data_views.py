"""HTML views of a run's statistics (StatisticsGen) and anomalies (ExampleValidator): offline tables,
plus TFDV's Facets overview. Written beside the exploration report and into work_dir/views."""

from __future__ import annotations

import html
from pathlib import Path

from exploration.html_page import document
from schema import anomalies

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.ok{color:#17752c}.bad{color:#b00020}
"""


def _page(title: str, body: str) -> str:
    return document(title, _STYLE, f"<h1>{html.escape(title)}</h1>{body}")


def _feature_rows(dataset) -> list[dict[str, object]]:
    rows = []
    n = dataset.num_examples or 1
    for feature in dataset.features:
        name = ".".join(feature.path.step) or feature.name
        kind = feature.WhichOneof("stats")
        row: dict[str, object] = {"feature": name, "type": type(feature).Type.Name(feature.type)}
        common = (
            feature.num_stats.common_stats
            if kind == "num_stats"
            else feature.string_stats.common_stats
            if kind == "string_stats"
            else None
        )
        if common is not None:
            row["missing %"] = f"{100.0 * common.num_missing / n:.1f}"
            row["values/example"] = f"{common.avg_num_values:.2f}"
        if kind == "num_stats":
            s = feature.num_stats
            row.update(
                {
                    "mean": f"{s.mean:.4g}",
                    "std": f"{s.std_dev:.4g}",
                    "min": f"{s.min:.4g}",
                    "median": f"{s.median:.4g}",
                    "max": f"{s.max:.4g}",
                }
            )
        elif kind == "string_stats":
            s = feature.string_stats
            top = ", ".join(f"{v.value} ({int(v.frequency)})" for v in s.top_values[:3])
            row.update({"unique": s.unique, "top values": top})
        rows.append(row)
    return rows


def _table(rows: list[dict[str, object]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_statistics_view(statistics_uri: str, output: str) -> str:
    """statistics.html: a per-split feature table (offline) plus the TFDV Facets view."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    parts, by_split = [], {}
    for split_dir in sorted(Path(statistics_uri).glob("Split-*")):
        path = split_dir / "FeatureStats.pb"
        if not path.exists():
            continue
        stats = statistics_pb2.DatasetFeatureStatisticsList()
        stats.ParseFromString(path.read_bytes())
        split = split_dir.name[len("Split-") :]
        by_split[split] = stats
        dataset = stats.datasets[0]
        parts.append(f"<h2>Split {html.escape(split)}: {dataset.num_examples:,} examples</h2>")
        parts.append(_table(_feature_rows(dataset)))
    if len(by_split) >= 2:
        from tensorflow_data_validation.utils import display_util

        (lhs_name, lhs), (rhs_name, rhs) = list(by_split.items())[:2]
        parts.append("<h2>Facets overview (needs the internet for its scripts)</h2>")
        parts.append(display_util.get_statistics_html(lhs, rhs, lhs_name=lhs_name, rhs_name=rhs_name))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(_page("movierec: example statistics", "".join(parts)), encoding="utf-8")
    return output


def write_anomalies_view(anomalies_uri: str, output: str, schema_path: str | None = None) -> str:
    """anomalies.html: one row per anomaly and split, or a clear 'no anomalies' line."""
    found = anomalies.rows(anomalies.load(anomalies_uri))
    source = f"<p>Validated against <code>{html.escape(schema_path or 'the inferred schema')}</code>.</p>"
    if found:
        body = f"<p class='bad'>{len(found)} anomal{'y' if len(found) == 1 else 'ies'} found.</p>" + _table(
            anomalies.as_table(found)
        )
    else:
        body = "<p class='ok'>No anomalies: every split matches the schema.</p>"
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(_page("movierec: data anomalies", source + body), encoding="utf-8")
    return output
