# sscard — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := bash
UV_VERSION := 0.13.9
VENV := .venv
UV := $(VENV)/bin/uv
PORT ?= 8000

.PHONY: help install run test lint migrations-check ci clean bench bench-full docs docs-check screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV) ## install the locked dependencies into .venv
	$(UV) sync --frozen --quiet

run: install ## serve the product on SQLite with demo data at http://127.0.0.1:8000 (PORT=8001 for another port)
	$(VENV)/bin/sscard serve --demo --port $(PORT)

test: install ## run every test (PostgreSQL ones too, when PostgreSQL is installed), a process per core
	$(VENV)/bin/pytest --numprocesses auto --maxprocesses 4

lint: install ## ruff, formatting, mypy (strict) and the import contracts (lint-imports)
	$(VENV)/bin/ruff check src tests bench docs/examples
	$(VENV)/bin/ruff format --check src tests bench docs/examples
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy tests
	$(VENV)/bin/lint-imports --no-cache

migrations-check: install ## `alembic check`: the migrations match the models
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	export SSCARD_DATABASE_URL="sqlite:///$$dir/check.db" && \
	$(VENV)/bin/alembic upgrade head && $(VENV)/bin/alembic check

docs: install ## serve the documentation site at http://127.0.0.1:8001 while you edit docs/
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:$(or $(DOCS_PORT),8001)

docs-check: install ## build the documentation site, refusing any warning (a broken link or include)
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir "$$dir"

screenshots: install ## run the browser tests and copy the office docs' screenshots into docs/office/screenshots
	$(VENV)/bin/pytest -q -p no:randomly tests/e2e
	$(VENV)/bin/python -m tests.e2e.publish_screenshots

ci: lint migrations-check docs-check test ## what .ci/run runs after installing PostgreSQL

clean: ## remove the virtualenv, caches and the demo database
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: install ## the benchmarks, quick sizes (a few minutes); records BENCHMARKS.md
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(VENV)/bin/python -m bench.run $(if $(ONLY),--only $(ONLY))

bench-full: install ## the benchmarks at full size (10 M cards, 10,000 terminals)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(VENV)/bin/python -m bench.run --full $(if $(ONLY),--only $(ONLY))
