# `make quickstart` and `make test` each set everything up on a fresh machine first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.krocr-installed
TEST_STAMP := $(VENV)/.krocr-test-tools
BENCH_STAMP := $(VENV)/.krocr-bench-tools
CHECKED := src tests benchmarks scripts
export NO_ALBUMENTATIONS_UPDATE := 1

.PHONY: setup quickstart test lint test-slow bench-tools clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

$(TEST_STAMP): $(STAMP)
	bash scripts/setup.sh test
	touch $@

$(BENCH_STAMP): $(STAMP)
	bash scripts/setup.sh bench
	touch $@

quickstart: $(STAMP)
	bash scripts/quickstart.sh

# lint and types first: they take seconds, the suite minutes
lint: $(STAMP)
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/mypy

test: lint $(TEST_STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m slow

bench-tools: $(BENCH_STAMP)

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
