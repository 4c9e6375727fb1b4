# Two commands set up a fresh machine:
#   make run   - the product on the embedded default (SQLite, no servers, no API key)
#   make test  - installs and starts PostgreSQL, Redis, Neo4j; runs every check and test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv run serve test lint format neo4j-start neo4j-stop services-start services-stop clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

run: venv
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_aladdin
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py ensure_admin
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py cleanup_runs --assume-stopped
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "Aladdin on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	DEBUG=$${DEBUG:-true} $(BIN)/daphne -b $(HOST) -p $(PORT) aladdin.asgi:application

test:
	bash scripts/test.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	ALADDIN_TESTING=true $(BIN)/mypy .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

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
