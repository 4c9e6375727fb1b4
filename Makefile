# Two commands set up a fresh machine:
#   make run   - the product on the embedded default (SQLite, no servers, no API key)
#   make test  - installs and starts PostgreSQL, Redis, Neo4j; runs every check and test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv run serve test lint format bench neo4j-start neo4j-stop services-start services-stop clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# First run writes .env (DEBUG on, generated SECRET_KEY and ALADDIN_ENCRYPTION_KEY), which
# settings read; so every `manage.py` command works as the README shows. Environment
# variables win over .env (`make run DEBUG=false` runs without debug).
run: venv
	$(BIN)/python scripts/local_env.py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_aladdin
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py cleanup_runs --assume-stopped
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "Aladdin on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) aladdin.asgi:application

test:
	bash scripts/test.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The peer frameworks live in their own venv, never in the product's (bench/README.md).
PEERS_VENV := bench/.venv-peers

$(PEERS_VENV)/.installed: bench/peers-requirements.txt
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q --upgrade pip
	$(PEERS_VENV)/bin/pip install -q -r bench/peers-requirements.txt
	touch $@

# Aladdin on W1-W5 and the peers on W1-W2, interleaved; writes docs/benchmarks.md.
bench: venv $(PEERS_VENV)/.installed
	[ -f .run/test-env ] && . ./.run/test-env; \
	TEST_POSTGRES_URL=$${TEST_POSTGRES_URL:-} $(BIN)/python bench/run_all.py --rounds $${BENCH_ROUNDS:-3} --many $${BENCH_MANY:-100} --drain $${BENCH_DRAIN:-1000} $${BENCH_ARGS:-}

neo4j-start:
	bash tools/neo4j/start.sh

neo4j-stop:
	bash tools/neo4j/stop.sh

services-start:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

clean:
	rm -rf $(VENV) var .run
