"""The HTML page builder every page of the project uses (the report, the data views)."""

from __future__ import annotations

import html


def document(title: str, style: str, body: str) -> str:
    """A whole HTML page: one builder for the report and the data views."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>{body}</body></html>"
    )
