# Tally: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)/.dbt
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
DEMO_EVENTS ?= 1000000
DEMO_SEED ?= 42
DEMO_DIR ?= data/demo

.PHONY: install demo test lint pytest docs bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

.dbt/profiles.yml: profiles.example.yml
	mkdir -p .dbt
	cp profiles.example.yml .dbt/profiles.yml

install: $(VENV)/.installed .dbt/profiles.yml

demo: install
	$(BIN)/tally demo --events $(DEMO_EVENTS) --seed $(DEMO_SEED) --out $(DEMO_DIR)

lint: install
	$(BIN)/ruff check python bench
	$(BIN)/ruff format --check python bench
	mkdir -p data
	# The classification is compiled from the meters seed: the lint database holds the seeds.
	TALLY_DUCKDB_PATH=data/lint.duckdb $(BIN)/dbt seed --quiet
	TALLY_DUCKDB_PATH=data/lint.duckdb $(BIN)/sqlfluff lint models macros tests

pytest: install
	$(BIN)/pytest

test: install
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory pytest

docs: install
	$(BIN)/tally docs

bench: install
	$(BIN)/python bench/metering.py --events 20000000

clean:
	rm -rf target logs data .dbt $(VENV)
