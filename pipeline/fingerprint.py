"""A cheap fingerprint of input files (names, sizes, mtimes) for pipeline caching."""

from __future__ import annotations

import hashlib
import os


def fingerprint(*paths: str | None) -> str:
    """Hash of every regular file under the given paths; non-local paths hash by name only."""
    digest = hashlib.sha256()
    for path in paths:
        if not path:
            continue
        digest.update(path.encode())
        if os.path.isfile(path):
            files = [path]
        elif os.path.isdir(path):
            files = sorted(os.path.join(root, name) for root, _, names in os.walk(path) for name in names)
        else:
            continue
        for name in files:
            st = os.stat(name)
            digest.update(f"{os.path.relpath(name, path)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
