"""Headless Chromium for the browser tests: Debian's `chromium` (`make browser`, part of `make test`)
driven by Playwright."""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def launch_chromium(playwright: Any) -> Any:
    """A headless browser; a clear failure (never a skip) when chromium is not installed."""
    path = shutil.which("chromium")
    assert path, "Debian's chromium is missing: `make test` installs it (make browser)"
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
