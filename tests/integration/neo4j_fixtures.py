"""The suite's own Neo4j server and a cleared GraphStore per test.

deploy/neo4j/neo4j.sh runs it in var/neo4j-test on port 7688 (a free port when another
checkout's suite holds 7688), unless CASEFLOW_TEST_NEO4J_URI names a server (credentials from
CASEFLOW_TEST_NEO4J_USER / _PASSWORD). Imported by tests/integration/conftest.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from graph.store import GraphStore

ROOT = Path(__file__).resolve().parents[2]
NEO4J_SH = ROOT / "deploy" / "neo4j" / "neo4j.sh"
TEST_RUN_DIR = ROOT / "var" / "neo4j-test"
TEST_PASSWORD_FILE = ROOT / "var" / "neo4j-test.password"
DEFAULT_TEST_PORT = 7688
# Where the suite's server listens, for tests that configure the app against it.
SERVER: dict[str, str] = {}


def _neo4j_sh(command: str, port: int = DEFAULT_TEST_PORT) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_RUN_DIR": str(TEST_RUN_DIR),
        "NEO4J_BOLT_PORT": str(port),
        "NEO4J_PASSWORD_FILE": str(TEST_PASSWORD_FILE),
        "NEO4J_PYTHON": sys.executable,
        # The suite's graphs are small; leave memory to the other processes on the machine.
        "NEO4J_HEAP_INITIAL": os.environ.get("NEO4J_HEAP_INITIAL", "256m"),
        "NEO4J_HEAP_MAX": os.environ.get("NEO4J_HEAP_MAX", "512m"),
        "NEO4J_PAGECACHE": os.environ.get("NEO4J_PAGECACHE", "128m"),
        "NEO4J_TX_MEMORY": os.environ.get("NEO4J_TX_MEMORY", "256m"),
    }
    return subprocess.run(
        ["bash", str(NEO4J_SH), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _test_port() -> int:
    """7688, unless set by CASEFLOW_TEST_NEO4J_PORT or taken by another checkout's suite."""
    if "CASEFLOW_TEST_NEO4J_PORT" in os.environ:
        return int(os.environ["CASEFLOW_TEST_NEO4J_PORT"])
    if _port_is_free(DEFAULT_TEST_PORT):
        return DEFAULT_TEST_PORT
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return int(free.getsockname()[1])


@pytest.fixture(scope="session")
def neo4j_driver() -> Iterator[Driver]:
    """A driver for the suite's Neo4j; starts the server if needed and stops what it started."""
    uri = os.environ.get("CASEFLOW_TEST_NEO4J_URI")
    started_here = False
    if uri:
        auth = (
            os.environ.get("CASEFLOW_TEST_NEO4J_USER", "neo4j"),
            os.environ.get("CASEFLOW_TEST_NEO4J_PASSWORD", ""),
        )
    else:
        # A server left running on purpose (neo4j.sh start with the same settings) is reused
        # and left running; one this session starts is stopped at the end.
        running = _neo4j_sh("port")
        started_here = running.returncode != 0
        port = _test_port() if started_here else int(running.stdout.strip())
        started = _neo4j_sh("start", port)
        if started.returncode != 0:
            pytest.fail(
                f"could not start the test Neo4j (exit {started.returncode}):\n"
                f"{started.stdout}\n{started.stderr}",
                pytrace=False,
            )
        uri = f"bolt://127.0.0.1:{port}"
        auth = ("neo4j", TEST_PASSWORD_FILE.read_text(encoding="utf-8").strip())
    SERVER.update(uri=uri, user=auth[0], password=auth[1], port=str(uri.rsplit(":", 1)[1]))
    driver = GraphDatabase.driver(uri, auth=auth)
    try:
        driver.verify_connectivity()
        yield driver
    finally:
        driver.close()
        if started_here:
            stopped = _neo4j_sh("stop", port)
            assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="session")
def neo4j_store(neo4j_driver: Driver) -> GraphStore:
    """The session's GraphStore with its schema in place (not cleared: see `graph_store`)."""
    store = GraphStore(neo4j_driver)
    store.ensure_schema()
    return store


@pytest.fixture
def graph_store(neo4j_store: GraphStore) -> GraphStore:
    """A GraphStore on an empty graph: cleared before each test."""
    neo4j_store.clear()
    return neo4j_store


def neo4j_sh(command: str) -> subprocess.CompletedProcess[str]:
    """Run neo4j.sh against the suite's running server (for outage tests: stop, start)."""
    return _neo4j_sh(command, int(SERVER["port"]))
