"""A line per component as LocalDagRunner starts and finishes it, with its duration."""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import TextIO

_RUNNING = re.compile(r"^Component (\S+) is running\.$")
_FINISHED = re.compile(r"^Component (\S+) is finished\.$")
_CACHED = re.compile(r"^A cached execution (\d+) is used\.$")


class ComponentProgress(logging.Handler):
    """Watches TFX's own log records and prints progress lines; keeps per-component durations."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(level=logging.INFO)
        self.stream = stream or sys.stderr
        self.durations: dict[str, float] = {}
        self.cached: set[str] = set()
        self._current: str | None = None
        self._started = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            return
        if m := _RUNNING.match(message):
            self._current, self._started = m.group(1), time.perf_counter()
            self._print(f"▶ {self._current} started")
        elif _CACHED.match(message) and self._current:
            self.cached.add(self._current)
        elif m := _FINISHED.match(message):
            name = m.group(1)
            elapsed = time.perf_counter() - self._started
            self.durations[name] = elapsed
            note = " (cached)" if name in self.cached else ""
            self._print(f"✔ {name} finished in {elapsed:.1f} s{note}")
            self._current = None

    @property
    def current(self) -> str | None:
        """The component running now (the failed one, after an exception)."""
        return self._current

    def _print(self, text: str) -> None:
        print(f"[movierec] {text}", file=self.stream, flush=True)

    def __enter__(self) -> ComponentProgress:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
