# Haven: `make run` and `make test` are the two commands a newcomer needs (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
LOCALES := pl ro pa ur ar
POT := site/translations/messages.pot
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test test-sqlite test-postgres setup setup-test translations catalogs system-deps lock bench clean

# ---- set-up -------------------------------------------------------------------------------------

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Haven needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs only when the lock file changes, so a second `make run` is quick.
$(VENV)/.run-installed: requirements/run.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test-installed: requirements/test.txt $(VENV)/.run-installed
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	touch $@

# Compiled catalogs are build products (git-ignored); compile whenever a .po is newer.
MO_FILES := $(foreach l,$(LOCALES),site/translations/$(l)/LC_MESSAGES/messages.mo)
site/translations/%/LC_MESSAGES/messages.mo: site/translations/%/LC_MESSAGES/messages.po | $(VENV)/.run-installed
	$(BIN)/pybabel compile -l $* -i $< -o $@ >/dev/null
catalogs: $(MO_FILES)

instance/.db-ready: $(VENV)/.run-installed $(wildcard site/migrations/versions/*.py) $(wildcard content/*.yaml) $(wildcard content/services/*.yaml)
	mkdir -p instance
	$(BIN)/flask --app haven db upgrade
	$(BIN)/flask --app haven content load
	touch $@

setup: $(VENV)/.run-installed catalogs instance/.db-ready

run: setup
	$(BIN)/flask --app haven run --host $(HOST) --port $(PORT)

# Extract every string, update each catalog, compile. Translators then fill in the .po files.
translations: $(VENV)/.run-installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --no-location --project Haven -o $(POT) .
	for l in $(LOCALES); do \
	  if [ -f site/translations/$$l/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update -i $(POT) -d site/translations -l $$l --no-fuzzy-matching --ignore-obsolete; \
	  else $(BIN)/pybabel -q init -i $(POT) -d site/translations -l $$l; fi; \
	done
	$(MAKE) catalogs

# ---- tests --------------------------------------------------------------------------------------

# Debian's Chromium (Playwright cannot download browsers here), PostgreSQL, and Noto fonts so
# screenshots show Gurmukhi, Urdu and Arabic as people's phones do; redis-server for the fault
# drills (they start their own on a free port: it need not run as a service); only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pg_virtualenv >/dev/null || missing="$$missing postgresql postgresql-common"; \
	dpkg -s fonts-noto-core >/dev/null 2>&1 || missing="$$missing fonts-noto-core"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

setup-test: system-deps $(VENV)/.test-installed catalogs

test: setup-test
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# Two pytest-xdist workers, one a core (each with its own database, browser and live server):
# much of a browser test is waiting on Chromium or a server. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest --numprocesses $(TEST_WORKERS)

# Tests marked own_databases bring their own SQLite file and PostgreSQL cluster: the PostgreSQL
# pass runs them, the SQLite pass would only repeat them.
test-sqlite:
	@echo "== test suite on SQLite"
	HAVEN_TEST_DATABASE=sqlite $(PYTEST) -m "not own_databases" $(PYTEST_ARGS)

# pg_virtualenv makes a throwaway cluster on localhost (as user postgres when run as root) and
# drops it afterwards, whatever the outcome.
test-postgres:
	@echo "== test suite on PostgreSQL"
	pg_virtualenv -t -c "-p 25432" bash -c 'HAVEN_TEST_DATABASE="postgresql+psycopg://$$PGUSER:$$PGPASSWORD@127.0.0.1:$$PGPORT/$$PGDATABASE" $(PYTEST) $(PYTEST_ARGS)'

# ---- maintenance --------------------------------------------------------------------------------

# Re-pin every dependency with hashes after changing pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/run.txt
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes -q -o requirements/test.txt

# Every benchmark, then one table against the targets (bench/run_all.py). One throwaway PostgreSQL
# cluster serves the runs that have a PostgreSQL variant (BENCH_POSTGRES_URL).
bench: setup setup-test
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	pg_virtualenv -t -c "-p 25433" bash -c 'BENCH_POSTGRES_URL="postgresql+psycopg://$$PGUSER:$$PGPASSWORD@127.0.0.1:$$PGPORT/$$PGDATABASE" $(BIN)/python bench/run_all.py $(BENCH)'

clean:
	rm -rf $(VENV) instance build *.egg-info site/*.egg-info $(MO_FILES) .pytest_cache test-artifacts
