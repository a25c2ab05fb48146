"""The report page: one self-contained HTML file (figures as base64 PNG, the map in an iframe)."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from exploration.html_page import document
from exploration.sections import Section

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;opacity:.9}header a{color:#cfe3ff}
nav{padding:10px 28px;background:#fff;border-bottom:1px solid #ddd;font-size:14px;line-height:1.8}
nav a{margin-right:14px;color:#1f3b57;text-decoration:none}
main{padding:0 28px 40px;max-width:1200px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:22px 0;padding:6px 22px 18px}
h2{color:#1f3b57;font-size:19px}figure{margin:14px 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption,.caption{color:#444;font-size:14px;margin-top:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f0f4f8}td:first-child,th:first-child{text-align:left}.note{color:#8a5a00;background:#fff7e6;padding:8px}
details{margin:10px 0}summary{cursor:pointer;color:#1f3b57}
"""


def _figure(section_key: str, figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure id="fig-{figure.name}" data-figure="{figure.name}">'
        f'<img alt="{html.escape(figure.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption><b>{html.escape(figure.title)}.</b> {html.escape(figure.caption)} "
        f'<a href="figures/{figure.name}.png">PNG</a></figcaption></figure>'
    )


def _table(table) -> str:
    shown = table.frame.head(table.rows_shown)
    more = len(table.frame) - len(shown)
    body = shown.to_html(border=0, float_format=lambda v: f"{v:,.3f}", na_rep="")
    extra = f" (first {len(shown)} of {len(table.frame):,} rows)" if more > 0 else ""
    caption = f'<p class="caption">{html.escape(table.caption)}</p>' if table.caption else ""
    return (
        f'<details data-table="{table.name}"{" open" if len(table.frame) <= 15 else ""}>'
        f'<summary>{html.escape(table.title)}{extra}: <a href="tables/{table.name}.csv">CSV</a></summary>'
        f"{caption}{body}</details>"
    )


def render(sections: list[Section], title: str, subtitle: str, links: Mapping[str, str]) -> str:
    """The whole page; ``links``: label -> relative path (the statistics and anomalies views)."""
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title.split(" ", 1)[1].split(":")[0])}</a>' for s in sections)
    link_html = " &middot; ".join(f'<a href="{html.escape(p)}">{html.escape(label)}</a>' for label, p in links.items())
    parts = [
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p>",
        f"<p>{link_html}</p></header>" if links else "</header>",
        f"<nav>{nav}</nav><main>",
    ]
    for s in sections:
        parts.append(f'<section id="{s.key}" data-section="{s.key}"><h2>{html.escape(s.title)}</h2>')
        if s.note:
            parts.append(f'<p class="note">{html.escape(s.note)}</p>')
        parts.extend(_figure(s.key, f) for f in s.figures)
        if s.html:
            parts.append(f'<figure data-figure="{s.key}-map">{s.html}')
            parts.append(f"<figcaption>{html.escape(s.html_caption)}</figcaption></figure>")
        parts.extend(_table(t) for t in s.tables)
        parts.append("</section>")
    parts.append("</main>")
    return document(title, STYLE, "".join(parts))
