# The two commands of the README: `make run` and `make test`.
# Both are idempotent: they create .venv and install what they need. Python alone suffices: the npm
# packages (YASGUI, the LDES client the tests run) are installed when npm exists, skipped otherwise.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test soak check build validate clean web web-if-npm

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Python compiles each module it imports, and where PYTHONDONTWRITEBYTECODE is set (many container
# images; this project's CI machines) it keeps nothing: every start, every server a test starts, compiled
# the app again (~0.45 s). compileall writes the bytecode of src/ (git-ignored; again only for files
# changed since); Python checks each file against its source, so stale bytecode is never used.
COMPILE := $(BIN)/python -m compileall -q src

run: $(STAMP) web-if-npm
	@$(COMPILE) >/dev/null
	$(BIN)/iopgraph serve

test: $(STAMP) web-if-npm
	@$(COMPILE) >/dev/null
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -m "not slow"

# The long reliability runs (marker `slow`): 60 s of load at concurrency 32, repeated SIGKILLs during
# writes, longer API fuzzing. CI runs it after `make test`; figures in var/reliability/figures.json.
soak: $(STAMP) web-if-npm
	$(BIN)/pytest -m slow

validate: $(STAMP)
	$(BIN)/iopgraph validate

build: $(STAMP)
	$(BIN)/iopgraph build

# npm packages (YASGUI for the SPARQL editor; the LDES client the tests run) into web/node_modules
# (git-ignored), pinned by web/package-lock.json.
WEB_STAMP := web/node_modules/.installed
$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make: npm is missing. Install Node.js and npm (Debian/Ubuntu: apt-get install -y nodejs npm), then run make again: it installs the SPARQL editor (YASGUI) and the test tools into web/node_modules." >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

# `make run` and `make test` need no npm: without it, /sparql serves a plain built-in editor and the
# tests that drive npm tools skip (CI installs npm and runs them).
web-if-npm:
	@if command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory web; \
	else \
	  echo "make: npm not found, skipping the web assets: /sparql serves a plain built-in editor and the tests that need npm tools skip. For the YASGUI editor install Node.js and npm (Debian/Ubuntu: apt-get install -y nodejs npm), then run 'make web'." >&2; \
	fi

clean:
	rm -rf $(VENV) var build
