"""Concurrent adds of an identifier another case already holds: every writer gets a page, none
a 500; the case holds the identifier once, added (and audited) once, the others are told it
is "already in this case". Eight writers on PostgreSQL (the stress run), two in the suite."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.entities import services as entity_services
from caseflow.entities.models import CaseEntity, Entity
from tests.conftest import AuthActions
from tests.factories import add_member, arrange, make_case, make_user
from tests.helpers import csrf_token

pytestmark = pytest.mark.faults

ROUNDS = 20  # 8 writers x 20 rounds: within the 5 minutes `make stress` may take in CI


def _race(app, clock, members, case_id, values, writers):
    """Each round: `writers` members post the same phone number at the same moment."""
    clients = []
    for member in members[:writers]:
        client = app.test_client()
        AuthActions(client, clock).login(member)
        clients.append(client)
    statuses: list[int] = []
    lock = threading.Lock()
    for value in values:
        barrier = threading.Barrier(writers)

        def post(client, value=value, barrier=barrier):
            token = csrf_token(client, f"/cases/{case_id}/entities/new")
            barrier.wait()
            response = client.post(
                f"/cases/{case_id}/entities/new",
                data={"csrf_token": token, "kind": "phone", "value": value},
            )
            with lock:
                statuses.append(response.status_code)

        threads = [threading.Thread(target=post, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    return statuses


def _setup(app, officer, writers, rounds):
    other = make_case(app, officer, title="Other case (fictional)")
    case = make_case(app, officer)
    members = [officer] + [make_user(app, "officer") for _ in range(writers - 1)]
    for member in members[1:]:
        add_member(app, officer, case.id, member)
    values = [f"+44 7700 900{n:03d}" for n in range(rounds)]

    def hold(session, now):
        from tests.factories import actor_of

        for value in values:
            entity_services.add_entity(
                session, actor_of(session, officer), other.id, "phone", value, now=now
            )

    arrange(app, hold)
    return case.id, members, values


def _check(db, case_id, rounds, statuses):
    assert [s for s in statuses if s >= 500] == [], statuses
    db.expire_all()
    held = db.scalar(sa.select(sa.func.count(CaseEntity.id)).where(CaseEntity.case_id == case_id))
    assert held == rounds
    adds = db.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "entity.add", AuditEvent.case_id == case_id
        )
    )
    assert adds == rounds  # one add per identifier; the others were "already in this case"
    assert db.scalar(sa.select(sa.func.count(Entity.id))) == rounds


def test_two_members_adding_a_known_identifier_at_once_get_no_server_error(app, officer, clock, db):
    case_id, members, values = _setup(app, officer, writers=2, rounds=6)
    statuses = _race(app, clock, members, case_id, values, writers=2)
    _check(db, case_id, len(values), statuses)


@pytest.mark.stress
def test_eight_concurrent_writers_adding_known_identifiers_get_no_server_error(
    app, officer, clock, db, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the race needs concurrent writers: PostgreSQL (SQLite serializes them)")
    case_id, members, values = _setup(app, officer, writers=8, rounds=ROUNDS)
    statuses = _race(app, clock, members, case_id, values, writers=8)
    assert len(statuses) == 8 * ROUNDS
    _check(db, case_id, len(values), statuses)
