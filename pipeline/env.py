"""Process set-up every entry point runs before TensorFlow is imported; the quiet console of a run."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from typing import TextIO

# The project's top-level packages (setup.py): their warnings and errors belong on the console.
OUR_PACKAGES = frozenset(
    {"movielens", "pipeline", "components", "transform", "trainer", "serving", "schema", "cli", "exploration"}
)
# Lines meant for the user, whoever logs them (the trainer's per-epoch lines, for one).
CONSOLE_PREFIX = "[movierec]"
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def setup() -> None:
    """Keras 2 for TFT/TFRS, quiet TF C++ logs unless asked for."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    # Google client libraries warn about Python 3.10 on import; TFX 1.16 requires 3.10.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@functools.lru_cache(maxsize=512)
def _is_our_file(pathname: str) -> bool:
    """Whether a source file belongs to one of our packages (a checkout or an installed copy)."""
    path = os.path.abspath(pathname)
    if path.startswith(_REPO_ROOT + os.sep):
        parts = os.path.relpath(path, _REPO_ROOT).split(os.sep)
        return len(parts) > 1 and parts[0] in OUR_PACKAGES
    parts = path.split(os.sep)
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        return len(rest) > 1 and rest[0] in OUR_PACKAGES
    return False


def for_the_console(record: logging.LogRecord) -> bool:
    """A log record the user should see: a ``[movierec]`` line, or a warning/error of our own code."""
    try:
        message = record.getMessage()
    except Exception:
        return False
    if message.startswith(CONSOLE_PREFIX):
        return True
    if record.levelno < logging.WARNING:
        return False
    # absl's logger is named "absl" whoever calls it; the caller's file tells whose record it is.
    return record.name.split(".")[0] in OUR_PACKAGES or _is_our_file(record.pathname or "")


class ConsoleHandler(logging.StreamHandler):
    """Writes only :func:`for_the_console` records, as bare messages (with the level when not a progress line)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.addFilter(for_the_console)

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith(CONSOLE_PREFIX):
            return message
        text = f"{CONSOLE_PREFIX} {record.levelname.lower()}: {message}"
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return text


@dataclasses.dataclass
class Console:
    """Where the user's eyes are while fds 1 and 2 point at the log: the original stdout and stderr."""

    out: TextIO
    err: TextIO
    log_file: str


def _console_stream(stream: TextIO, fd: int, opened: list[TextIO]) -> TextIO:
    """A stream on the terminal (or pipe) ``fd`` is now: a duplicate of the fd, or ``stream`` itself
    when it is not backed by ``fd`` (pytest's capture, ``contextlib.redirect_stdout``)."""
    try:
        backed = stream.fileno() == fd
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        backed = False
    if not backed:
        return stream
    console = open(  # closed when the block ends
        os.dup(fd),
        "w",
        buffering=1,
        encoding=getattr(stream, "encoding", None) or "utf-8",
        errors=getattr(stream, "errors", None) or "backslashreplace",
    )
    opened.append(console)
    return console


@contextlib.contextmanager
def output_to_log(log_file: str) -> Iterator[Console]:
    """Send everything written to fds 1 and 2 (C++ logs of TensorFlow/XLA/absl, Python warnings,
    library loggers, child processes) to ``log_file`` for the block; yields the :class:`Console`.

    Enter it before TensorFlow is imported: some of TF's C++ lines are written to fd 2 at import
    time, before any log level applies. Log records for the user (:func:`for_the_console`) go to
    ``Console.err``; every WARNING+ record also goes to the log. Fds, handlers and streams are
    restored on the way out; an exception leaves its traceback in the log and propagates.
    """
    os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    opened: list[TextIO] = []
    console = Console(
        out=_console_stream(sys.stdout, 1, opened), err=_console_stream(sys.stderr, 2, opened), log_file=log_file
    )
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for fd in (1, 2):
        os.dup2(log_fd, fd)
    os.close(log_fd)

    root = logging.getLogger()
    file_handler = logging.FileHandler(log_file)  # appends, like the fds
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console_handler = ConsoleHandler(console.err)
    root.addHandler(file_handler)
    root.addHandler(console_handler)
    try:
        yield console
    except BaseException:
        with contextlib.suppress(Exception):
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(traceback.format_exc())
        raise
    finally:
        root.removeHandler(console_handler)
        root.removeHandler(file_handler)
        file_handler.close()
        for stream in (sys.stdout, sys.stderr, console.out, console.err):
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        for stream in opened:
            with contextlib.suppress(Exception):
                stream.close()
