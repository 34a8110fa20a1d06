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
LAMBDA_PYTHON := $(shell sed -n 's/^LAMBDA_PYTHON_VERSION = "\(.*\)"/\1/p' components/packaging.py)

.PHONY: help install lock plan test lint bench

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
	@awk '/^## /{text=substr($$0,4)} /^[a-z-]+:/{if(text){sub(/:.*/,"",$$1); printf "  make %-8s %s\n",$$1,text}; text=""}' Makefile

$(STAMP): $(LOCKS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $(STAMP)

## Create .venv from the hashed locks (what `pulumi preview`/`pulumi up` run the program with).
install: $(STAMP)

## Re-lock every requirements set after editing a *.in file (hashes; LOCK_FLAGS=--upgrade too).
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) requirements-dev.in -o requirements-dev.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) requirements.in -c requirements-dev.txt -o requirements.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(PYTHON_MIN) $(LOCK_FLAGS) policies/requirements.in -c requirements-dev.txt -o policies/requirements.txt
	for source in functions/*/requirements.in; do \
	  $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version $(LAMBDA_PYTHON) $(LOCK_FLAGS) "$$source" -o "$${source%.in}.txt" || exit 1; \
	done

## Offline plan of a stack under mocked AWS: `make plan` (dev) or `make plan STACK=prod`.
plan: $(STAMP)
	$(BIN)/python -m tools.plan $(STACK)

## The whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

## Lint and type-check (ruff, pyright as `pulumi preview` runs it, then policies and tools; actionlint).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pyright
	$(BIN)/pyright policies tools
	$(BIN)/actionlint

## Benchmarks: print their figures and record them in bench/RESULTS.md (never fail on a time).
bench: $(STAMP)
	$(BIN)/python -m bench.run
