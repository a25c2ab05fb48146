"""`movierec download`: fetch a GroupLens MovieLens zip, verify its SHA-256, unpack it."""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import shutil
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import TextIO


@dataclasses.dataclass(frozen=True)
class Dataset:
    url: str
    sha256: str
    size: int


# Official GroupLens archives (sizes and SHA-256 as recorded by TensorFlow Datasets).
DATASETS: dict[str, Dataset] = {
    "ml-1m": Dataset(
        "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        5_917_549,
    ),
    "ml-100k": Dataset(
        "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        4_924_029,
    ),
}
DEFAULT_CACHE = Path(os.environ.get("MOVIEREC_CACHE", Path.home() / ".cache" / "movierec"))


class DownloadError(RuntimeError):
    """The archive could not be fetched, was incomplete, or did not match its checksum."""


def download(
    name: str,
    cache_dir: str | os.PathLike[str] = DEFAULT_CACHE,
    url: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
    stream: TextIO | None = None,
) -> Path:
    """Download (once), verify and unpack data set ``name``; return the unpacked folder."""
    if name not in DATASETS:
        raise DownloadError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    spec = DATASETS[name]
    stream = stream or sys.stderr
    url = url or spec.url
    expected = (sha256 or spec.sha256).lower()
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{name}.zip"
    target = cache / name
    if (target / ".verified").is_file() and (target / ".verified").read_text().strip() == expected:
        return target

    if not archive.is_file() or _sha256(archive) != expected:
        partial = archive.with_suffix(".zip.part")
        _fetch(url, partial, timeout, stream)
        actual = _sha256(partial)
        if actual != expected:
            partial.unlink()
            raise DownloadError(f"{url}: SHA-256 mismatch (expected {expected}, got {actual}); the file was discarded")
        partial.replace(archive)

    staging = cache / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{archive}: not a readable zip ({exc})") from None
    # GroupLens zips hold one top folder (ml-1m/); keep its content directly under target.
    entries = list(staging.iterdir())
    content = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(str(content), str(target))
    shutil.rmtree(staging, ignore_errors=True)
    (target / ".verified").write_text(expected + "\n")
    print(f"[movierec] {name} verified (sha256 {expected[:12]}...) and unpacked in {target}", file=stream)
    return target


def _fetch(url: str, path: Path, timeout: float, stream: TextIO) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(path, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if total:
                    print(f"\r[movierec] downloading {url}: {done * 100 // total}%", end="", file=stream)
            print(file=stream)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{url}: download failed ({exc})") from None
    if total and done != total:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{url}: truncated download ({done} of {total} bytes); try again")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
