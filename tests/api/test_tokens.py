"""Personal access tokens: hashed at rest, scoped, expiring, revocable, audited, bearer only."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from caseflow.api.models import ApiToken
from caseflow.audit.models import AuditEvent
from tests.api.helpers import bearer, issue_token
from tests.factories import make_case
from tests.helpers import csrf_token, form_inputs


def test_a_token_is_stored_only_as_its_sha256(app, db, officer):
    secret = issue_token(app, officer)
    assert secret.startswith("cfp_") and len(secret) >= 4 + 43
    row = db.scalars(sa.select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in db.execute(sa.text("SELECT * FROM api_tokens")).one()]
    assert not any(secret in value or secret[4:] in value for value in stored)
    db.rollback()


def test_a_valid_token_reads_my_cases_and_its_use_is_audited(app, client, db, officer):
    case_id = make_case(app, officer, title="Ads ring").id
    secret = issue_token(app, officer, scope="read")
    response = client.get("/api/v1/cases", headers=bearer(secret))
    assert response.status_code == 200
    body = response.get_json()
    assert [c["id"] for c in body["items"]] == [case_id]
    assert body["items"][0]["title"] == "Ads ring"
    request_id = response.headers["X-Request-ID"]
    events = db.scalars(sa.select(AuditEvent).where(AuditEvent.request_id == request_id)).all()
    actions = [(e.action, e.outcome, e.actor_id) for e in events]
    assert ("token.use", "success", officer.id) in actions
    assert ("case.list", "success", officer.id) in actions
    use = next(e for e in events if e.action == "token.use")
    assert use.details["operation"] == "GET /api/v1/cases"
    db.rollback()
    client.get(f"/api/v1/cases/{case_id}/tasks", headers=bearer(secret))
    last = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "token.use").order_by(AuditEvent.seq)
    ).all()[-1]
    assert last.details["operation"] == "GET /api/v1/cases/{case_id}/tasks"
    assert db.scalars(sa.select(ApiToken)).one().last_used_at is not None
    db.rollback()


def test_missing_malformed_or_unknown_tokens_get_401_with_the_error_format(client, officer):
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
        bearer("cfp_" + "A" * 43),
        bearer("not-a-caseflow-token"),
    ):
        response = client.get("/api/v1/cases", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthenticated"


def test_an_expired_token_gets_401_and_the_refusal_is_audited(app, client, clock, db, officer):
    secret = issue_token(app, officer, days=1)
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    clock.advance(days=1)
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 401
    denied = db.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "token.use", AuditEvent.outcome == "denied"
        )
    ).one()
    assert denied.details["reason"] == "expired"
    db.rollback()


def test_a_revoked_token_gets_401_at_once(app, client, runner, db, officer):
    secret = issue_token(app, officer)
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    token_id = db.scalars(sa.select(ApiToken.id)).one()
    db.rollback()
    result = runner.invoke(args=["token", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 401


def test_a_deactivated_users_token_gets_401(app, client, runner, officer):
    secret = issue_token(app, officer)
    assert runner.invoke(args=["user", "deactivate", officer.username]).exit_code == 0
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 401


def test_a_2fa_reset_revokes_the_users_tokens(app, client, runner, db, officer):
    secret = issue_token(app, officer)
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    assert runner.invoke(args=["user", "reset-2fa", officer.username]).exit_code == 0
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 401
    assert db.scalars(sa.select(ApiToken.revoked_at)).one() is not None
    db.rollback()


def test_a_read_token_cannot_write(app, client, officer):
    case_id = make_case(app, officer).id
    secret = issue_token(app, officer, scope="read")
    for method, path, body in (
        ("POST", "/api/v1/cases", {"title": "New", "lead_jurisdiction": "GB"}),
        ("PATCH", f"/api/v1/cases/{case_id}", {"title": "Changed"}),
        ("POST", f"/api/v1/cases/{case_id}/tasks", {"title": "Preserve logs"}),
        ("DELETE", f"/api/v1/cases/{case_id}/members/1", None),
    ):
        response = client.open(path, method=method, json=body, headers=bearer(secret))
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"]["code"] == "insufficient_scope"
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(secret)).status_code == 200


def test_a_browser_session_cookie_alone_gets_401_on_the_api(auth, client, officer):
    auth.login(officer)
    assert client.get("/cases/").status_code == 200  # the cookie works for pages
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    assert client.get("/cases/").status_code == 200  # and the browser session survives


def test_the_cli_issues_a_token_printed_once_that_works(app, client, runner, officer):
    result = runner.invoke(
        args=["token", "create", "--user", officer.username, "--name", "ci", "--scope", "write"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("cfp_")
    response = client.post(
        "/api/v1/cases",
        json={"title": "From CI", "lead_jurisdiction": "DE"},
        headers=bearer(secret),
    )
    assert response.status_code == 201
    listed = runner.invoke(args=["token", "list", "--user", officer.username])
    assert "ci" in listed.output and secret not in listed.output


def test_the_cli_refuses_bad_token_requests_with_one_line(runner, officer):
    result = runner.invoke(
        args=["token", "create", "--user", officer.username, "--name", "x", "--days", "91"]
    )
    assert result.exit_code == 1
    assert "Expires in: between 1 and 90 days." in result.output
    result = runner.invoke(args=["token", "create", "--user", "nobody", "--name", "x"])
    assert result.exit_code == 1


def test_the_settings_page_issues_a_token_once_and_revokes_it(app, auth, client, db, officer):
    auth.login(officer)
    token = csrf_token(client, "/settings/tokens/")
    response = client.post(
        "/settings/tokens/",
        data={"name": "laptop script", "scope": "read", "days": "7", "csrf_token": token},
    )
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    secret = page.split('id="new-token" class="secret">')[1].split("<")[0]
    assert secret.startswith("cfp_")
    listing = client.get("/settings/tokens/").get_data(as_text=True)
    assert "laptop script" in listing and secret not in listing
    api = client.application.test_client()  # no cookie: the bearer token alone
    assert api.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    token_id = db.scalars(sa.select(ApiToken.id)).one()
    db.rollback()
    csrf = form_inputs(listing)["csrf_token"]
    response = client.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert api.get("/api/v1/cases", headers=bearer(secret)).status_code == 401


def test_the_settings_page_shows_errors_next_to_fields(auth, client, officer):
    auth.login(officer)
    token = csrf_token(client, "/settings/tokens/")
    response = client.post(
        "/settings/tokens/", data={"name": "", "scope": "read", "days": "365", "csrf_token": token}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Name: required." in page
    assert "Expires in: between 1 and 90 days." in page


def test_nobody_revokes_another_users_token(app, client, runner, auth, db, officer):
    from tests.factories import make_user

    other = make_user(app, "officer")
    secret = issue_token(app, other)
    token_id = db.scalars(sa.select(ApiToken.id)).one()
    db.rollback()
    auth.login(officer)
    csrf = csrf_token(client, "/settings/tokens/")
    response = client.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert (
        client.application.test_client().get("/api/v1/cases", headers=bearer(secret)).status_code
        == 200
    )
