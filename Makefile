# The README's two commands: `make run` and `make test`. Both set up
# everything from a fresh machine: a venv in .venv with the project installed,
# and (for tests, when root) the Debian packages the real-synth and GUI tests use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check system-deps benchmark fuzz differential clean

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

# The long fuzz run of issue 12: 10,000 mutated MIDI/MusicXML/ABC files (other case numbers than the
# slice `make test` runs) and 1,000 random `generate` option sets. Failing cases are listed by number.
fuzz: install
	MUSICASSIST_FUZZ_CASES=10000 MUSICASSIST_FUZZ_FIRST=100000 MUSICASSIST_FUZZ_GENERATE_CASES=1000 \
		$(BIN)/python -m pytest tests/fuzz -q -s -p no:cacheprovider

# Issue 13's full differential run: 450 corpus ABC tunes against abc2midi and 120 corpus MusicXML
# scores against MuseScore 3 (make test runs a slice). Prints every tune or score that differs.
differential: install system-deps
	MUSICASSIST_DIFFERENTIAL_FULL=1 $(BIN)/python -m pytest tests/differential -q -s -p no:cacheprovider

# Issue 16: tune the shipped model towards the folk-melody rules (about 50 minutes on 2 cores), then measure it
# against its prior on 300 held-out seeds and record the comparison in the tuned model's card.
tune: install
	$(BIN)/musicassist tune --init default --rules "folk melody" --lr 2e-4 --kl 0.3 --seeds 8 --per-seed 8 \
		--time-budget 46 --out models/tuned-folk
	$(BIN)/musicassist evaluate --model tuned-folk --realism-only --json > models/tuned-folk/.realism.json
	$(BIN)/musicassist evaluate --model tuned-folk --continuation-pieces 0 --orders 3 --json \
		> models/tuned-folk/.likelihood.json
	$(BIN)/python -m musicassist.ml.tune_evaluate --model tuned-folk models/tuned-folk/.realism.json \
		models/tuned-folk/.likelihood.json

benchmark: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
