# The two commands of a fresh clone: `make plan` and `make test`. Each creates .venv and installs
# the locked, hashed dependencies the first time (and again whenever a lock changes).
# `make help` lists the targets.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev
# Hashed locks, each compiled by `make lock` from the .in file beside it.
LOCKS := requirements.txt policies/requirements.txt requirements-dev.txt \
	$(patsubst %.in,%.txt,$(wildcard functions/*/requirements.in))
# The Python versions pyproject.toml supports (requires-python = ">=X.Y,<X.Z").
PYTHON_RANGE := $(shell sed -n 's/^requires-python *= *"\(.*\)"/\1/p' pyproject.toml)
PYTHON_MIN := $(shell echo '$(PYTHON_RANGE)' | sed -n 's/.*>=\([0-9.]*\).*/\1/p')
PYTHON_BELOW := $(shell echo '$(PYTHON_RANGE)' | sed -n 's/.*<\([0-9.]*\).*/\1/p')
LAMBDA_PYTHON := $(shell sed -n 's/^LAMBDA_PYTHON_VERSION = "\(.*\)"/\1/p' components/lambdas/packaging.py)

BROWSER_STAMP := $(VENV)/.browser-installed
NODE_STAMP := $(VENV)/.node-installed
DIAGRAM := docs/architecture
# apt-get needs root; anyone else goes through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# The permission-path judge (cloud-copilot's IAM simulator, Node): `npm ci` from its lock.
SIMULATOR_DIR := tools/iam_simulator
SIMULATOR_STAMP := $(SIMULATOR_DIR)/node_modules/.installed
MONITOR_PORT ?= 5000
MD5_PORT ?= 8000

.PHONY: help install lock plan test test-all test-browser test-node lint bench run-monitor run-md5 docs

# Stop at once, before anything is installed, on a Python outside the supported range.
ifneq ($(MAKECMDGOALS),help)
PYTHON_FOUND := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHON_FITS := $(shell v='$(PYTHON_FOUND)'; [ -n "$$v" ] \
	&& [ "$$(printf '%s\n' $(PYTHON_MIN) $$v | sort -V | head -n1)" = $(PYTHON_MIN) ] \
	&& [ "$$(printf '%s\n' $$v $(PYTHON_BELOW) | sort -V | head -n1)" = "$$v" ] \
	&& [ "$$v" != $(PYTHON_BELOW) ] && echo yes)
ifneq ($(PYTHON_FITS),yes)
$(error $(PYTHON) is Python $(or $(PYTHON_FOUND),(not found)); this project needs Python $(PYTHON_RANGE) (pyproject.toml requires-python). Run e.g. make PYTHON=python$(PYTHON_MIN))
endif
endif

## List the targets with what each does.
help:
	@awk '/^## /{text=substr($$0,4)} /^[a-z0-9-]+:/{if(text){sub(/:.*/,"",$$1); printf "  make %-12s %s\n",$$1,text}; text=""}' Makefile

$(STAMP): $(LOCKS)
	@echo "Installing .venv from the hashed locks (first run, or a lock changed): about 1-3 minutes, in 3 steps..."
	@$(PYTHON) tools/install_venv.py $(VENV) requirements-dev.txt
	touch $(STAMP)
	@echo "Installed .venv."

## Create .venv from the hashed locks (what `pulumi preview`/`pulumi up` run the program with).
install: $(STAMP)

## Re-lock every requirements set after editing a *.in file (hashes; LOCK_FLAGS=--upgrade too).
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) requirements-dev.in -o requirements-dev.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) requirements.in -c requirements-dev.txt -o requirements.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) policies/requirements.in -c requirements-dev.txt -o policies/requirements.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) requirements-browser.in -c requirements-dev.txt -o requirements-browser.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) requirements-node.in -c requirements-dev.txt -o requirements-node.txt
	for source in functions/*/requirements.in; do \
	  $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(LAMBDA_PYTHON) $(LOCK_FLAGS) "$$source" -o "$${source%.in}.txt" || exit 1; \
	done

## Offline plan of a stack (`STACK=prod`); `BASE=origin/main` reviews the change against a git ref.
plan: $(STAMP)
	$(BIN)/python -m tools.plan $(STACK) $(if $(BASE),--base $(BASE) --diff)

## The quick test suite (all but the tests marked slow), on every core: under 3 minutes.
test: $(STAMP) $(SIMULATOR_STAMP)
	$(BIN)/python -m pytest -n auto -m "not browser and not slow"

## Every test but the browser's and the node rehearsal's (CI runs those too): quick and slow sets.
test-all: $(STAMP) $(SIMULATOR_STAMP)
	$(BIN)/python -m pytest -n auto

# The IAM simulator of the permission-path tests (tests/permissions), installed from its lock.
# docs/permission-paths.md is regenerated with `.venv/bin/python -m tools.permission_paths`.
$(SIMULATOR_STAMP): $(SIMULATOR_DIR)/package.json $(SIMULATOR_DIR)/package-lock.json
	cd $(SIMULATOR_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(SIMULATOR_STAMP)

## The status page in headless Chromium (Debian's chromium) with Playwright and axe-core.
test-browser: $(BROWSER_STAMP)
	$(BIN)/python -m pytest -m browser tests/monitor/test_status_page_browser.py

$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-browser.txt
	touch $(BROWSER_STAMP)

## The web node's boot rehearsal as root (docs/web-node.md): apt installs Debian's nginx, PHP-FPM, MariaDB.
test-node: $(NODE_STAMP)
	tests/web/node/install-packages $(BIN)/python
	tests/web/node/sandbox $(BIN)/python -m pytest -m node tests/web/node

$(NODE_STAMP): $(STAMP) requirements-node.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-node.txt
	touch $(NODE_STAMP)

## The monitor's Flask app on 127.0.0.1:5000 over a seeded in-process moto table.
run-monitor: $(STAMP)
	$(BIN)/python -m tools.run_monitor --port $(MONITOR_PORT)

## The md5 API with `chalice local` on 127.0.0.1:8000.
# Restart it after editing the code: one process, no auto-reloader (whose child would outlive a
# stopped parent); `exec` makes it make's own child, so stopping make by its pid stops it too.
run-md5: $(STAMP)
	cd functions/md5_api && exec ../../$(BIN)/chalice local --no-autoreload --host 127.0.0.1 --port $(MD5_PORT)

## Lint and type-check (ruff, pyright as `pulumi preview` runs it, then policies and tools; the workflows with GitHub's schema and zizmor).
# The workflows: GitHub's workflow schema (check-jsonschema's vendored copy), then zizmor's
# security audit (accepted findings, each with its reason, in .github/zizmor.yml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/pyright policies tools
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress --config .github/zizmor.yml .github/workflows

## Benchmarks: print their figures and record them in bench/RESULTS.md (never fail on a time).
bench: $(STAMP)
	$(BIN)/python -m bench.run

## Render docs/architecture.dot to docs/architecture.svg (Graphviz `dot`; apt-get installs it if missing).
docs:
	@command -v dot >/dev/null || { echo "Installing Graphviz (Debian package graphviz) for dot..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; }
	dot -Tsvg $(DIAGRAM).dot > $(DIAGRAM).svg.tmp
	sed -i "1a <!-- source sha256: $$(sha256sum $(DIAGRAM).dot | cut -d' ' -f1) (docs/architecture.dot; \`make docs\` renders it) -->" $(DIAGRAM).svg.tmp
	mv $(DIAGRAM).svg.tmp $(DIAGRAM).svg
