"""Refused access to a case object is audited: one record per refused request, with the actor,
the route, the case id where it is known and outcome "denied" (CJIS 5.4.1.1, ASVS 16.3.2).

A token call records its real outcome: a token used on another case is `token.use` denied
with that case's id, never a success.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from tests.api.helpers import bearer, issue_token
from tests.factories import add_member, make_case, make_evidence_item, make_request, make_user
from tests.helpers import csrf_token


def _records_of(db, response) -> list[AuditEvent]:
    """The audit records written for one request (they share its request id)."""
    request_id = response.headers["X-Request-ID"]
    rows = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.seq)
    ).all()
    db.expunge_all()  # keep the loaded values: no reload (and no open snapshot) later
    db.rollback()
    return list(rows)


def _foreign_objects(app):
    owner = make_user(app, "officer")
    case_id = make_case(app, owner, title="Foreign").id
    item_id = make_evidence_item(app, owner, case_id).id
    liaison = make_user(app, "liaison")
    add_member(app, owner, case_id, liaison, role="liaison")
    request_id = make_request(app, liaison, case_id).id
    return case_id, item_id, request_id


def test_a_non_members_refused_pages_are_audited_once_each(app, auth, client, db):
    case_id, item_id, request_id = _foreign_objects(app)
    outsider = make_user(app, "officer")
    auth.login(outsider)
    token = csrf_token(client, "/")
    attempts = [
        ("GET", f"/cases/{case_id}", "GET /cases/{case_id}", case_id),
        ("GET", f"/cases/{case_id}/edit", "GET /cases/{case_id}/edit", case_id),
        ("GET", f"/evidence/{item_id}", "GET /evidence/{item_id}", case_id),
        ("POST", f"/evidence/{item_id}/download", "POST /evidence/{item_id}/download", case_id),
        ("GET", f"/requests/{request_id}", "GET /requests/{request_id}", case_id),
        ("GET", "/cases/999999", "GET /cases/{case_id}", None),
        ("GET", "/evidence/999999", "GET /evidence/{item_id}", None),
    ]
    for method, path, route, expected_case in attempts:
        data = {"csrf_token": token, "purpose": "look"} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        assert response.status_code in (403, 404), path
        records = _records_of(db, response)
        assert len(records) == 1, (path, [(r.action, r.outcome) for r in records])
        record = records[0]
        assert (record.action, record.outcome, record.category) == (
            "access.denied",
            "denied",
            "security",
        ), path
        assert record.actor_id == outsider.id and record.actor_name == outsider.username
        assert record.case_id == expected_case, path
        assert record.details["route"] == route
        assert record.details["status"] == response.status_code
        assert record.ip == "127.0.0.1"
    # A granted page writes no denial.
    mine = make_case(app, outsider, title="Mine").id
    response = client.get(f"/cases/{mine}")
    assert response.status_code == 200
    assert all(r.outcome != "denied" for r in _records_of(db, response))


def test_a_token_refused_on_another_case_is_recorded_as_denied_not_as_success(
    app, client, db, officer
):
    foreign_case, _item, _request = _foreign_objects(app)
    mine = make_case(app, officer, title="Mine").id
    headers = bearer(issue_token(app, officer))

    response = client.get(f"/api/v1/cases/{foreign_case}", headers=headers)
    assert response.status_code == 404
    records = _records_of(db, response)
    assert [(r.action, r.outcome) for r in records] == [("token.use", "denied")]
    assert records[0].case_id == foreign_case
    assert records[0].actor_id == officer.id
    assert records[0].details["operation"] == "GET /api/v1/cases/{case_id}"
    assert records[0].details["status"] == 404

    response = client.post(
        f"/api/v1/cases/{foreign_case}/tasks", json={"title": "Look"}, headers=headers
    )
    assert response.status_code == 404
    assert [(r.action, r.outcome) for r in _records_of(db, response)] == [("token.use", "denied")]

    response = client.get(f"/api/v1/cases/{mine}", headers=headers)
    assert response.status_code == 200
    records = _records_of(db, response)
    uses = [r for r in records if r.action == "token.use"]
    assert [(r.outcome, r.case_id) for r in uses] == [("success", mine)]
    assert uses[0].details["status"] == 200


def test_a_read_token_writing_is_denied_and_an_unknown_token_fails_once(app, client, db, officer):
    mine = make_case(app, officer, title="Mine").id
    headers = bearer(issue_token(app, officer, scope="read"))
    response = client.post(f"/api/v1/cases/{mine}/tasks", json={"title": "Look"}, headers=headers)
    assert response.status_code == 403
    records = _records_of(db, response)
    assert [(r.action, r.outcome, r.case_id) for r in records] == [("token.use", "denied", mine)]

    response = client.get(f"/api/v1/cases/{mine}", headers=bearer("cfp_" + "A" * 43))
    assert response.status_code == 401
    records = _records_of(db, response)
    assert [(r.action, r.outcome, r.case_id) for r in records] == [("token.use", "failure", mine)]

    response = client.get(f"/api/v1/cases/{mine}")  # no credential at all
    assert response.status_code == 401
    records = _records_of(db, response)
    assert [(r.action, r.outcome, r.case_id, r.actor_id) for r in records] == [
        ("access.denied", "denied", mine, None)
    ]
