# The two commands of a fresh clone: `make plan` and `make test`. Each creates .venv and
# installs what it needs the first time (and again whenever a requirements file changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev
REQUIREMENTS := requirements.txt requirements-dev.txt policies/requirements.txt

BROWSER_STAMP := $(VENV)/.browser-installed
MONITOR_PORT ?= 5000
MD5_PORT ?= 8000

.PHONY: install plan test test-browser lint bench run-monitor run-md5

$(STAMP): $(REQUIREMENTS)
	@echo "Installing .venv from $(REQUIREMENTS) (first run, or a requirements file changed): about 1-2 minutes..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)
	@echo "Installed .venv."

## Only create .venv (what `pulumi preview`/`pulumi up` run the program with; CI uses it).
install: $(STAMP)

## Offline plan of a stack under mocked AWS: `make plan` (dev) or `make plan STACK=prod`;
## `make plan BASE=origin/main` reviews the change against a git ref (+ create, ~ update, - delete).
plan: $(STAMP)
	$(BIN)/python -m tools.plan $(STACK) $(if $(BASE),--base $(BASE) --diff)

## The whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

## The status page in headless Chromium (Debian's `chromium` package; .ci/run installs it) with
## Playwright and axe-core: `make test-browser`, or `make test-browser SCREENSHOT=docs/status-page.png`
## to refresh the README's screenshot.
test-browser: $(BROWSER_STAMP)
	$(BIN)/python -m pytest -m browser tests/test_status_page_browser.py

$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	touch $(BROWSER_STAMP)

## The uptime monitor's Flask app on http://127.0.0.1:5000/ over an in-process moto table
## seeded with a day of sample checks (Ctrl-C stops it).
run-monitor: $(STAMP)
	$(BIN)/python -m tools.run_monitor --port $(MONITOR_PORT)

## The md5 API with `chalice local` on http://127.0.0.1:8000/ (Ctrl-C stops it).
run-md5: $(STAMP)
	cd functions/md5_api && ../../$(BIN)/chalice local --host 127.0.0.1 --port $(MD5_PORT)

## Lint and type-check the program, components, policy pack and tools against the SDK's types.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/actionlint

## Benchmarks: print their figures and record them in bench/RESULTS.md (never fail on a time).
bench: $(STAMP)
	$(BIN)/python -m bench.run
