#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs, starts PostgreSQL,
# Redis and Neo4j on loopback, runs the checks and pytest on SQLite and on
# PostgreSQL, and stops what it started.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=.venv/bin/python

step() { printf '\n==> %s\n' "$*"; }

step "installing"
bash scripts/services.sh install
make --no-print-directory venv

step "starting services"
mkdir -p .run
trap 'step "stopping services"; bash scripts/services.sh stop' EXIT
bash scripts/services.sh start > .run/test-env
# shellcheck disable=SC1091
source .run/test-env

export ALADDIN_TESTING=true
# Tests that need a server fail, instead of skipping, when it is missing here.
export ALADDIN_REQUIRE_SERVICES=true

step "static checks"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# These load settings outside the test runner, where ALADDIN_TESTING relaxes nothing:
# they run as local development.
DEBUG=true .venv/bin/mypy .
DEBUG=true $PY manage.py makemigrations --check --dry-run
DEBUG=true $PY manage.py spectacular --validate --fail-on-warn --file /dev/null

step "pytest on SQLite"
.venv/bin/pytest -p no:cacheprovider "$@"

step "pytest on PostgreSQL"
DATABASE_URL=$TEST_POSTGRES_URL .venv/bin/pytest -p no:cacheprovider -m "not browser" "$@"
