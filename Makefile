# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= ./plaudit-data
PORT ?= 8000

.PHONY: run test lint typecheck install dev-install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,report]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev-install: $(VENV)/.dev-installed

## run: install, load the small demo community (once) and serve on PORT
run: install
	$(BIN)/plaudit demo --size small --data-dir $(DATA_DIR) --if-empty
	$(BIN)/plaudit serve --data-dir $(DATA_DIR) --port $(PORT)

lint: dev-install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: dev-install
	$(BIN)/mypy

## test: install, then lint, type-check and run the whole test suite
test: lint typecheck
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
