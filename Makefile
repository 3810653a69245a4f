# The two commands of the README: `make run` and `make test`.
# Both are idempotent: they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check build validate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/iopgraph serve

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/pytest

validate: $(STAMP)
	$(BIN)/iopgraph validate

build: $(STAMP)
	$(BIN)/iopgraph build

clean:
	rm -rf $(VENV) var build
