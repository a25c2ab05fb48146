"""What the files under a path look like on disk, for noticing change without reading them."""

from __future__ import annotations

import os


def tree_state(path: str) -> tuple[tuple[str, int, int], ...]:
    """(path relative to ``path``, size, mtime in ns) of every file under it (a file: itself, as
    "."), sorted; files that vanish while it looks are left out."""
    if os.path.isfile(path):
        names = [path]
    else:
        names = [os.path.join(root, name) for root, _, files in os.walk(path) for name in files]
    items = []
    for name in names:
        try:
            st = os.stat(name)
        except FileNotFoundError:
            continue
        items.append((os.path.relpath(name, path), st.st_size, st.st_mtime_ns))
    return tuple(sorted(items))
