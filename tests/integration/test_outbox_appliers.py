"""One applier per outbox batch: four projector workers draining at once apply every row
exactly once, in id order (so an entity's changes reach Neo4j in the order they were made),
and a failing applier never writes its error onto rows another applied."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.graphsync.models import OutboxRow
from caseflow.graphsync.projector import _apply, _claimed, drain
from tests.factories import actor_of, arrange, make_case, make_user
from tests.integration.neo4j_fixtures import SERVER

pytestmark = [pytest.mark.neo4j, pytest.mark.faults]

WORKERS = 4


@pytest.fixture
def quiet_app(database_url, tmp_path, clock, graph_store):
    """Rows pile up in the outbox (no projection after commit) until the test drains them."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "outbox-secret-key-0123456789abcdefghijklmnop",
            "TOTP_KEY": "outbox-totp-key-0123456789abcdefghijklmnopqr",
            "PASSWORD_HASH_PROFILE": "test",
            "CLOCK": clock,
            "GRAPH_SYNC": "off",
            "NEO4J_URI": SERVER["uri"],
            "NEO4J_USER": SERVER["user"],
            "NEO4J_PASSWORD": SERVER["password"],
        }
    )
    yield app
    app.extensions["caseflow.graph"].close()
    app.extensions["caseflow.engine"].dispose()


class CountingStore:
    """The real GraphStore, counting what reaches Neo4j (slowed a little, to let the workers
    overlap as they would under load)."""

    def __init__(self, store) -> None:
        self.store = store
        self.applied: list[tuple[str, dict]] = []
        self.calls = 0
        self.lock = threading.Lock()

    def apply(self, ops):
        with self.lock:
            self.calls += 1
            self.applied.extend((op.op, op.payload) for op in ops)
        time.sleep(0.02)
        return self.store.apply(ops)


class FailingStore:
    def apply(self, ops):
        raise ConnectionError("Neo4j went away (injected)")


def _fill_outbox(app, rounds: int) -> None:
    from caseflow.entities import services as entities

    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    for n in range(rounds):
        arrange(
            app,
            lambda session, now, n=n: entities.add_entity(
                session, actor_of(session, officer), case_id, "phone", f"+44 7700 900{n:03d}",
                now=now,
            ),
        )  # fmt: skip


def test_four_projector_workers_apply_each_outbox_row_exactly_once_in_order(quiet_app, graph_store):
    _fill_outbox(quiet_app, 30)
    factory = quiet_app.extensions["caseflow.sessionmaker"]
    with factory() as session:
        rows = session.scalars(sa.select(OutboxRow).order_by(OutboxRow.id)).all()
        expected = [(r.op, r.payload) for r in rows]
    assert len(expected) > 60
    counting = CountingStore(quiet_app.extensions["caseflow.graph"].store())
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            for _ in range(3):  # the background thread drains again when poked
                drain(factory, counting, batch=7)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    drain(factory, counting, batch=7)  # whatever a worker left when it stepped aside
    assert len(counting.applied) == len(expected), "a row reached Neo4j more than once"
    assert counting.applied == expected  # in id order: an entity's changes in order
    with factory() as session:
        rows = session.scalars(sa.select(OutboxRow)).all()
        assert all(r.applied_at is not None for r in rows)
        assert {r.attempts for r in rows} == {1}
        assert all(r.last_error is None for r in rows)
    result = quiet_app.test_cli_runner().invoke(args=["graph", "check"])
    assert result.exit_code == 0, result.output


def test_a_failing_applier_never_writes_its_error_onto_applied_rows(quiet_app, graph_store):
    _fill_outbox(quiet_app, 2)
    factory = quiet_app.extensions["caseflow.sessionmaker"]
    with factory() as session:
        stale = _claimed(session.scalars(sa.select(OutboxRow).order_by(OutboxRow.id)))
    drain(factory, quiet_app.extensions["caseflow.graph"].store())
    with factory() as session:  # a late applier that read the same rows before, and fails
        assert _apply(session, FailingStore(), stale, quiet_app.config["CLOCK"])
        session.commit()
    with factory() as session:
        rows = session.scalars(sa.select(OutboxRow)).all()
        assert all(r.applied_at is not None and r.last_error is None for r in rows)
        assert {r.attempts for r in rows} == {1}
