"""Neo4j killed (SIGKILL, no clean shutdown) while writes go on: every write commits, the
outbox keeps what Neo4j missed, and once Neo4j is back one drain brings it level:
`caseflow graph check` is clean and every row was applied."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.graphsync.models import OutboxRow
from caseflow.graphsync.projector import backlog, drain
from tests.dbs import PG_URL
from tests.factories import actor_of, arrange, make_case, make_user
from tests.integration.neo4j_fixtures import SERVER, TEST_RUN_DIR, neo4j_sh

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.stress,
    pytest.mark.skipif(
        bool(os.environ.get("CASEFLOW_TEST_NEO4J_URI")),
        reason="kills and restarts the server: only the suite's own Neo4j",
    ),
]

WRITERS = 4
WRITES = 15


@pytest.fixture
def graph_app(database_url, tmp_path, clock, graph_store):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "stress-secret-key-0123456789abcdefghijklmnop",
            "TOTP_KEY": "stress-totp-key-0123456789abcdefghijklmnopqr",
            "PASSWORD_HASH_PROFILE": "test",
            "CLOCK": clock,
            "GRAPH_SYNC": "inline",
            "NEO4J_URI": SERVER["uri"],
            "NEO4J_USER": SERVER["user"],
            "NEO4J_PASSWORD": SERVER["password"],
        }
    )
    yield app
    app.extensions["caseflow.graph"].close()
    app.extensions["caseflow.engine"].dispose()


def _server_pids() -> list[int]:
    """The suite's Neo4j JVMs (the launcher and the server it starts): their command line
    names this checkout's test run folder."""
    marker = str(TEST_RUN_DIR).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if marker in cmdline and b"java" in cmdline:
            found.append(int(entry))
    return found


def _kill_neo4j() -> None:
    pids = _server_pids()
    assert pids, "the suite's Neo4j is not running"
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _server_pids():
        assert time.monotonic() < deadline, "Neo4j survived SIGKILL"
        time.sleep(0.1)


def test_neo4j_killed_during_writes_loses_nothing_and_graph_check_is_clean(graph_app, database_url):
    from caseflow.entities import services as entities

    if database_url.startswith("sqlite") and PG_URL:
        pytest.skip("one backend is enough for a Neo4j restart: the PostgreSQL run covers it")

    officer = make_user(graph_app, "officer")
    case_id = make_case(graph_app, officer).id
    errors: list[BaseException] = []
    written = {"n": 0}
    lock = threading.Lock()

    def writer(w: int) -> None:
        try:
            for n in range(WRITES):
                arrange(
                    graph_app,
                    lambda session, now, n=n: entities.add_entity(
                        session, actor_of(session, officer), case_id, "email",
                        f"stress{w}.{n}@example.com", now=now,
                    ),
                )  # fmt: skip
                with lock:
                    written["n"] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    while written["n"] < WRITERS * WRITES // 4 and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    _kill_neo4j()
    try:
        for thread in threads:
            thread.join(300)
        assert errors == [], errors  # every write committed while Neo4j was gone
        assert written["n"] == WRITERS * WRITES
        factory = graph_app.extensions["caseflow.sessionmaker"]
        with factory() as session:
            assert backlog(session) > 0, "Neo4j was killed before any write missed it"
    finally:
        started = neo4j_sh("start")
        assert started.returncode == 0, started.stderr
    store = None
    deadline = time.monotonic() + 120
    while store is None and time.monotonic() < deadline:
        candidate = graph_app.extensions["caseflow.graph"].store()
        if candidate is not None and candidate.ping():
            store = candidate
        else:
            time.sleep(1)
    assert store is not None, "Neo4j did not come back"
    result = drain(factory, store)
    assert result.error is None, result.error
    with factory() as session:
        assert backlog(session) == 0
        pending = session.scalar(
            sa.select(sa.func.count(OutboxRow.id)).where(OutboxRow.last_error.is_not(None))
        )
        assert pending == 0  # no stale error messages on applied rows
    check = graph_app.test_cli_runner().invoke(args=["graph", "check"])
    assert check.exit_code == 0, check.output
