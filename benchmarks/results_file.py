"""Write a benchmark's results: JSON (the record) and markdown (its table), side by side."""

from __future__ import annotations

import json
from pathlib import Path


def write(output: str | Path, record: dict, markdown: str) -> None:
    """``<output>.json`` and ``<output>.md``; the markdown is printed too."""
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown + "\n")
    print(markdown)
