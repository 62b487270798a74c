"""Access-control matrix generated from the URL map: every case-scoped endpoint (any rule with
a `case_id` argument, now and in future) x every role x a case the user is not a member of.

Non-members are refused (403 or 404); supervisors without a stated purpose are sent to the
purpose page. Other URL arguments get real ids from the foreign case, so a refusal cannot be
an accident of a missing object.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from caseflow import policy
from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.auth.services import actor_for
from caseflow.cases import services as case_services
from caseflow.cases.models import CaseMember, CaseTask
from caseflow.entities import services as entity_services
from tests.factories import make_case, make_user
from tests.helpers import form_inputs

# Endpoints that are the way in for a supervisor, not case content.
PURPOSE_ENDPOINTS = {"cases.purpose"}


def _foreign_case(app, owner) -> dict[str, int]:
    """A case with one object of each kind, owned by someone else; ids by URL argument name."""
    colleague = make_user(app, "officer")
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        actor = actor_for(session.get(User, owner.id))
        now = app.config["CLOCK"]()
        case = make_case(session, owner, title="Foreign", now=now)
        task = case_services.add_task(session, actor, case.id, title="Task", now=now)
        case_services.add_member(
            session, actor, case.id, username=colleague.username, role="analyst", now=now
        )
        member_id = session.scalar(
            sa.select(CaseMember.id).where(
                CaseMember.case_id == case.id, CaseMember.user_id == colleague.id
            )
        )
        a = entity_services.add_entity(session, actor, case.id, "phone", "+447700900123", now=now)
        b = entity_services.add_entity(session, actor, case.id, "email", "x@example.com", now=now)
        link = entity_services.link_entities(
            session,
            actor,
            case.id,
            source_id=a.entity.id,
            target_id=b.entity.id,
            type="CONTACTED",
            now=now,
        )
        assert isinstance(session.get(CaseTask, task.id), CaseTask)
        session.commit()
        return {
            "case_id": case.id,
            "task_id": task.id,
            "member_id": member_id,
            "entity_id": a.entity.id,
            "source_id": a.entity.id,
            "target_id": b.entity.id,
            "link_id": link.id,
        }


def case_scoped_rules(app):
    # /api/ routes take bearer tokens only (a cookie gets 401): tests/api/test_access_matrix.py
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "case_id" in r.arguments and not r.rule.startswith("/api/")
    ]
    assert len(rules) > 10  # the generator found the case routes
    return rules


def _token(client) -> str:
    # any page with a form carries the session's CSRF token (the logout button)
    return form_inputs(client.get("/").get_data(as_text=True))["csrf_token"]


def _denials(db, response) -> list[tuple[str, str, int | None]]:
    rows = db.execute(
        sa.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.case_id).where(
            AuditEvent.request_id == response.headers["X-Request-ID"]
        )
    ).all()
    db.rollback()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("role", ["officer", "liaison", "supervisor", "admin"])
def test_every_case_scoped_endpoint_refuses_a_non_member(app, auth, client, db, role):
    ids = _foreign_case(app, make_user(app, "officer"))
    user = make_user(app, role)
    auth.login(user)
    token = _token(client)
    checked = 0
    for rule in case_scoped_rules(app):
        missing = set(rule.arguments) - set(ids)
        assert not missing, f"give a realistic id for {missing} in {rule.rule}"
        path = rule.build({k: ids[k] for k in rule.arguments})[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(path, method=method, data=data)
            where = f"{role} {method} {rule.rule} -> {response.status_code}"
            if role == "supervisor" and rule.endpoint in PURPOSE_ENDPOINTS:
                assert response.status_code in (200, 400), where
            elif role == "supervisor" and response.status_code == 403:
                # a function supervisors may not use at all (e.g. drafting a request)
                assert "Foreign" not in response.get_data(as_text=True), where
            elif role == "supervisor":
                assert response.status_code == 302, where
                assert f"/cases/{ids['case_id']}/purpose" in response.headers["Location"], where
            else:
                assert response.status_code in (403, 404), where
                assert "Foreign" not in response.get_data(as_text=True), where
            if response.status_code in (403, 404):  # each refusal audited, once
                denied = ("access.denied", "denied", ids["case_id"])
                assert _denials(db, response) == [denied], where
            checked += 1
    assert checked > 10


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith("/static/"):
            self.hrefs.add(href.split("#")[0])


# Entry points whose link depends on a permission: the page, and what grants it.
GATED_LINKS = {
    "/cases/": "case.work",
    "/cases/new": "case.create",
    "/admin/users": "accounts.manage",
}


@pytest.mark.parametrize("role", ["officer", "liaison", "supervisor", "admin"])
def test_pages_offer_a_role_exactly_the_links_the_policy_lets_it_follow(app, auth, client, role):
    """Templates ask the policy (`can(...)`); a link a role cannot follow, or a function it has
    but cannot reach, fails here."""
    auth.login(make_user(app, role))
    parser = _Links()
    parser.feed(client.get("/").get_data(as_text=True))
    for href in sorted(parser.hrefs):
        assert client.get(href).status_code == 200, f"{role} is offered {href} but refused"
    for href, permission in GATED_LINKS.items():
        granted = policy.has_permission(Actor(1, "x", role), permission)
        assert (href in parser.hrefs) is granted, f"{role}: link to {href}"
        assert (client.get(href).status_code == 200) is granted, f"{role}: GET {href}"


# --- Every rule with an object id: case content reached through another object ----------------

# URL arguments that name a case, or an object of a case (an evidence item, an MLA request and
# its parts). A rule with any of them is in a matrix: `case_id` rules in the one above (web) or
# tests/api/test_access_matrix.py (API), the others in the one below.
CASE_OBJECT_ARGS = {"item_id", "request_id", "annex_id", "identifier_id", "offence_id"}
# Rules with an object id that shows no case content, and why. A new one must be added here
# deliberately, or the test below fails.
NOT_CASE_CONTENT = {
    "static": "public: the app's own CSS, JavaScript and fonts",
    "api_tokens.revoke": "own account: a user revokes only their own tokens",
    "admin.deactivate": "account management: admins only, no case content",
    "admin.reset_2fa": "account management: admins only, no case content",
    "admin.unlock": "account management: admins only, no case content",
}


def _case_object_ids(app, owner) -> dict[str, int]:
    """An evidence item and an MLA request with an annex, an identifier and an offence, in a
    case owned by `owner`; ids by URL argument name."""
    from caseflow.mla import services as mla
    from caseflow.mla.models import MlaOffence
    from tests.factories import actor_of, arrange, make_evidence_item, make_request

    liaison = make_user(app, "liaison")
    case_id = make_case(app, owner, title="Foreign", members=[(liaison, "liaison")]).id
    item_id = make_evidence_item(app, owner, case_id).id
    request_id = make_request(app, liaison, case_id).id
    phone = arrange(
        app,
        lambda s, now: (
            entity_services.add_entity(
                s, actor_of(s, owner), case_id, "phone", "+447700900124", now=now
            ).entity.id
        ),
    )

    def parts(session, now):
        me = actor_of(session, liaison)
        annex = mla.add_annex(session, me, request_id, item_id, now=now)
        identifier = mla.add_identifier(
            session, me, request_id, phone, relevance="Number in the ads", now=now
        )
        offence = session.scalar(
            sa.select(MlaOffence.id).where(MlaOffence.request_id == request_id)
        )
        return {"annex_id": annex.id, "identifier_id": identifier.id, "offence_id": offence}

    return {"case_id": case_id, "item_id": item_id, "request_id": request_id, **arrange(app, parts)}


def object_scoped_rules(app):
    return [
        r
        for r in app.url_map.iter_rules()
        if "case_id" not in r.arguments and r.arguments & CASE_OBJECT_ARGS
    ]


def test_every_rule_with_an_object_id_is_in_a_matrix_or_listed_as_not_case_content(app):
    """A new route cannot escape: an id argument nobody classified fails here."""
    unclassified = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments:
            continue
        if "case_id" in rule.arguments or rule.arguments & CASE_OBJECT_ARGS:
            continue  # generated matrices
        if rule.endpoint not in NOT_CASE_CONTENT:
            unclassified.append(f"{rule.rule} ({rule.endpoint}): {sorted(rule.arguments)}")
    assert not unclassified, (
        "rules with an object id neither in an access matrix nor listed in NOT_CASE_CONTENT; "
        "add their id to CASE_OBJECT_ARGS (and _case_object_ids) or list them: "
        + "; ".join(unclassified)
    )
    assert len(object_scoped_rules(app)) >= 21  # the review counted 21 such routes
    stale = set(NOT_CASE_CONTENT) - {r.endpoint for r in app.url_map.iter_rules()}
    assert not stale, f"NOT_CASE_CONTENT names endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("role", ["officer", "liaison", "supervisor", "admin"])
def test_every_rule_reaching_a_case_object_refuses_a_non_member(app, auth, client, role):
    """Evidence items and MLA requests (and their parts) of a case I am not a member of: 403
    or 404 for every method, never the case's content; a supervisor without a purpose is sent
    to the purpose page or refused."""
    ids = _case_object_ids(app, make_user(app, "officer"))
    auth.login(make_user(app, role))
    token = _token(client)
    checked = 0
    for rule in object_scoped_rules(app):
        missing = set(rule.arguments) - set(ids)
        assert not missing, f"give a realistic id for {missing} in {rule.rule}"
        path = rule.build({k: ids[k] for k in rule.arguments})[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(path, method=method, data=data)
            where = f"{role} {method} {rule.rule} -> {response.status_code}"
            if role == "supervisor" and response.status_code == 302:
                assert "/purpose" in response.headers["Location"], where
            else:
                assert response.status_code in (403, 404), where
            body = response.get_data()
            assert b"Foreign" not in body and b"Ad page capture" not in body, where
            checked += 1
    assert checked >= 21
