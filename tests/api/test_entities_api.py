"""/api/v1 entities, links, hits, ad intake, evidence and requests: the entity services'
rules seen through JSON (normalization, field errors, masking, hits, one-transaction intake)."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.entities.models import CaseEntity, Entity, Link
from caseflow.entities.services import VICTIM_MASK
from tests.api.helpers import add_entity, bearer, issue_token
from tests.factories import add_member, make_case, make_evidence_item, make_request, make_user

PURPOSE = {"X-CaseFlow-Purpose": "Quarterly review of victim safeguarding"}


def _post(client, path, body, headers):
    return client.post(f"/api/v1{path}", json=body, headers=headers)


def test_an_officer_adds_lists_and_reads_identifiers(app, client, db, officer):
    case_id = make_case(app, officer).id
    headers = bearer(issue_token(app, officer))
    response = _post(
        client,
        f"/cases/{case_id}/entities",
        {"kind": "phone", "value": "07700 900123", "note": "From the ad's footer"},
        headers,
    )
    assert response.status_code == 201, response.get_json()
    added = response.get_json()
    assert added["created"] is True and added["already_in_case"] is False
    entity = added["entity"]
    assert entity["value"] == "+447700900123"  # read with the case's lead jurisdiction, GB
    assert entity["source"] == "api" and entity["masked"] is False
    body = {"kind": "phone", "value": "+44 7700 900123"}
    again = _post(client, f"/cases/{case_id}/entities", body, headers)
    assert again.status_code == 201
    assert again.get_json()["already_in_case"] is True
    listed = client.get(f"/api/v1/cases/{case_id}/entities", headers=headers).get_json()
    assert listed["total"] == 1
    assert [e["entity_id"] for e in listed["items"]] == [entity["entity_id"]]
    detail = client.get(
        f"/api/v1/cases/{case_id}/entities/{entity['entity_id']}", headers=headers
    ).get_json()
    assert detail["entity"]["note"] == "From the ad's footer"
    assert detail["attributes"]["region"] == "GB"
    assert detail["read_only"] is False and detail["links"] == [] and detail["hits"] == []
    actions = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert actions.count("entity.add") == 1
    assert {"entity.list", "entity.view"} <= set(actions)
    db.rollback()
    missing = client.get(f"/api/v1/cases/{case_id}/entities/999999", headers=headers)
    assert missing.status_code == 404


def test_identifiers_are_paginated(app, client, officer, clock):
    case_id = make_case(app, officer).id
    for n in range(3):
        add_entity(app, officer, case_id, "email", f"seller{n}@example.com")
        clock.advance(minutes=1)
    headers = bearer(issue_token(app, officer, scope="read"))
    first = client.get(f"/api/v1/cases/{case_id}/entities?per_page=2", headers=headers).get_json()
    assert first["total"] == 3
    assert [e["value"] for e in first["items"]] == ["seller2@example.com", "seller1@example.com"]
    last = client.get(first["next"], headers=headers).get_json()
    assert [e["value"] for e in last["items"]] == ["seller0@example.com"]
    assert last["next"] is None


def test_identifiers_are_filtered_by_kind_across_pages(app, client, db, officer, clock):
    case_id = make_case(app, officer).id
    for kind, value in [
        ("email", "seller0@example.com"),
        ("phone", "+447700900123"),
        ("email", "seller1@example.com"),
    ]:
        add_entity(app, officer, case_id, kind, value)
        clock.advance(minutes=1)
    headers = bearer(issue_token(app, officer, scope="read"))
    base = f"/api/v1/cases/{case_id}/entities"
    first = client.get(f"{base}?kind=email&per_page=1", headers=headers).get_json()
    assert first["total"] == 2
    assert [e["value"] for e in first["items"]] == ["seller1@example.com"]
    assert "kind=email" in first["next"]  # the next page keeps the filter
    last = client.get(first["next"], headers=headers).get_json()
    assert [e["value"] for e in last["items"]] == ["seller0@example.com"]
    assert last["next"] is None
    phones = client.get(f"{base}?kind=phone", headers=headers).get_json()
    assert [e["value"] for e in phones["items"]] == ["+447700900123"]
    bad = client.get(f"{base}?kind=spaceship", headers=headers)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["field"] == "kind"
    assert bad.get_json()["error"]["message"].startswith("Kind: one of ")
    details = db.scalars(
        sa.select(AuditEvent.details)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == "entity.list")
        .order_by(AuditEvent.id)
    ).all()
    assert details[0] == {"page": 1, "kind": "email"}
    db.rollback()


def test_a_bad_identifier_gets_400_naming_the_field(app, client, db, officer):
    case_id = make_case(app, officer).id
    headers = bearer(issue_token(app, officer))
    cases = [
        ({"value": "x"}, "kind", "Kind: required."),
        ({"kind": "spaceship", "value": "x"}, "kind", None),
        ({"kind": "person", "value": "Alex Example"}, "role", None),
        ({"kind": "phone", "value": "+44 7700 900123", "role": "victim"}, "role", None),
        ({"kind": "phone", "value": "+44 7700 900123", "chain": "btc"}, "chain", None),
        ({"kind": "phone", "value": "not a number"}, "value", None),
        ({"kind": "account", "value": "justahandle"}, "platform", None),
        ({"kind": "email", "value": 42}, "value", "Value: must be text."),
        ({"kind": "email", "value": "a@example.com", "role": "boss"}, "role", None),
    ]
    for body, field, message in cases:
        response = _post(client, f"/cases/{case_id}/entities", body, headers)
        assert response.status_code == 400, body
        error = response.get_json()["error"]
        assert error["code"] == "invalid"
        assert error["field"] == field, (body, error)
        assert error["message"].endswith("."), error
        if message:
            assert error["message"] == message
    assert db.scalar(sa.select(sa.func.count()).select_from(CaseEntity)) == 0
    db.rollback()


def test_links_are_created_listed_and_retracted_but_kept(app, client, db, officer):
    case_id = make_case(app, officer).id
    phone = add_entity(app, officer, case_id, "phone", "+44 7700 900200")
    account = add_entity(app, officer, case_id, "account", "telegram:ring_contact")
    elsewhere = add_entity(app, officer, make_case(app, officer).id, "email", "x@example.com")
    headers = bearer(issue_token(app, officer))
    path = f"/cases/{case_id}/links"
    body = {"source_id": account, "target_id": phone, "type": "USES", "confidence": "probable",
            "assessment": True, "note": "Same number in two ads"}  # fmt: skip
    response = _post(client, path, body, headers)
    assert response.status_code == 201, response.get_json()
    link = response.get_json()
    assert link["type"] == "USES" and link["assessment"] is True
    assert link["source"]["entity_id"] == account and link["target"]["entity_id"] == phone
    assert link["created_by"] == officer.username and link["retracted_at"] is None
    for bad, field in (
        ({**body, "target_id": account}, "target_id"),
        ({**body, "type": "OWNS"}, "type"),
        ({**body, "confidence": "certain"}, "confidence"),
        ({**body, "source_id": elsewhere}, "source_id"),
        ({k: v for k, v in body.items() if k != "type"}, "type"),
    ):
        response = _post(client, path, bad, headers)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["field"] == field
    response = _post(client, f"{path}/{link['id']}/retract", None, headers)
    assert response.status_code == 200
    assert response.get_json()["retracted_at"] is not None
    listed = client.get(f"/api/v1{path}", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["retracted_at"] is not None
    assert db.get(Link, link["id"]).retracted_at is not None  # kept, not deleted
    actions = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert {"link.create", "link.retract", "link.list"} <= set(actions)
    db.rollback()
    assert _post(client, f"{path}/999999/retract", None, headers).status_code == 404


def test_a_hit_reveals_only_the_other_cases_reference_and_owner_contact(app, client, db, officer):
    other = make_user(app, "officer")
    theirs = make_case(app, other, title="Operation Nightjar").id
    add_entity(app, other, theirs, "phone", "+44 7700 900777", note="Their private note")
    add_entity(app, other, theirs, "person", "Sam Example", role="suspect")
    reference = db.get(Case, theirs).reference
    db.rollback()
    mine = make_case(app, officer, title="My case").id
    add_entity(app, officer, mine, "person", "Sam Example", role="suspect")  # persons: no hit
    headers = bearer(issue_token(app, officer))
    response = _post(
        client, f"/cases/{mine}/entities", {"kind": "phone", "value": "+447700900777"}, headers
    )
    assert response.status_code == 201
    assert len(response.get_json()["hits"]) == 1
    response = client.get(f"/api/v1/cases/{mine}/hits", headers=headers)
    assert response.status_code == 200
    hits = response.get_json()["items"]
    assert hits == [
        {
            "entity_id": hits[0]["entity_id"],
            "entity_kind": "phone",
            "entity_label": hits[0]["entity_label"],
            "case_reference": reference,
            "owner_name": f"Officer {other.username} (test)",
            "owner_contact": hits[0]["owner_contact"],
            "match": "exact",
            "reason": None,
        }
    ]
    assert hits[0]["owner_contact"].startswith("Test Agency · ")
    assert f"{other.username}@example.org" in hits[0]["owner_contact"]
    text = response.get_data(as_text=True)
    for secret in ("Operation Nightjar", "Their private note", "Sam Example", '"case_id"'):
        assert secret not in text
    shown = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "hit.shown", AuditEvent.case_id == mine)
    ).all()
    assert len(shown) == 2 and all(e.details["other_case_id"] == theirs for e in shown)
    db.rollback()


def test_ad_intake_previews_then_creates_the_chosen_identifiers_in_one_go(app, client, db, officer):
    case_id = make_case(app, officer).id
    headers = bearer(issue_token(app, officer))
    text = "New in town. Call 07700 900555 or write to meet [at] example.com. Ask for Mia."
    response = _post(client, f"/cases/{case_id}/intake/preview", {"text": text}, headers)
    assert response.status_code == 200, response.get_json()
    preview = response.get_json()
    assert preview["region"] == "GB"
    keys = {c["kind"]: c["key"] for c in preview["candidates"]}
    assert keys == {"phone": "phone:+447700900555", "email": "email:meet@example.com"}
    phone = next(c for c in preview["candidates"] if c["kind"] == "phone")
    assert text[phone["span"][0] : phone["span"][1]] == "07700 900555"
    assert db.scalar(sa.select(sa.func.count()).select_from(Entity)) == 0  # preview wrote nothing
    db.rollback()
    ad = {"value": "https://ads.example.com/ad/77", "text": text, "posted_by": "mia_new",
          "platform": "telegram", "title": "New in town"}  # fmt: skip
    absent = {**ad, "selected": ["phone:+447700900000"]}
    refused = _post(client, f"/cases/{case_id}/intake", absent, headers)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["field"] == "selected"
    assert db.scalar(sa.select(sa.func.count()).select_from(Entity)) == 0  # nothing half-made
    db.rollback()
    response = _post(
        client, f"/cases/{case_id}/intake", {**ad, "selected": list(keys.values())}, headers
    )
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["ad"]["kind"] == "ad"
    assert sorted(e["kind"] for e in result["entities"]) == ["account", "email", "phone"]
    by_id = {e["id"]: e["kind"] for e in [result["ad"], *result["entities"]]}
    links = result["links"]
    made = sorted((by_id[k["source_id"]], k["type"], by_id[k["target_id"]]) for k in links)
    assert made == [
        ("account", "POSTED", "ad"),
        ("ad", "CONTACT", "email"),
        ("ad", "CONTACT", "phone"),
    ]
    listed = client.get(f"/api/v1/cases/{case_id}/entities", headers=headers).get_json()
    assert listed["total"] == 4 and {e["source"] for e in listed["items"]} == {"ad"}
    links = client.get(f"/api/v1/cases/{case_id}/links", headers=headers).get_json()
    assert links["total"] == 3
    response = _post(client, f"/cases/{case_id}/intake", {"text": "x", "selected": []}, headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "platform"  # neither a URL nor a platform


def test_victims_are_masked_for_a_supervisor_reading_with_a_purpose(app, client, officer):
    case_id = make_case(app, officer).id
    victim = add_entity(app, officer, case_id, "person", "Robin Example", role="victim")
    phone = add_entity(app, officer, case_id, "phone", "+44 7700 900888")
    headers = bearer(issue_token(app, officer))
    body = {"source_id": victim, "target_id": phone, "type": "USES"}
    assert _post(client, f"/cases/{case_id}/links", body, headers).status_code == 201
    mine = client.get(f"/api/v1/cases/{case_id}/entities/{victim}", headers=headers).get_json()
    assert mine["entity"]["label"] == "Robin Example" and mine["entity"]["masked"] is False
    supervisor = make_user(app, "supervisor")
    sup = bearer(issue_token(app, supervisor, scope="read"), **PURPOSE)
    for path in (
        f"/cases/{case_id}/entities",
        f"/cases/{case_id}/entities/{victim}",
        f"/cases/{case_id}/entities/{phone}",
        f"/cases/{case_id}/links",
    ):
        response = client.get(f"/api/v1{path}", headers=sup)
        assert response.status_code == 200, path
        assert "Robin" not in response.get_data(as_text=True), path
    listed = client.get(f"/api/v1/cases/{case_id}/entities", headers=sup).get_json()
    row = next(e for e in listed["items"] if e["entity_id"] == victim)
    assert row == {**row, "masked": True, "value": "", "label": VICTIM_MASK, "role": "victim"}
    detail = client.get(f"/api/v1/cases/{case_id}/entities/{victim}", headers=sup).get_json()
    assert detail["attributes"] == {} and detail["read_only"] is True
    assert client.get(f"/api/v1/cases/{case_id}/hits", headers=sup).get_json() == {"items": []}


def test_evidence_items_and_requests_are_listed_with_hashes_and_references(app, client):
    officer = make_user(app, "liaison")  # liaison officers prepare MLA requests
    case_id = make_case(app, officer).id
    digest = "ab" * 32
    make_evidence_item(
        app,
        officer,
        case_id,
        kind="external",
        sha256=digest,
        description="Screenshot archive held by the platform",
        acquired_by="DC Example",
    )
    make_request(app, officer, case_id, complete=False)
    headers = bearer(issue_token(app, officer, scope="read"))
    items = client.get(f"/api/v1/cases/{case_id}/evidence", headers=headers).get_json()["items"]
    assert len(items) == 1
    assert items[0]["sha256"] == digest and items[0]["kind"] == "external"
    assert items[0]["number"] == 1 and items[0]["reference"].startswith("CF-")
    requests = client.get(f"/api/v1/cases/{case_id}/requests", headers=headers).get_json()
    assert requests["total"] == 1
    assert requests["items"][0]["reference"].endswith("/R-01")
    assert requests["items"][0]["status"] == "draft"
    assert requests["items"][0]["requested_state"] == "TH"


def test_a_member_who_only_reads_via_a_read_token_cannot_add_or_link(app, client, officer):
    colleague = make_user(app, "officer")
    case_id = make_case(app, officer).id
    add_member(app, officer, case_id, colleague)
    read = bearer(issue_token(app, colleague, scope="read"))
    body = {"kind": "email", "value": "x@example.com"}
    response = _post(client, f"/cases/{case_id}/entities", body, read)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "insufficient_scope"
    write = bearer(issue_token(app, colleague))
    assert _post(client, f"/cases/{case_id}/entities", body, write).status_code == 201


def test_ad_intake_preview_says_which_candidates_to_check_and_how_they_were_read(
    app, client, officer
):
    case_id = make_case(app, officer).id  # a GB case
    headers = bearer(issue_token(app, officer))
    text = "appelle zéro six trente-neuf quatre-vingt-dix-huit douze vingt-six ou 07700 9OO 217"
    response = _post(client, f"/cases/{case_id}/intake/preview", {"text": text}, headers)
    assert response.status_code == 200, response.get_json()
    found = {c["value"]: (c["check"], c["how"]) for c in response.get_json()["candidates"]}
    assert found == {
        "+33639981226": ("valid only as a number of FR, not of GB", ["spelled"]),
        "+447700900217": (None, ["look-alike letters"]),
    }
