# CaseFlow: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
NEO4J := deploy/neo4j/neo4j.sh

.PHONY: run test venv dev-deps lint neo4j-start neo4j-stop clean-run bench

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

dev-deps: $(VENV)/.dev-installed

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## Start everything locally: Neo4j, migrations, demo data, the web app on 127.0.0.1:$(PORT).
run: venv
	$(NEO4J) start
	$(VENV)/bin/caseflow db upgrade
	$(VENV)/bin/caseflow demo load --if-empty
	@echo "CaseFlow on http://127.0.0.1:$(PORT)/ (log in with a demo account above; Ctrl-C stops)"
	CASEFLOW_NEO4J_PASSWORD="$$($(NEO4J) password)" $(VENV)/bin/caseflow run --host 127.0.0.1 --port $(PORT)

## The whole suite; it starts its own Neo4j. PostgreSQL tests run when
## CASEFLOW_TEST_DATABASE_URL is set (see .ci/run).
test: dev-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

neo4j-start: venv
	$(NEO4J) start

neo4j-stop:
	$(NEO4J) stop
