# The two commands of a fresh clone: `make plan` and `make test`. Each creates .venv and
# installs what it needs the first time (and again whenever a requirements file changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev
REQUIREMENTS := requirements.txt requirements-dev.txt policies/requirements.txt

.PHONY: install plan test lint bench

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

## Lint and type-check the program, components, policy pack and tools against the SDK's types.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/actionlint

## Benchmarks: print their figures and record them in bench/RESULTS.md (never fail on a time).
bench: $(STAMP)
	$(BIN)/python -m bench.run
