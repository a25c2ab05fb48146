"""Leaflet's script and style, from the npm registry's ``leaflet`` package, for an offline map.

``make install`` fetches the package once (``npm pack leaflet@VERSION``, which checks the registry's
integrity hash) into ``.vendor/``; the report inlines ``dist/leaflet.js`` and ``dist/leaflet.css``
so that the page needs the internet only for the map's background tiles.
"""

from __future__ import annotations

import base64
import os
import re
import tarfile
from pathlib import Path

LEAFLET_VERSION = "1.9.4"
VENDOR_DIR = Path(os.environ.get("MOVIEREC_VENDOR_DIR", Path(__file__).resolve().parent.parent / ".vendor"))
TARBALL = f"leaflet-{LEAFLET_VERSION}.tgz"
CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist"


class MissingAsset(FileNotFoundError):
    pass


def leaflet() -> tuple[str, str]:
    """(leaflet.js, leaflet.css) from the vendored npm tarball."""
    path = VENDOR_DIR / TARBALL
    if not path.exists():
        raise MissingAsset(
            f"{path} is missing: run `make vendor` (npm pack leaflet@{LEAFLET_VERSION}) to embed the map's scripts"
        )
    with tarfile.open(path, "r:gz") as archive:

        def read(name: str) -> str:
            member = archive.extractfile(f"package/dist/{name}")
            if member is None:
                raise MissingAsset(f"{path}: no package/dist/{name}")
            return member.read().decode("utf-8")

        def image(match: re.Match) -> str:  # the layer-control and marker icons, inlined as data URIs
            member = archive.extractfile(f"package/dist/images/{match.group(1)}")
            if member is None:
                raise MissingAsset(f"{path}: no package/dist/images/{match.group(1)}")
            return f"url(data:image/png;base64,{base64.b64encode(member.read()).decode('ascii')})"

        css = re.sub(r"url\(images/([\w.-]+\.png)\)", image, read("leaflet.css"))
        return read("leaflet.js"), css
