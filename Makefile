# The two commands: `make run` starts the platform locally, `make test` runs every check CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
ASSETS := chalicelib/platform/static/swagger-ui-bundle.js
STAGE ?= dev
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint typecheck unit check-openapi openapi package bench clean

run: $(DEPS) $(ASSETS)
	exec $(PY) -m chalicelib.cli local up

test: lint typecheck check-openapi
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(DEPS)
	$(VENV)/bin/mypy app.py chalicelib infra

check-openapi: $(DEPS) $(ASSETS)
	$(PY) -m chalicelib.cli openapi --check

openapi: $(DEPS)
	$(PY) -m chalicelib.cli openapi

package: $(DEPS) $(ASSETS)
	$(PY) -m chalicelib.cli infra package --stage $(STAGE) --out dist

bench: $(DEPS) $(ASSETS)
	$(PY) bench/foundation.py
	$(PY) bench/members.py
	$(PY) bench/points.py
	$(PY) bench/tiers.py
	$(PY) bench/wallet.py
	$(PY) bench/coldstart.py
	$(PY) bench/local_stack.py
	$(PY) bench/simulate.py --seeds 5 --operations 100000
	$(PY) bench/import.py

$(DEPS): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check 'pip==26.2'
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

$(ASSETS): node_modules/.package-lock.json
	mkdir -p chalicelib/platform/static
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css chalicelib/platform/static/

clean:
	rm -rf $(VENV) node_modules chalicelib/platform/static dist .pytest_cache .mypy_cache .ruff_cache
