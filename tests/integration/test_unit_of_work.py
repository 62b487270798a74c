"""One unit of work per request or command: services never commit, the boundary commits once
or rolls back, refusals survive the rollback, and reads take no write lock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from caseflow import uow
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record_event
from caseflow.auth.models import User
from caseflow.cases import services as case_services
from caseflow.cases.models import Case
from caseflow.entities import services as entity_services
from caseflow.entities.models import Entity
from caseflow.errors import NotFoundError, ValidationError
from caseflow.evidence import services as evidence_services
from caseflow.mla import services as mla_services
from tests.api.helpers import bearer, issue_token
from tests.factories import actor_of, add_member, arrange, make_case, make_request, make_user

ROOT = Path(__file__).resolve().parents[2]
# Where a transaction may end: the unit of work itself, the request and command boundaries,
# the graph projector (its own background unit), migrations and the test-data factories.
BOUNDARIES = {
    "caseflow/uow.py",
    "caseflow/extensions.py",
    "caseflow/cli.py",
    "caseflow/graphsync/projector.py",
    "caseflow/db.py",
}


def transaction_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"commit", "rollback"}
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
    return found


def test_only_the_boundaries_commit_or_roll_back():
    offenders = []
    for path in sorted((ROOT / "caseflow").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative in BOUNDARIES or "/migrations/" in relative:
            continue
        offenders += transaction_calls(path)
    assert offenders == []


def test_the_check_sees_a_commit():
    sample = ROOT / "caseflow" / "uow.py"
    assert any(call.endswith(".commit()") for call in transaction_calls(sample))


DOMAIN_ERRORS = {
    "CaseFlowError",
    "ValidationError",
    "AuthenticationError",
    "AccountLocked",
    "ConflictError",
    "NotFoundError",
    "PermissionDenied",
}


def handlers_without_rollback(path: Path) -> list[str]:
    """`except <domain error>` blocks of a views module that do not start with
    rollback_unit()."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        names = {t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "") for t in types}
        if not names & DOMAIN_ERRORS:
            continue
        first = node.body[0]
        call = first.value if isinstance(first, ast.Expr) else None
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "rollback_unit"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_views_that_catch_a_service_error_roll_back_first():
    views = sorted((ROOT / "caseflow").glob("*/views.py")) + sorted(
        (ROOT / "caseflow/api/v1").glob("*.py")
    )
    assert len(views) > 8
    assert [h for path in views for h in handlers_without_rollback(path)] == []


def test_the_handler_check_sees_a_missing_rollback(tmp_path):
    sample = ROOT / "tests" / "integration" / "_sample_view.py"
    sample.write_text("try:\n    pass\nexcept ValidationError as exc:\n    flash(exc)\n")
    try:
        assert handlers_without_rollback(sample) == ["tests/integration/_sample_view.py:3"]
    finally:
        sample.unlink()


def count_commits(app):
    """Real commits of the app's database (savepoint releases are not commits)."""
    commits = []
    engine = app.extensions["caseflow.engine"]

    def seen(connection):
        commits.append(connection)

    event.listen(engine, "commit", seen)
    return commits, lambda: event.remove(engine, "commit", seen)


def test_a_case_page_with_hits_is_one_commit(app, auth, client, officer):
    other = make_user(app, "officer")
    mine = make_case(app, officer).id
    theirs = make_case(app, other, title="Theirs").id
    for user, case_id in ((officer, mine), (other, theirs)):
        arrange(
            app,
            lambda s, now, u=user, c=case_id: entity_services.add_entity(
                s, actor_of(s, u), c, "phone", "+44 7700 900123", now=now
            ),
        )
    auth.login(officer)
    commits, stop = count_commits(app)
    try:
        page = client.get(f"/cases/{mine}")
        hits = client.get(f"/cases/{mine}/entities/")
    finally:
        stop()
    assert page.status_code == 200 and hits.status_code == 200
    assert len(commits) == 2, "one commit per request"


def test_an_api_request_is_one_commit_with_its_token_use(app, client, officer):
    case_id = make_case(app, officer).id
    headers = bearer(issue_token(app, officer))
    commits, stop = count_commits(app)
    try:
        response = client.post(
            f"/api/v1/cases/{case_id}/entities",
            json={"kind": "email", "value": "seller@example.com"},
            headers=headers,
        )
    finally:
        stop()
    assert response.status_code == 201, response.get_json()
    assert len(commits) == 1


def test_a_refused_api_request_rolls_back_but_keeps_the_token_use(app, client, db, officer):
    other = make_user(app, "officer")
    theirs = make_case(app, other).id
    headers = bearer(issue_token(app, officer))
    response = client.post(
        f"/api/v1/cases/{theirs}/entities",
        json={"kind": "email", "value": "probe@example.com"},
        headers=headers,
    )
    assert response.status_code == 404
    uses = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "token.use")).all()
    assert [u.details["operation"] for u in uses] == ["POST /api/v1/cases/{case_id}/entities"]


def test_a_failed_use_case_writes_nothing_but_its_refusal_record(app, db, officer):
    """A service that wrote, recorded a refusal and raised: the boundary keeps only the
    refusal, written after the rollback."""
    case_id = make_case(app, officer).id

    def refused(session, now):
        me = actor_of(session, officer)
        entity_services.add_entity(session, me, case_id, "email", "a@example.com", now=now)
        uow.after_rollback(
            session,
            lambda s: record_event(
                s, me, "test.refused", category="security", outcome="denied", now=now
            ),
        )
        raise ValidationError("Refused.")

    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        with pytest.raises(ValidationError), uow.unit_of_work(session):
            refused(session, app.config["CLOCK"]())
    assert db.scalar(sa.select(sa.func.count()).select_from(Entity)) == 0
    refusals = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "test.refused")).all()
    assert len(refusals) == 1


def test_a_unit_with_a_refusal_is_rolled_back_even_if_the_caller_handled_it(app, db, officer):
    case_id = make_case(app, officer).id
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        me = actor_of(session, officer)
        now = app.config["CLOCK"]()
        entity_services.add_entity(session, me, case_id, "email", "b@example.com", now=now)
        uow.after_rollback(session, lambda s: None)
        uow.commit(session)
    count = db.scalar(sa.select(sa.func.count()).select_from(Entity))
    assert count == 0


def test_the_enrolment_seed_is_issued_in_the_callers_unit_of_work(app, db):
    """Issuing a seed writes it in the caller's transaction; it is kept only if the caller
    commits (a getter that committed on its own was the trap)."""
    from caseflow.auth import services as auth

    user = make_user(app, "officer")
    settings = app.extensions["caseflow.auth"]
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        row = session.get(User, user.id)
        row.totp_enrolled_at, row.totp_secret_enc = None, None
        session.commit()
        first = auth.issue_enrolment_seed(session, row, settings=settings)
        session.rollback()
        assert db.get(User, user.id).totp_secret_enc is None
        db.rollback()
        row = session.get(User, user.id)
        second = auth.issue_enrolment_seed(session, row, settings=settings)
        session.commit()
        assert second != first
        assert auth.issue_enrolment_seed(session, row, settings=settings) == second


def test_read_transactions_take_no_write_lock_and_refuse_writes(app, officer):
    case_id = make_case(app, officer).id
    factory = app.extensions["caseflow.sessionmaker"]
    reader, writer = factory(), factory()
    try:
        with uow.read_transaction(reader):
            reader.get(Case, case_id)
            # Another unit of work writes while the read is open, without waiting.
            with uow.unit_of_work(writer):
                writer.get(Case, case_id).summary = "Changed meanwhile."
        with pytest.raises(Exception), uow.read_transaction(reader):  # noqa: B017
            reader.execute(sa.update(Case).values(summary="Written in a read."))
        assert writer.get(Case, case_id).summary == "Changed meanwhile."
    finally:
        reader.close()
        writer.close()


# --- every public read takes the actor and checks access ------------------------------------


@pytest.fixture
def foreign_request(app, officer):
    """A request in a case `officer` is not a member of."""
    liaison = make_user(app, "liaison")
    case_id = make_case(app, liaison).id
    return case_id, make_request(app, liaison, case_id).id


@pytest.mark.parametrize(
    "read",
    [
        lambda s, me, case_id, _r: mla_services.case_entity_choices(s, me, case_id),
        lambda s, me, case_id, _r: mla_services.case_evidence_choices(s, me, case_id),
        lambda s, me, case_id, _r: mla_services.case_requests(s, me, case_id),
        lambda s, me, case_id, _r: mla_services.due_items(s, me, s.info["now"], case_id=case_id),
        lambda s, me, case_id, _r: evidence_services.custody_gaps(
            s, me, case_id, now=s.info["now"]
        ),
        lambda s, me, case_id, _r: evidence_services.items_for_case(s, me, case_id),
    ],
    ids=[
        "case_entity_choices",
        "case_evidence_choices",
        "case_requests",
        "due_items",
        "custody_gaps",
        "items_for_case",
    ],
)
def test_reads_of_a_case_check_the_actors_access(app, officer, foreign_request, read):
    case_id, request_id = foreign_request
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        session.info["now"] = app.config["CLOCK"]()
        with pytest.raises(NotFoundError):
            read(session, actor_of(session, officer), case_id, request_id)


def test_a_member_reads_what_an_outsider_cannot(app, officer, foreign_request):
    case_id, request_id = foreign_request
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        owner = session.scalar(sa.select(Case.owner_id).where(Case.id == case_id))
        me = actor_of(session, session.get(User, owner))
        assert [r.id for r in mla_services.case_requests(session, me, case_id)] == [request_id]
        assert mla_services.case_evidence_choices(session, me, case_id) == []


def test_update_case_refuses_an_unknown_field(app, officer):
    case_id = make_case(app, officer).id
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        with pytest.raises(ValidationError) as err:
            case_services.update_case(
                session, actor_of(session, officer), case_id, now=app.config["CLOCK"](), owner="x"
            )
    assert err.value.field == "owner"
    assert "unknown field(s) owner" in err.value.message


def test_members_added_by_the_factory_are_members(app, officer):
    colleague = make_user(app, "officer")
    case_id = make_case(app, officer).id
    add_member(app, officer, case_id, colleague)
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        assert case_services.membership(session, actor_of(session, colleague), case_id)
