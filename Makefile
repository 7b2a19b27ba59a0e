# The README's two commands: `make run` and `make test`. Both set up
# everything from a fresh machine: a venv in .venv with the project installed,
# and (for tests, when root) the Debian packages the real-synth and GUI tests use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check system-deps benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/musicassist gui

system-deps:
	bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check musicassist tests benchmarks
	$(BIN)/mypy

test: install system-deps lint
	$(BIN)/python -m pytest

benchmark: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
