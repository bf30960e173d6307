#!/usr/bin/env bash
# Runs the official OpenAI Python client tests (tests/python) against a running Apus api.
#
#   APUS_BASE_URL=http://127.0.0.1:8000/v1 [APUS_API_KEY=K] [APUS_MODEL=name] [APUS_PYTEST_PATH=dir-or-file] \
#       scripts/python-tests.sh [pytest args]
#
# APUS_PYTEST_PATH defaults to tests/python (not its subfolders' real-model tests: tests/python/structured needs a
# server with a real chat model).
# Creates a venv with `openai` and `pytest` at $APUS_PYTHON_VENV (default .build/python-venv, git-ignored) on first
# use. Exits 3 when `python3 -m venv` is unavailable, so callers can skip rather than fail.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${APUS_PYTHON_VENV:-$root/.build/python-venv}"
: "${APUS_BASE_URL:?set APUS_BASE_URL, e.g. http://127.0.0.1:8000/v1}"

if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        echo "python-tests: python3 -m venv is unavailable" >&2
        exit 3
    fi
fi
if ! "$venv/bin/python" -c "import openai, pytest, jsonschema" >/dev/null 2>&1; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check openai pytest jsonschema
fi
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "${APUS_PYTEST_PATH:-$root/tests/python/test_openai_client.py}" "$@"
