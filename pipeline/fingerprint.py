"""A cheap fingerprint of input files (names, sizes, mtimes) for pipeline caching."""

from __future__ import annotations

import hashlib

from movielens.file_tree import tree_state


def fingerprint(*paths: str | None) -> str:
    """Hash of every regular file under the given paths; non-local paths hash by name only."""
    digest = hashlib.sha256()
    for path in paths:
        if not path:
            continue
        digest.update(path.encode())
        for rel, size, mtime in tree_state(path):
            digest.update(f"{rel}:{size}:{mtime}".encode())
    return digest.hexdigest()[:16]
