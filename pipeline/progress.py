"""A line per component as LocalDagRunner starts and finishes it, with its duration; a heartbeat
line while a long one runs."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from typing import TextIO

_RUNNING = re.compile(r"^Component (\S+) is running\.$")
_FINISHED = re.compile(r"^Component (\S+) is finished\.$")
_CACHED = re.compile(r"^A cached execution (\d+) is used\.$")


def format_elapsed(seconds: float) -> str:
    """75 -> '1m15s', 42 -> '42s', 3725 -> '1h02m05s'."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class ComponentProgress(logging.Handler):
    """Watches TFX's own log records and prints progress lines; keeps per-component durations.

    While a component runs, a daemon thread prints ``… <name> running for 1m30s`` every
    ``heartbeat_seconds`` (0 or None: no heartbeat), so that a long Transform or Trainer shows it
    is alive; it stops when the ``with`` block ends.
    """

    def __init__(self, stream: TextIO | None = None, heartbeat_seconds: float | None = 30.0) -> None:
        super().__init__(level=logging.INFO)
        self.stream = stream or sys.stderr
        self.heartbeat_seconds = heartbeat_seconds
        self.durations: dict[str, float] = {}
        self.cached: set[str] = set()
        self._current: str | None = None
        self._started = 0.0
        self._next_beat = 0.0
        self._state = threading.Lock()  # guards _current/_started/_next_beat and the stream
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            return
        if m := _RUNNING.match(message):
            with self._state:
                self._current, self._started = m.group(1), time.perf_counter()
                if self.heartbeat_seconds:
                    self._next_beat = self._started + self.heartbeat_seconds
                self._print(f"▶ {self._current} started")
        elif _CACHED.match(message) and self._current:
            self.cached.add(self._current)
        elif m := _FINISHED.match(message):
            with self._state:
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
        try:
            print(f"[movierec] {text}", file=self.stream, flush=True)
        except (OSError, ValueError):  # a closed console must not fail the run
            pass

    def _beat(self) -> None:
        assert self.heartbeat_seconds
        tick = min(1.0, self.heartbeat_seconds / 4)
        while not self._stop.wait(tick):
            with self._state:
                now = time.perf_counter()
                if self._current is None or now < self._next_beat:
                    continue
                self._print(f"… {self._current} running for {format_elapsed(now - self._started)}")
                while self._next_beat <= now:
                    self._next_beat += self.heartbeat_seconds

    def __enter__(self) -> ComponentProgress:
        logging.getLogger().addHandler(self)
        if self.heartbeat_seconds:
            self._stop.clear()
            self._beater = threading.Thread(target=self._beat, name="movierec-heartbeat", daemon=True)
            self._beater.start()
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
        self._stop.set()
        if self._beater is not None:
            self._beater.join(timeout=5)
            self._beater = None
