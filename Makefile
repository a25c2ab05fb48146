# Two commands do all set-up: `make run` (pipeline on the synthetic sample) and `make test`.
# The venv is keyed by the hash of the lock and setup.py: it is re-synced only when they change.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
LOCK := requirements.lock
STAMP := $(VENV)/.synced-$(shell cat $(LOCK) setup.py | sha256sum | cut -c1-16)
UV := $(shell command -v uv 2>/dev/null)
export TF_USE_LEGACY_KERAS := 1
export UV_CACHE_DIR ?= $(HOME)/.cache/uv

.PHONY: install run test test-fast lint lock bench-data clean

install: $(STAMP)

$(STAMP): $(LOCK) setup.py
	@if [ -z "$(UV)" ]; then python3 -m pip install --quiet uv; fi
	@rm -f $(VENV)/.synced-*
	uv venv --allow-existing --python $(PYTHON_VERSION) $(VENV)
	VIRTUAL_ENV=$(VENV) uv pip sync $(LOCK)
	VIRTUAL_ENV=$(VENV) uv pip install --no-deps -e .
	@touch $@

run: install
	$(VENV)/bin/movierec run $(ARGS)

test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(VENV)/bin/python -m pytest -m "not e2e" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

lock:
	uv pip compile requirements.in --python-version 3.10 -o $(LOCK)

bench-data: install
	$(VENV)/bin/python benchmarks/data_half.py $(ARGS)

clean:
	rm -rf work .pytest_cache
