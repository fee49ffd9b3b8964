# The two commands: `make run` (the whole job on the embedded default) and `make test`.
# Each does all the set-up it needs on a fresh machine: Java check, virtual environment,
# pinned Python packages, Delta Lake jars from Maven Central (cached once).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SETUP_STAMP := $(VENV)/.lakehouse-setup

.PHONY: setup run test test-slow lint format clean help

help:
	@echo "make run    generate sample data, ingest, build with dbt, print a summary"
	@echo "make test   lint (ruff, sqlfluff) and the test suite"
	@echo "make setup  venv + pinned packages + Delta jars (run by the two above)"
	@echo "make test-slow  whole project through Thrift, on a standalone cluster, on S3, under Airflow"
	@echo "make lint | make format | make clean"
	@echo "benchmarks: bench/*.py (see bench/results/README.md)"

$(SETUP_STAMP): pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/setup.sh
	touch $@

# The jar cache lives outside the repo (shared by clones), so it is checked on every run (and
# the S3 connector fetched when a LAKEHOUSE_* location is s3a://).
setup: $(SETUP_STAMP)
	@$(BIN)/lakehouse setup-jars

# What only the tests need (Airflow for the DAG's tests, a headless browser for the docs test).
TEST_STAMP := $(VENV)/.lakehouse-test-setup
$(TEST_STAMP): $(SETUP_STAMP) scripts/setup-test.sh
	VENV=$(VENV) bash scripts/setup-test.sh
	touch $@

run: setup
	$(BIN)/lakehouse run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models snapshots tests macros analyses

test: lint $(TEST_STAMP)
	$(BIN)/pytest

# Deselected from `make test` to keep CI within 15 minutes: the whole project built through a
# password-protected Thrift server, on a standalone cluster and on S3 (a local S3 server, with
# the S3 connector fetched once into the jar cache), each compared with local disk; the
# Airflow DAG run end to end with dag.test().
test-slow: setup $(TEST_STAMP)
	@$(BIN)/lakehouse setup-jars --s3
	$(BIN)/pytest -m slow

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix models snapshots tests macros analyses

clean:
	rm -rf target logs .pytest_cache .ruff_cache test-output
