"""Access-control matrix over the API, generated from the operation registry: every case-scoped
endpoint x every role x a case the user is not a member of -> refused (403 or 404)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caseflow.api.v1._core import OPERATIONS
from caseflow.audit.models import AuditEvent
from tests.api.helpers import add_entity, bearer, issue_token, link_entities
from tests.factories import add_member, make_case, make_user

CASE_OPERATIONS = [op for op in OPERATIONS if "case_id" in op.path_params]

# A valid body for each writing endpoint, so a refusal is about access, not input. A new
# endpoint without an entry here fails the test below until one is added.
BODIES = {
    "update_case": {"title": "Renamed"},
    "add_member": {"username": "placeholder", "role": "analyst"},
    "add_task": {"title": "Check the ad host"},
    "add_entity": {"kind": "email", "value": "contact@example.com"},
    "create_link": {"source_id": "{phone_id}", "target_id": "{account_id}", "type": "CONTROLS"},
    "preview_ad": {"text": "Call +44 7700 900123"},
    "ingest_ad": {
        "value": "https://ads.example.com/ad/1",
        "text": "Call +44 7700 900123",
        "selected": ["phone:+447700900123"],
    },
}


def test_every_case_scoped_endpoint_is_covered():
    assert len(CASE_OPERATIONS) >= 16
    for op in CASE_OPERATIONS:
        if op.request is not None:
            assert op.endpoint in BODIES, f"add a valid body for {op.endpoint}"


@pytest.fixture
def world(app):
    """A case owned by one officer (with a second member), and outsiders of every role."""
    owner = make_user(app, "officer")
    colleague = make_user(app, "liaison")
    case_id = make_case(app, owner, title="Closed circle").id
    member_id = add_member(app, owner, case_id, colleague).id
    phone_id = add_entity(app, owner, case_id, "phone", "+44 7700 900456")
    account_id = add_entity(app, owner, case_id, "account", "telegram:closed_circle_contact")
    link_id = link_entities(app, owner, case_id, phone_id, account_id, "ASSOCIATED_WITH")
    outsiders = {
        role: make_user(app, role) for role in ("officer", "liaison", "supervisor", "admin")
    }
    ids = {
        "case_id": case_id,
        "member_id": member_id,
        "entity_id": phone_id,
        "phone_id": phone_id,
        "account_id": account_id,
        "link_id": link_id,
    }
    return {**ids, "colleague": colleague, **outsiders}


def _call(client, op, world, headers):
    path = "/api/v1" + op.path.format(**{name: world[name] for name in op.path_params})
    body = dict(BODIES.get(op.endpoint, {})) if op.request is not None else None
    if body and "username" in body:
        body["username"] = world["colleague"].username
    for key, value in (body or {}).items():
        if isinstance(value, str) and value.startswith("{"):
            body[key] = world[value.strip("{}")]
    return client.open(path, method=op.method, json=body, headers=headers)


@pytest.mark.parametrize("role", ["officer", "liaison", "supervisor", "admin"])
def test_outsiders_of_every_role_are_refused_on_every_case_endpoint(app, client, db, world, role):
    headers = bearer(issue_token(app, world[role]))
    for op in CASE_OPERATIONS:
        response = _call(client, op, world, headers)
        assert response.status_code in (403, 404), (role, op.method, op.path)
        error = response.get_json()["error"]
        # One record of the refused call: the token's use, denied, on that case.
        records = db.execute(
            sa.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.case_id).where(
                AuditEvent.request_id == response.headers["X-Request-ID"]
            )
        ).all()
        db.rollback()
        assert [tuple(r) for r in records] == [("token.use", "denied", world["case_id"])], op
        assert "Closed circle" not in response.get_data(as_text=True)
        if role in ("officer", "liaison"):
            assert response.status_code == 404, (role, op.endpoint)
        if role == "supervisor":
            assert error["code"] == "purpose_required", op.endpoint
        if role == "admin":
            assert error["code"] == "forbidden", op.endpoint


def test_a_supervisor_with_a_stated_purpose_reads_but_never_writes(app, client, db, world):
    purpose = "Monthly custody audit of open cases"
    headers = bearer(issue_token(app, world["supervisor"]), **{"X-CaseFlow-Purpose": purpose})
    for op in CASE_OPERATIONS:
        response = _call(client, op, world, headers)
        if op.writes:
            assert response.status_code == 403, op.endpoint
            assert response.get_json()["error"]["code"] == "forbidden"
        else:
            assert response.status_code == 200, op.endpoint
    stated = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "case.purpose_stated")
    ).all()
    assert stated and all(e.purpose == purpose for e in stated)
    assert all(e.actor_id == world["supervisor"].id for e in stated)
    db.rollback()


def test_a_too_short_purpose_is_refused_naming_the_field(app, client, world):
    headers = bearer(issue_token(app, world["supervisor"]), **{"X-CaseFlow-Purpose": "because"})
    response = client.get(f"/api/v1/cases/{world['case_id']}", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "purpose"


def test_the_purpose_header_gives_other_roles_nothing(app, client, world):
    headers = bearer(
        issue_token(app, world["officer"]), **{"X-CaseFlow-Purpose": "I would like to look please"}
    )
    response = client.get(f"/api/v1/cases/{world['case_id']}", headers=headers)
    assert response.status_code == 404


def test_a_removed_member_loses_access_on_the_next_request(app, client, world):
    headers = bearer(issue_token(app, world["colleague"]))
    path = f"/api/v1/cases/{world['case_id']}"
    assert client.get(path, headers=headers).status_code == 200
    owner_headers = bearer(issue_token(app, _owner(app, world["case_id"])))
    response = client.delete(f"{path}/members/{world['member_id']}", headers=owner_headers)
    assert response.status_code == 204
    assert client.get(path, headers=headers).status_code == 404


def test_case_lists_show_only_my_cases(app, client, world):
    mine = make_case(app, world["officer"], title="Mine").id
    headers = bearer(issue_token(app, world["officer"]))
    items = client.get("/api/v1/cases", headers=headers).get_json()["items"]
    assert [c["id"] for c in items] == [mine]
    admin_headers = bearer(issue_token(app, world["admin"]))
    assert client.get("/api/v1/cases", headers=admin_headers).status_code == 403


def _owner(app, case_id):
    from caseflow.cases.models import Case
    from caseflow.extensions import db_session
    from tests.factories import TestUser

    with app.app_context():
        owner = db_session().get(Case, case_id).owner
        return TestUser(owner.id, owner.username, "", "", owner.role)
