# Two set-up commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs bench clean venv

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
	$(BIN)/python -m pytest -q -n 2 --durations=15 --doctest-modules jaxfound tests

lint: $(STAMP)
	$(BIN)/ruff check jaxfound tests benchmarks examples

docs: $(STAMP)
	$(BIN)/pip install -q -e '.[docs]'
	NO_MKDOCS_2_WARNING=1 \
	$(BIN)/mkdocs build --strict --site-dir site

# mypy (settings in pyproject.toml) on the modules that type-check cleanly today;
# widen the list as more modules become clean
TYPED := \
	jaxfound/typing.py \
	jaxfound/errors.py \
	jaxfound/base.py \
	jaxfound/_validate.py \
	jaxfound/_serialize.py \
	jaxfound/models/_adapters.py \
	jaxfound/__init__.py \
	jaxfound/cli.py \
	jaxfound/data/__init__.py \
	jaxfound/data/_batches.py \
	jaxfound/data/_csv.py \
	jaxfound/data/_describe.py \
	jaxfound/data/_digits.py \
	jaxfound/data/_encode.py \
	jaxfound/data/_folds.py \
	jaxfound/data/_impute.py \
	jaxfound/data/_load.py \
	jaxfound/data/_movielens.py \
	jaxfound/data/_scale.py \
	jaxfound/data/_serialize.py \
	jaxfound/data/_split.py \
	jaxfound/models/__init__.py \
	jaxfound/models/_dropout.py \
	jaxfound/models/_mlp.py \
	jaxfound/models/linear/__init__.py \
	jaxfound/models/linear/_inference.py \
	jaxfound/models/linear/_ols.py \
	jaxfound/models/linear/_params.py \
	jaxfound/models/recsys \
	jaxfound/models/svm/__init__.py \
	jaxfound/models/trees \
	jaxfound/physics/__init__.py \
	jaxfound/physics/_adaptive.py \
	jaxfound/physics/_conditions.py \
	jaxfound/physics/_operators.py \
	jaxfound/physics/_optimize.py \
	jaxfound/physics/_samplers.py \
	jaxfound/physics/_taylor.py \
	jaxfound/stats/__init__.py \
	jaxfound/stats/_bootstrap.py \
	jaxfound/stats/_checks.py \
	jaxfound/stats/_cross_validation.py \
	jaxfound/stats/_mle.py \
	jaxfound/stats/_probabilistic.py \
	jaxfound/stats/_regression.py \
	jaxfound/stats/_streaming.py \
	jaxfound/train/__init__.py \
	jaxfound/train/_callbacks.py \
	jaxfound/train/_checkpoint.py \
	jaxfound/train/_evaluate.py \
	jaxfound/train/_fit.py \
	jaxfound/train/_inputs.py \
	jaxfound/train/_plot.py \
	jaxfound/train/_state.py

.PHONY: typecheck
typecheck: $(STAMP)
	$(BIN)/mypy $(TYPED)

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]' || true
	$(BIN)/python benchmarks/mlp_mnist.py

clean:
	rm -rf $(VENV) site runs .pytest_cache
