# Two commands do all set-up: `make run` (pipeline on the synthetic sample) and `make test`.
# The venv is keyed by the hash of the lock, setup.py and this file: it is re-synced only when they change.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
LOCK := requirements.lock
STAMP := $(VENV)/.synced-$(shell cat $(LOCK) setup.py Makefile | sha256sum | cut -c1-16)
UV := python3 -m uv
export TF_USE_LEGACY_KERAS := 1
export UV_CACHE_DIR ?= $(HOME)/.cache/uv

LEAFLET := .vendor/leaflet-1.9.4.tgz

.PHONY: install run test test-fast lint lock bench-data browser mariadb clean

install: $(STAMP) $(LEAFLET)

# Leaflet from the npm registry (npm checks its integrity hash), inlined into the report's map.
$(LEAFLET):
	@mkdir -p .vendor
	cd .vendor && npm pack --silent leaflet@1.9.4 >/dev/null

# Debian's chromium for the report's browser test (installed when missing; needs root or sudo).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's MariaDB for the ML Metadata on MySQL tests (installed when missing; the tests start their
# own server in a temporary folder on a free 127.0.0.1 port).
mariadb:
	@command -v mariadbd >/dev/null || PATH="$$PATH:/usr/sbin" command -v mariadbd >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq mariadb-server >/dev/null; }

$(STAMP): $(LOCK) setup.py Makefile
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@rm -f $(VENV)/.synced-*
	$(UV) venv --allow-existing --python $(PYTHON_VERSION) $(VENV)
	@# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines) every
	@# process would otherwise compile TensorFlow's and TFX's sources again at each import (tfx.v1: 33 s -> s).
	$(UV) pip sync --compile-bytecode --python $(VENV)/bin/python $(LOCK)
	$(UV) pip install --python $(VENV)/bin/python --no-deps -e .
	@# TF Serving's message descriptors for the TensorFlow-free gRPC client (serving/protos.py)
	TF_CPP_MIN_LOG_LEVEL=3 $(VENV)/bin/python -m serving.protos
	@touch $@

run: install
	$(VENV)/bin/movierec run $(ARGS)

test: install browser mariadb lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: install browser mariadb
	$(VENV)/bin/python -m pytest -m "not e2e" $(PYTEST_ARGS)

# ruff: pyflakes, pycodestyle, import order (I), complexity (C90: at most 13); formatting.
# The import floors and the 80-line limit on functions are tests (tests/test_house.py).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lock:
	$(UV) pip compile requirements.in --python-version 3.10 -o $(LOCK)

bench-data: install
	$(VENV)/bin/python benchmarks/data_half.py $(ARGS)

clean:
	rm -rf work .pytest_cache
