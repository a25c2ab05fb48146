"""deploy/Dockerfile (the Kubeflow image) carries every package of setup.py at the lock's versions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_pins_match_the_lock_and_copy_every_package():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    lock = dict(re.findall(r"^([a-z0-9_.-]+)==([^\s]+)$", (ROOT / "requirements.lock").read_text(), re.M))
    pins = re.findall(r"^\s+([a-z0-9_.-]+)==([^\s\\]+)", dockerfile, re.M)
    assert pins and all(lock.get(name) == version for name, version in pins), pins
    packages = _setup_packages()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert "webapp" in packages and set(packages) <= copied, set(packages) - copied


def _setup_packages() -> list[str]:
    """setup.py's PACKAGES list, read with ast (however it is laid out)."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PACKAGES" for t in node.targets)
    ]
    return list(ast.literal_eval(value))
