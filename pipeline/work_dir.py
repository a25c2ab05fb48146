"""The work directory's guards: writable with room to spare, and one run at a time.

A run holds an exclusive lock on ``<work_dir>/run.lock`` (``flock``: released by the kernel when the
process dies, even by SIGKILL, so a killed run never blocks the next one). A second run on the same
work dir stops at once with a message naming the run that holds it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator

LOCK_FILE = "run.lock"
# OSErrors that mean "this path cannot be written", reported with the path instead of a traceback
WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR}


class WorkDirError(RuntimeError):
    """The work directory cannot take a run (unwritable, full, or in use by another run)."""


def check_writable(work_dir: str, min_free_bytes: int) -> None:
    """WorkDirError naming the path unless ``work_dir`` can be created, written, and has
    ``min_free_bytes`` free on its disk."""
    try:
        os.makedirs(work_dir, exist_ok=True)
        probe = os.path.join(work_dir, f".write-probe-{os.getpid()}")
        with open(probe, "wb") as f:
            f.write(b"movierec")
        os.remove(probe)
    except OSError as e:
        raise WorkDirError(f"work dir {work_dir} is not writable: {e.strerror} ({e.filename or work_dir})") from None
    free = shutil.disk_usage(work_dir).free
    if free < min_free_bytes:
        raise WorkDirError(
            f"work dir {work_dir}: only {free / 2**20:.0f} MiB free on its disk, a run needs at least "
            f"{min_free_bytes / 2**20:.0f} MiB (free some space or use another --work-dir)"
        )


@contextlib.contextmanager
def run_lock(work_dir: str) -> Iterator[None]:
    """Hold the work dir's run lock for the block; WorkDirError at once if another run holds it."""
    os.makedirs(work_dir, exist_ok=True)
    path = os.path.join(work_dir, LOCK_FILE)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise WorkDirError(
                f"another movierec run is using {work_dir} ({holder}): wait for it to finish, or use another --work-dir"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


def unwritable_path(exc: BaseException) -> str | None:
    """A sentence naming the path when ``exc`` (or what caused it) is a failed write: disk full,
    quota, permissions, read-only; None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in WRITE_ERRORS:
            return f"cannot write {current.filename or '(unknown path)'}: {current.strerror}"
        if "No space left on device" in str(current):
            return f"the disk is full: {current}"
        current = current.__cause__ or current.__context__
    return None
