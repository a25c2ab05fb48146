"""Reading MovieLens text files line by line with their encoding detected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from movielens.errors import DataError


def decode(path: str | Path, data: bytes) -> str:
    """Decode a MovieLens file: UTF-8 when it is valid UTF-8, else latin-1 (GroupLens' encoding).

    A file with NUL bytes (UTF-16, a binary file, a compressed file) is refused with its name.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(
            str(path),
            line,
            "NUL byte found: the file is not latin-1 or UTF-8 text (UTF-16, compressed or binary?)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line without its end-of-line) for the non-blank lines."""
    p = Path(path)
    if not p.is_file():
        raise DataError(str(p), None, "file not found")
    text = decode(p, p.read_bytes())
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line
