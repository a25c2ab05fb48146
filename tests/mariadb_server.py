"""A real MariaDB for the ML Metadata on MySQL tests: Debian's `mariadb-server` (`make test`
installs it), started in a temporary data folder on a free 127.0.0.1 port, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

USER, PASSWORD = "movierec", "movierec-test-password"


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise RuntimeError(f"{name} not found: install Debian's mariadb-server (`make mariadb`, part of `make test`)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDB:
    """``start()``: a fresh server with a user USER/PASSWORD allowed everything from 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.socket = str(root / "mariadb.sock")
        self.process: subprocess.Popen | None = None

    def uri(self, database: str) -> str:
        return f"mysql://{USER}@127.0.0.1:{self.port}/{database}"

    def _client(self, sql: str) -> None:
        subprocess.run(
            [_binary("mariadb"), "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", sql],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    def start(self) -> MariaDB:
        data = self.root / "data"
        user = ["--user=root"] if os.geteuid() == 0 else []  # mariadbd refuses root unless told
        subprocess.run(
            [_binary("mariadb-install-db"), "--no-defaults", f"--datadir={data}", *user,
             "--auth-root-authentication-method=socket", "--skip-test-db"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.process = subprocess.Popen(
            [_binary("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.root / 'mariadb.pid'}",
             f"--log-error={self.root / 'error.log'}", "--skip-name-resolve", "--innodb-buffer-pool-size=32M",
             *user],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                self._client("SELECT 1")
                break
            except subprocess.CalledProcessError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "error.log").read_text() if (self.root / "error.log").exists() else ""
                    raise RuntimeError(f"MariaDB did not start:\n{log[-2000:]}") from None
                time.sleep(0.2)
        self._client(
            f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; "
            f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1';"
        )
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
