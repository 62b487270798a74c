"""/api/v1 cases, members, tasks: the same services as the pages, JSON errors, pagination."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from tests.api.helpers import bearer, issue_token
from tests.factories import add_member, make_case, make_user


def test_an_officer_opens_reads_and_changes_a_case(app, client, db, officer, clock):
    headers = bearer(issue_token(app, officer))
    response = client.post(
        "/api/v1/cases",
        json={
            "title": "  Ads   ring ",
            "lead_jurisdiction": "gb",
            "involved_jurisdictions": ["DEU", "RO"],
            "priority": "high",
            "owner_id": 999,  # not offered: ignored, never assigned
            "status": "archived",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["reference"] == f"CF-{clock.now.year}-0001"
    assert case["title"] == "Ads ring"
    assert case["involved_jurisdictions"] == ["DE", "GB", "RO"]
    assert case["status"] == "open" and case["owner"] == officer.username
    response = client.patch(
        f"/api/v1/cases/{case['id']}", json={"status": "active"}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "active"
    got = client.get(f"/api/v1/cases/{case['id']}", headers=headers).get_json()
    assert got["status"] == "active"
    actions = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_id == case["id"])).all()
    assert {"case.create", "case.update", "case.view"} <= set(actions)
    db.rollback()


def test_a_bad_field_gets_400_naming_it_in_the_error_format(app, client, officer):
    headers = bearer(issue_token(app, officer))
    cases = [
        ({"lead_jurisdiction": "GB"}, "title", "Title: required."),
        ({"title": "   ", "lead_jurisdiction": "GB"}, "title", "Title: required."),
        ({"title": 5, "lead_jurisdiction": "GB"}, "title", "Title: must be text."),
        (
            {"title": "x" * 201, "lead_jurisdiction": "GB"},
            "title",
            "Title: at most 200 characters.",
        ),
        ({"title": "A\x00B", "lead_jurisdiction": "GB"}, "title", None),
        ({"title": "Ok", "lead_jurisdiction": "QQ"}, "lead_jurisdiction", None),
        ({"title": "Ok", "lead_jurisdiction": "GB", "priority": "max"}, "priority", None),
        ({"title": "Ok", "lead_jurisdiction": "GB", "involved_jurisdictions": "DE"}, None, None),
    ]
    for body, field, message in cases:
        response = client.post("/api/v1/cases", json=body, headers=headers)
        assert response.status_code == 400, body
        error = response.get_json()["error"]
        assert error["code"] == "invalid"
        if field:
            assert error["field"] == field, (body, error)
        if message:
            assert error["message"] == message
        assert set(error) == {"code", "message", "field"}


def test_bodies_must_be_json_objects_of_bounded_size(app, client, officer):
    headers = bearer(issue_token(app, officer))
    response = client.post("/api/v1/cases", data="title=x", headers=headers)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    response = client.post(
        "/api/v1/cases", data="{not json", content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "Body: not valid JSON."
    response = client.post("/api/v1/cases", json=[1, 2], headers=headers)
    assert response.status_code == 400
    big = {"title": "x", "lead_jurisdiction": "GB", "summary": "y" * 300_000}
    response = client.post("/api/v1/cases", json=big, headers=headers)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_unknown_routes_methods_and_huge_ids_get_json_errors(app, client, officer):
    headers = bearer(issue_token(app, officer))
    response = client.put("/api/v1/cases", headers=headers)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    for path in ("/api/v1/nothing", "/api/v1/cases/99999999999999999999", "/api/v1/cases/0"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_lists_are_paginated_with_a_total_and_a_next_link(app, client, officer, clock):
    ids = []
    for n in range(5):
        ids.append(make_case(app, officer, title=f"Case {n}").id)
        clock.advance(minutes=1)
    headers = bearer(issue_token(app, officer, scope="read"))
    first = client.get("/api/v1/cases?per_page=2", headers=headers).get_json()
    assert first["total"] == 5 and first["page"] == 1
    assert [c["id"] for c in first["items"]] == ids[::-1][:2]
    second = client.get(first["next"], headers=headers).get_json()
    assert [c["id"] for c in second["items"]] == ids[::-1][2:4]
    last = client.get(second["next"], headers=headers).get_json()
    assert [c["id"] for c in last["items"]] == ids[:1] and last["next"] is None
    for query in ("per_page=101", "page=0", "page=x", "per_page=-1"):
        response = client.get(f"/api/v1/cases?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["error"]["field"] in {"page", "per_page"}


def test_the_owner_manages_members_and_tasks(app, client, officer):
    colleague = make_user(app, "liaison")
    case_id = make_case(app, officer).id
    headers = bearer(issue_token(app, officer))
    response = client.post(
        f"/api/v1/cases/{case_id}/members",
        json={"username": colleague.username, "role": "liaison"},
        headers=headers,
    )
    assert response.status_code == 201
    member = response.get_json()
    listed = client.get(f"/api/v1/cases/{case_id}/members", headers=headers).get_json()
    assert {m["username"] for m in listed["items"]} == {officer.username, colleague.username}
    response = client.post(
        f"/api/v1/cases/{case_id}/tasks",
        json={"title": "Preserve logs", "kind": "deadline", "due_on": "2026-12-01",
              "assignee": colleague.username},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["due_on"] == "2026-12-01"
    response = client.post(
        f"/api/v1/cases/{case_id}/tasks",
        json={"title": "Deadline", "kind": "deadline"},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "due_on"
    tasks = client.get(f"/api/v1/cases/{case_id}/tasks", headers=headers).get_json()
    assert [t["title"] for t in tasks["items"]] == ["Preserve logs"]
    response = client.delete(f"/api/v1/cases/{case_id}/members/{member['id']}", headers=headers)
    assert response.status_code == 204
    listed = client.get(f"/api/v1/cases/{case_id}/members", headers=headers).get_json()
    assert {m["username"] for m in listed["items"]} == {officer.username}


def test_a_member_who_is_not_owner_cannot_change_members(app, client, officer):
    colleague = make_user(app, "officer")
    case_id = make_case(app, officer).id
    add_member(app, officer, case_id, colleague)
    headers = bearer(issue_token(app, colleague))
    response = client.post(
        f"/api/v1/cases/{case_id}/members",
        json={"username": officer.username, "role": "analyst"},
        headers=headers,
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    response = client.patch(f"/api/v1/cases/{case_id}", json={"title": "Mine"}, headers=headers)
    assert response.status_code == 200  # but members work the case


def test_the_openapi_document_lists_every_api_route(app, client):
    from caseflow.api.v1._core import OPERATIONS

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    documented = {
        (method.upper(), "/api/v1" + path) for path, item in doc["paths"].items() for method in item
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint != "api_v1.openapi_json":
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int(min=1, max=2147483647):{arg}>", "{" + arg + "}")
            routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert len(OPERATIONS) == len(routed)
