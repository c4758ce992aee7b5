# The two commands: `make run` starts the platform locally, `make test` runs every check CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
ASSETS := chalicelib/platform/static/swagger-ui-bundle.js
WEB := web/dist/.built
WEB_SOURCES := $(shell find web -path web/dist -prune -o -type f -print)
BROWSER := /usr/bin/chromium
STAGE ?= dev
# Bytecode is cached (__pycache__/, git-ignored) even where the environment says not to: `make test` starts many
# Python processes (the local stacks, their workers, the CLI, the benches), and each compiled every module of
# ours again, as pytest rewrote every test module again in each worker.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint typecheck unit check-openapi openapi package bench web clean

run: $(DEPS) $(ASSETS) $(WEB)
	exec $(PY) -m chalicelib.cli local up

test: lint typecheck check-openapi $(WEB) $(BROWSER)
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

bench: $(DEPS) $(ASSETS) $(WEB)
	$(PY) bench/foundation.py
	$(PY) bench/members.py
	$(PY) bench/points.py
	$(PY) bench/tiers.py
	$(PY) bench/wallet.py
	$(PY) bench/mall.py
	$(PY) bench/coupons.py
	$(PY) bench/notifications.py
	$(PY) bench/membership.py
	$(PY) bench/giftcards.py
	$(PY) bench/birthdays.py
	$(PY) bench/reports.py
	$(PY) bench/coldstart.py
	$(PY) bench/local_stack.py
	$(PY) bench/simulate.py --seeds 5 --operations 100000
	$(PY) bench/import.py
	$(PY) bench/web.py

$(DEPS): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check 'pip==26.2'
	$(PY) -m pip uninstall --quiet --disable-pip-version-check -y phonenumbers  # replaced by phonenumberslite (same module)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

$(ASSETS): node_modules/.package-lock.json
	mkdir -p chalicelib/platform/static
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css chalicelib/platform/static/

web: $(WEB)

# The back office (/console) and member pages (/m): Vite builds both into web/dist from the npm packages.
$(WEB): node_modules/.package-lock.json $(WEB_SOURCES)
	npm run -s build
	touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download its own here); the CJK font keeps
# Chinese text readable in screenshots.
$(BROWSER):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo -E) apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei

clean:
	rm -rf $(VENV) node_modules chalicelib/platform/static dist web/dist .pytest_cache .mypy_cache .ruff_cache
