#!/usr/bin/env bash
# Set-up for a fresh machine: Java 17+, the project's virtual environment with the pinned
# packages, and the Delta Lake jars in the local cache. Idempotent; `make` runs it when
# pyproject.toml changes. What only the tests need (a browser) is in scripts/setup-test.sh.
set -euo pipefail

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
    echo "setup: Spark 4 needs Java 17 or newer; installing openjdk-17-jre-headless"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    else
        echo "setup: install Java 17 (e.g. 'sudo apt-get install openjdk-17-jre-headless') and retry" >&2
        exit 2
    fi
fi

# The Thrift server's password mode compiles a small Java class once (`lakehouse thrift start`
# with LAKEHOUSE_THRIFT_AUTH=password), so a JDK's javac is wanted too. Not fatal: everything
# else runs on the JRE.
if ! command -v javac >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing openjdk-17-jdk-headless (javac, for the Thrift server's password mode)"
        apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
    else
        echo "setup: note: no javac; the Thrift server's password mode needs a JDK (e.g. 'sudo apt-get install openjdk-17-jdk-headless')" >&2
    fi
fi

if ! "$PYTHON" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 14)))'; then
    echo "setup: Python 3.10 to 3.13 is required; set PYTHON=/path/to/python3.x" >&2
    exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi

"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Not quiet: the first install downloads about 500 MB (pyspark is most of it) and pip's
# lines are the only sign of progress for a minute or two.
echo "setup: installing the project and its pinned packages (the first time about 500 MB)"
"$VENV/bin/python" -m pip install --progress-bar on -e '.[dev]'

"$VENV/bin/lakehouse" setup-jars
