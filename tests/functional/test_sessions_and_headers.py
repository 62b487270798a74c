"""Deny-by-default routing, server-side sessions, CSRF, redirects, security headers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_user
from tests.helpers import csrf_token, form_inputs

COOKIE = "caseflow_session"
LOGIN_STAGE_OR_PUBLIC = {"static"}


def endpoints_needing_login(app):
    """Every URL rule whose view is neither public nor part of the login stage."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in LOGIN_STAGE_OR_PUBLIC:
            continue
        if getattr(view, "caseflow_access", "user") in ("public", "login-stage"):
            continue
        values = {arg: 1 for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_protected_endpoint_refuses_a_session_that_passed_only_the_password(
    app, auth, client, officer
):
    response = auth.password_step(officer.username, officer.password)
    assert response.headers["Location"].endswith("/login/verify")
    token = csrf_token(client, "/login/verify")  # a valid token of this half-done session
    checked = 0
    for endpoint, method, url in endpoints_needing_login(app):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code in (302, 401), (endpoint, method, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], (endpoint, method)
        checked += 1
    assert checked >= 5  # the sweep really covered the app


def test_a_cookie_copied_before_logout_is_refused_after_logout(app, auth, client, officer):
    auth.login(officer)
    stolen = client.get_cookie(COOKIE).value
    auth.logout()
    other = app.test_client()
    other.set_cookie(COOKIE, stolen)
    response = other.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_cookie_from_before_login_does_not_become_logged_in(app, auth, client, officer):
    client.get("/login")
    before = client.get_cookie(COOKIE).value
    auth.login(officer)
    assert client.get_cookie(COOKIE).value != before
    other = app.test_client()
    other.set_cookie(COOKIE, before)
    assert other.get("/").status_code == 302


def test_thirty_minutes_idle_ends_the_session(auth, client, clock, officer):
    auth.login(officer)
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/").status_code == 302


def test_twelve_hours_end_even_an_active_session(auth, client, clock, officer):
    auth.login(officer)
    logged_in_at = clock.now
    for _ in range(35):  # active every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.now = logged_in_at + timedelta(hours=12, minutes=1)
    assert client.get("/").status_code == 302


def test_deactivation_by_an_admin_ends_the_users_sessions_at_once(app, auth, client, officer):
    auth.login(officer)
    admin = make_user(app, "admin")
    admin_client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(admin_client, auth.clock).login(admin)
    token = csrf_token(admin_client, "/admin/users")
    response = admin_client.post(
        f"/admin/users/{officer.id}/deactivate", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_state_change_without_csrf_token_is_refused(auth, client, officer):
    auth.login(officer)
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still logged in: the logout did not happen


def test_login_post_without_csrf_token_is_refused(client, officer):
    response = client.post(
        "/login", data={"username": officer.username, "password": officer.password, "ack": "y"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_after_login_never_leaves_the_site(auth, client, clock, officer, target):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={
            "username": officer.username,
            "password": officer.password,
            "ack": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    clock.advance(seconds=30)
    from tests.helpers import totp_now

    response = auth.code_step(totp_now(officer.seed, clock))
    location = response.headers["Location"]
    assert location == "/", location


def test_next_to_a_local_page_is_followed(auth, client, clock, officer):
    token = csrf_token(client, "/login")
    client.post(
        "/login",
        query_string={"next": "/admin/users"},
        data={
            "username": officer.username,
            "password": officer.password,
            "ack": "y",
            "csrf_token": token,
        },
    )
    clock.advance(seconds=30)
    from tests.helpers import totp_now

    response = auth.code_step(totp_now(officer.seed, clock))
    assert response.headers["Location"] == "/admin/users"


def test_security_headers_on_public_and_authenticated_pages(auth, client, officer):
    pages = [client.get("/login")]
    auth.login(officer)
    pages.append(client.get("/"))
    for response in pages:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers.get("X-Request-ID")


def test_session_cookie_is_httponly_samesite_and_never_remember_me(auth, client, officer):
    response = auth.password_step(officer.username, officer.password)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    auth.code_step("123456")
    assert client.get_cookie("remember_token") is None


def test_an_unexpected_error_shows_a_request_id_and_no_traceback(app, auth, client, officer):
    auth.login(officer)

    def boom():
        raise RuntimeError("secret internals")

    app.view_functions["web.dashboard"] = boom
    response = client.get("/")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Request ID" in text and "secret internals" not in text and "Traceback" not in text


def test_officers_cannot_open_account_administration(auth, client, officer):
    auth.login(officer)
    assert client.get("/admin/users").status_code == 403


def test_admin_creates_an_account_and_sees_its_one_time_password_once(app, auth, client):
    admin = make_user(app, "admin")
    auth.login(admin)
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "new.liaison",
            "display_name": "New Liaison",
            "email": "nl@example.org",
            "organisation": "Test Agency",
            "role": "liaison",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert 'id="one-time-password"' in response.get_data(as_text=True)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "new.liaison" in listing and "awaiting first login" in listing


def test_admin_form_errors_name_the_field(app, auth, client):
    admin = make_user(app, "admin")
    auth.login(admin)
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "bad name!",
            "display_name": "X",
            "email": "x@example.org",
            "organisation": "Test Agency",
            "role": "officer",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "Username: use 1-64 letters" in response.get_data(as_text=True)
    assert form_inputs(response.get_data(as_text=True))["username"] == "bad name!"
