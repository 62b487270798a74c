# CaseFlow: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
NEO4J := deploy/neo4j/neo4j.sh

.PHONY: run test stress venv dev-deps lock lock-upgrade lint neo4j-start neo4j-stop clean-run bench

venv: $(VENV)/.installed

# Everything is installed from the hashed lock files (`make lock` writes them from pyproject.toml);
# pip refuses any package that is not pinned there with its hash. CaseFlow itself is installed
# editable without build isolation, so its build backend comes from the lock too.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

dev-deps: $(VENV)/.dev-installed

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

## Rewrite the lock files from pyproject.toml (and requirements-build.in) after changing a
## dependency; other pins stay as they are. `make lock-upgrade` moves every pin to the newest
## release its range allows. The lock tool is uv, pinned in the dev extra.
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"
lock: dev-deps
	$(LOCK) $(LOCK_ARGS) pyproject.toml requirements-build.in -o requirements.lock
	$(LOCK) $(LOCK_ARGS) pyproject.toml requirements-build.in --extra dev \
		--constraint requirements.lock -o requirements-dev.lock

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

## Start everything locally: Neo4j, migrations, demo data, the web app on 127.0.0.1:$(PORT).
## The SQLite database sits in ./var beside the evidence blobs: uploads keep
## CASEFLOW_EVIDENCE_RESERVE_BYTES (default 256 MiB) free for it (docs/operations.md).
## SQLite by default (one file: no database roles; triggers keep the ledgers append-only).
## On PostgreSQL set CASEFLOW_DATABASE_URL to the runtime role and
## CASEFLOW_MIGRATION_DATABASE_URL to the owner role: `db upgrade` migrates as the owner and
## grants the runtime role what it may do (docs/security.md, "Database roles").
## The app connects to the Neo4j this target started (NEO4J_BOLT_PORT, default 7687) unless
## CASEFLOW_NEO4J_URI names another server.
run: venv
	$(NEO4J) start
	$(VENV)/bin/caseflow db upgrade
	$(VENV)/bin/caseflow demo load --if-empty
	@echo "CaseFlow on http://127.0.0.1:$(PORT)/ (log in with a demo account above; Ctrl-C stops)"
	CASEFLOW_NEO4J_URI="$${CASEFLOW_NEO4J_URI:-bolt://127.0.0.1:$$($(NEO4J) port)}" \
	CASEFLOW_NEO4J_PASSWORD="$$($(NEO4J) password)" \
	$(VENV)/bin/caseflow run --host 127.0.0.1 --port $(PORT)

## The whole suite; it starts its own Neo4j. PostgreSQL tests run when
## CASEFLOW_TEST_DATABASE_URL is set (see .ci/run).
test: dev-deps
	$(PY) -m pytest $(PYTEST_ARGS)

## Fault injection and load (docs/operations.md): the tests marked `stress` (left out of
## `make test`) and `faults`: a full and a read-only evidence store on a real tmpfs (needs
## root), failed commits, 8 concurrent writers on PostgreSQL, 4 projector workers, Neo4j
## killed during writes (one backend). CI runs it after `make test`.
stress: dev-deps
	$(PY) -m pytest -m "stress or faults" $(PYTEST_ARGS)

## Lint and type check (CI runs this before the tests): ruff, then mypy on caseflow/, graph/ and
## exports/ (settings in pyproject.toml: strict on the policy, the ledgers, graph/, exports/).
lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

neo4j-start: venv
	$(NEO4J) start

neo4j-stop:
	$(NEO4J) stop
