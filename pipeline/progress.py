"""A line per component as the runner starts and finishes it, with its duration; a heartbeat
line while a long one runs."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from typing import TextIO

from pipeline.parallel_runner import NODE_ATTRIBUTE

_RUNNING = re.compile(r"^Component (\S+) is running\.$")
_FINISHED = re.compile(r"^Component (\S+) is finished\.$")
_CACHED = re.compile(r"^A cached execution (\d+) is used\.$")
_FAILED = re.compile(r"^Component (\S+) failed\.$")


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
    """Watches the runner's log records and prints progress lines; keeps per-component durations.

    Components may run side by side (:mod:`pipeline.parallel_runner`). While any runs, a daemon
    thread prints ``… <name> running for 1m30s`` for each every ``heartbeat_seconds`` (0 or None: no
    heartbeat), so that a long Transform or Trainer shows it is alive; it stops when the ``with``
    block ends.
    """

    def __init__(self, stream: TextIO | None = None, heartbeat_seconds: float | None = 30.0) -> None:
        super().__init__(level=logging.INFO)
        self.stream = stream or sys.stderr
        self.heartbeat_seconds = heartbeat_seconds
        self.durations: dict[str, float] = {}
        self.cached: set[str] = set()
        self._running: dict[str, float] = {}  # component -> when it started, in start order
        self._failed: str | None = None
        self._next_beat = 0.0
        self._state = threading.Lock()  # guards _running/_failed/_next_beat and the stream
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            return
        if m := _RUNNING.match(message):
            with self._state:
                now = time.perf_counter()
                if self.heartbeat_seconds and not self._running:
                    self._next_beat = now + self.heartbeat_seconds
                self._running[m.group(1)] = now
                self._print(f"▶ {m.group(1)} started")
        elif _CACHED.match(message):
            with self._state:
                name = getattr(record, NODE_ATTRIBUTE, None) or next(reversed(self._running), None)
                if name:
                    self.cached.add(name)
        elif m := _FINISHED.match(message):
            with self._state:
                name = m.group(1)
                elapsed = time.perf_counter() - self._running.pop(name, time.perf_counter())
                self.durations[name] = elapsed
                note = " (cached)" if name in self.cached else ""
                self._print(f"✔ {name} finished in {elapsed:.1f} s{note}")
        elif m := _FAILED.match(message):
            with self._state:
                self._failed = m.group(1)

    @property
    def current(self) -> str | None:
        """The component that failed, or else the one started last of those still running."""
        return self._failed or next(reversed(self._running), None)

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
                if not self._running or now < self._next_beat:
                    continue
                for name, started in self._running.items():
                    self._print(f"… {name} running for {format_elapsed(now - started)}")
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
