# `make quickstart` and `make test` each set everything up on a fresh machine first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.krocr-installed
export NO_ALBUMENTATIONS_UPDATE := 1

.PHONY: setup quickstart test test-slow bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

quickstart: $(STAMP)
	bash scripts/quickstart.sh

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
