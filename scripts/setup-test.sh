#!/usr/bin/env bash
# What only the test suite needs on top of scripts/setup.sh: Apache Airflow (the project's
# `orchestration` extra, for the DAG's tests), and headless Chromium, in which
# tests/pytest/test_docs_browser.py opens `dbt docs serve` and checks the lineage graph
# (Debian's `chromium` package, installed when root with apt-get (CI); otherwise a note).
set -euo pipefail

VENV=${VENV:-.venv}
echo "setup-test: installing Apache Airflow (the orchestration extra; the first time about 150 MB)"
"$VENV/bin/python" -m pip install --quiet -e '.[dev,orchestration]'

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
    && ! command -v google-chrome >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup-test: installing chromium (headless browser for the docs lineage test)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "setup-test: install chromium (e.g. 'sudo apt-get install chromium') for the docs browser test" >&2
        exit 2
    fi
fi
