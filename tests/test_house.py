"""The house stays a house: a package imports only packages on floors below its own.

Floors (low to high): the MovieLens library and the schema; preprocessing; the serving contract
(signature and tensor names, read by the trainer and by serving); the trainer, serving and the
exploration report; the TFX components; the pipeline; the CLI. Benchmarks and tests stand outside.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS: dict[str, int] = {
    "movielens": 0,
    "schema": 0,
    "transform": 1,
    "serving.contract": 2,
    "trainer": 3,
    "serving": 3,
    "exploration": 3,
    "components": 4,
    "webapp": 4,
    "pipeline": 5,
    "cli": 6,
}


def _room(module: str) -> str | None:
    """The most specific FLOORS entry a dotted module name belongs to."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in FLOORS:
            return name
    return None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in a file (``from a import b`` also as ``a.b``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def upward_imports() -> list[str]:
    """'file:line: room -> room' for every import of a room on the same or a higher floor."""
    wrong = []
    for top in {room.split(".")[0] for room in FLOORS}:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            here = _room(module)
            assert here is not None
            for line, imported in _imports(path):
                there = _room(imported)
                if there is None or there == here or there.split(".")[0] == here.split(".")[0]:
                    continue  # a library, or the package itself
                if FLOORS[there] >= FLOORS[here]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {here} -> {there}")
    return wrong


def test_no_import_runs_upward_or_sideways():
    assert upward_imports() == []


MAX_FUNCTION_LINES = 80


def test_no_function_is_longer_than_80_lines():
    long = []
    for top in [*{room.split(".")[0] for room in FLOORS}, "benchmarks"]:
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} ({lines} lines)")
    assert long == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    # the checker itself: a library module that imported the pipeline would be reported
    (tmp_path / "movielens").mkdir()
    (tmp_path / "movielens" / "bad.py").write_text("from pipeline.config import PipelineConfig\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports() == ["movielens/bad.py:1: movielens -> pipeline"]
