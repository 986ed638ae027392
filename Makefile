# Two entry points (see README): `make demo` runs the main job on the embedded
# default (DuckDB + a generated sample export + the local NetSuite emulator);
# `make test` runs every check. Both create the virtual environment first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export METRONOME_NETSUITE_DUCKDB_PATH ?= $(CURDIR)/data/metronome_netsuite.duckdb

.PHONY: venv demo test lint clean airflow-test airflow-test-quick

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: venv
	$(BIN)/python scripts/run_demo.py

test: venv lint
	$(BIN)/python -m pytest

lint: venv
	@mkdir -p data  # the dbt templater opens the DuckDB profile's file
	$(BIN)/ruff check scripts tests/python orchestration
	$(BIN)/ruff format --check scripts tests/python orchestration
	$(BIN)/sqlfluff lint models analyses

# The Airflow DAG in its own venv: import, task graph, and one `airflow dags test`
# run on DuckDB + the emulator (~6-8 min); airflow-test-quick skips the run (~1 min).
airflow-test: venv
	orchestration/airflow/run_tests.sh

airflow-test-quick: venv
	orchestration/airflow/run_tests.sh --quick

clean:
	rm -rf $(VENV) data target logs
