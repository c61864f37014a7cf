# Rangkul. `make demo` to try it, `make test` before every commit.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes for `make test` (pytest-xdist): one per core; PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto
# axe-core, the accessibility engine the browser journeys inject (npm registry, exact version).
AXE_CORE_VERSION := 4.14.1
NODE_DIR := var/node
AXE := $(NODE_DIR)/node_modules/axe-core/axe.min.js

.PHONY: demo serve install install-dev axe migrate test test-browser lint fmt types imports check-migrations messages bench worker clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

$(AXE): Makefile
	npm install --prefix $(NODE_DIR) --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_CORE_VERSION)
	touch $@

## axe: install axe-core for the browser journeys' accessibility checks (needs npm)
axe: $(AXE)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

# The web server and one task worker together: one-time codes and welcome texts are printed by the
# worker (console SMS backend), partner imports run in it. Ctrl+C stops both; the worker is stopped
# on any exit of the server, so none is left behind.
SERVE_WITH_WORKER = worker_pid=; trap 'test -n "$$worker_pid" && kill $$worker_pid 2>/dev/null; exit 0' INT TERM EXIT; \
	$(PY) manage.py db_worker & worker_pid=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

## demo: install, migrate SQLite, load regions and demo data, serve on http://127.0.0.1:8000 with a task worker
demo: migrate
	$(PY) manage.py load_regions
	$(PY) manage.py load_workforce
	$(PY) manage.py seed_demo --population 2000
	@echo "Rangkul is at http://$(HOST):$(PORT)/  — one-time codes appear below as [SMS ...] lines (stop with Ctrl+C)"
	@$(SERVE_WITH_WORKER)

## serve: the web server with a task worker (no demo data)
serve: migrate
	@$(SERVE_WITH_WORKER)

## worker: run background tasks (django-tasks database backend)
worker: migrate
	$(PY) manage.py db_worker

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(DEV_STAMP)
	$(BIN)/mypy config rangkul bench

## imports: the app layers and the acyclic app graph (import-linter contracts in pyproject.toml)
imports: $(DEV_STAMP)
	$(BIN)/lint-imports --no-cache

check-migrations: $(DEV_STAMP)
	RANGKUL_ENV=test $(PY) manage.py makemigrations --check --dry-run

## test: lint, types, migrations check, the app layers (import-linter) and the test suite in parallel (SQLite, or PostgreSQL when DATABASE_URL is set)
test: lint types check-migrations imports
	RANGKUL_ENV=test $(PY) manage.py check --fail-level WARNING
	@RANGKUL_ENV=test $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as a failure"; exit 1; fi; exit $$rc

## test-browser: end-to-end journeys in the system Chromium (/usr/bin/chromium)
test-browser: $(DEV_STAMP) $(AXE)
	@RANGKUL_ENV=test RANGKUL_AXE_JS=$(AXE) $(BIN)/pytest -m browser $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no browser tests were collected: treating as a failure"; exit 1; fi; exit $$rc

## messages: refresh and compile the Indonesian catalogue (needs GNU gettext)
messages: $(DEV_STAMP)
	$(PY) manage.py makemessages --locale id --no-obsolete --ignore '.venv/*' --ignore 'bench/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --locale id --ignore '.venv/*'

bench: $(DEV_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(NODE_DIR) staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm
