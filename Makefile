# Two set-up commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck docs bench clean venv

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,examples]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m jaxfound.cli demo --out runs/demo

test: $(STAMP)
	$(BIN)/ruff check jaxfound tests benchmarks examples
	$(BIN)/mypy jaxfound
	$(BIN)/python -m pytest -q -n 2 --durations=15 --doctest-modules jaxfound tests

lint: $(STAMP)
	$(BIN)/ruff check jaxfound tests benchmarks examples

docs: $(STAMP)
	$(BIN)/pip install -q -e '.[docs]'
	NO_MKDOCS_2_WARNING=1 \
	$(BIN)/mkdocs build --strict --site-dir site

# mypy on the whole package (settings and the not-yet-clean modules in pyproject.toml)
typecheck: $(STAMP)
	$(BIN)/mypy jaxfound

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]' || true
	$(BIN)/python benchmarks/mlp_mnist.py

clean:
	rm -rf $(VENV) site runs .pytest_cache
