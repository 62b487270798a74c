"""Login in two steps, replay refusal, lockout, recovery codes, first login and enrolment."""

from __future__ import annotations

import re
import shutil
import subprocess

import pyotp
import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from tests.factories import make_user
from tests.helpers import csrf_token, form_inputs, totp_now


def audit_actions(db) -> list[str]:
    actions = list(db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))
    db.rollback()  # end the read: SQLite transactions hold the write lock (BEGIN IMMEDIATE)
    return actions


def test_login_page_shows_the_system_use_notice(client):
    page = client.get("/login").get_data(as_text=True)
    assert "System-use notice" in page
    assert "logged" in page


def test_login_without_acknowledging_the_notice_is_refused(auth, officer):
    response = auth.password_step(officer.username, officer.password, ack=False)
    assert response.status_code == 400
    assert "must accept the system-use notice" in response.get_data(as_text=True)


def test_password_and_code_log_in_and_the_dashboard_names_user_and_role(auth, client, officer):
    auth.login(officer)
    page = client.get("/").get_data(as_text=True)
    assert officer.username in page
    assert "Officer" in page


def test_unknown_user_and_wrong_password_get_the_same_answer(auth, officer, db):
    unknown = auth.password_step("nobody-here", "whatever password 1")
    wrong = auth.password_step(officer.username, "wrong password here")
    assert unknown.status_code == wrong.status_code == 400
    body = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert body(unknown).replace("nobody-here", "X") == body(wrong).replace(officer.username, "X")
    assert audit_actions(db)[-2:] == ["login.password_failed", "login.password_failed"]


@pytest.mark.skipif(shutil.which("oathtool") is None, reason="oathtool not installed")
def test_code_from_independent_oathtool_implementation_is_accepted(auth, client, clock, officer):
    response = auth.password_step(officer.username, officer.password)
    assert response.status_code == 302
    clock.advance(seconds=30)
    stamp = clock.now.strftime("%Y-%m-%d %H:%M:%S UTC")
    code = subprocess.run(
        ["oathtool", "--totp", "--base32", officer.seed, "--now", stamp],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert code == totp_now(officer.seed, clock)
    response = auth.code_step(code)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_code_from_the_previous_step_is_accepted_but_not_the_next(auth, clock, officer):
    auth.password_step(officer.username, officer.password)
    clock.advance(seconds=300)
    ahead = pyotp.TOTP(officer.seed).at(clock.now.timestamp() + 30)
    assert auth.code_step(ahead).status_code == 400
    behind = pyotp.TOTP(officer.seed).at(clock.now.timestamp() - 30)
    assert auth.code_step(behind).status_code == 302


def test_a_code_already_used_is_refused_in_a_new_login_and_audited(
    auth, client, clock, officer, db
):
    auth.login(officer)
    used = totp_now(officer.seed, clock)
    auth.logout()
    auth.password_step(officer.username, officer.password)
    response = auth.code_step(used)
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)
    assert "login.totp_replay" in audit_actions(db)
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_account_and_an_admin_unlocks_it(auth, client, clock, app, db):
    officer = make_user(app, "officer")
    admin = make_user(app, "admin")
    for _ in range(5):
        auth.password_step(officer.username, "not the password at all")
    locked = auth.password_step(officer.username, officer.password)
    assert locked.status_code == 400  # refused even with the right password...
    assert "Invalid username or password." in locked.get_data(as_text=True)  # ...unnamed
    assert "locked" not in locked.get_data(as_text=True)
    assert "account.lockout" in audit_actions(db)

    auth.login(admin)
    token = csrf_token(client, "/admin/users")
    response = client.post(f"/admin/users/{officer.id}/unlock", data={"csrf_token": token})
    assert response.status_code == 302
    auth.logout()
    assert "account.unlock" in audit_actions(db)
    auth.login(officer)
    assert client.get("/").status_code == 200


def test_totp_failures_count_towards_lockout_without_naming_the_factor(auth, clock, officer, db):
    for _ in range(5):
        auth.password_step(officer.username, officer.password)
        response = auth.code_step("000000")
    # Told at the step after the password (the password is proven there), not before it.
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    text = auth.client.get("/login").get_data(as_text=True)
    assert "locked" in text
    assert "code" not in text.lower().split("locked")[0][-200:]
    assert db.get(User, officer.id).locked_until is not None
    db.rollback()


def test_lockout_ends_by_itself_after_fifteen_minutes(auth, client, clock, officer):
    for _ in range(5):
        auth.password_step(officer.username, "not the password at all")
    clock.advance(minutes=16)
    auth.login(officer)
    assert client.get("/").status_code == 200


def first_login(auth, client, clock, username, one_time_password):
    """Walk the first login: new password, enrolment from the secret on the page."""
    auth.password_step(username, one_time_password)
    token = csrf_token(client, "/login/password")
    new_password = "a long passphrase for the tests"
    response = client.post(
        "/login/password",
        data={"password": new_password, "confirm": new_password, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    seed = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    token = form_inputs(page)["csrf_token"]
    response = client.post(
        "/login/enrol", data={"code": totp_now(seed, clock), "csrf_token": token}
    )
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", response.get_data(as_text=True))
    token = form_inputs(response.get_data(as_text=True))["csrf_token"]
    response = client.post("/login/recovery-codes", data={"csrf_token": token})
    assert response.status_code == 302
    return new_password, seed, codes


def test_first_login_changes_password_enrols_totp_and_shows_ten_codes(
    auth, client, clock, app, runner, db
):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "new.officer",
            "--name",
            "New Officer",
            "--email",
            "new.officer@example.org",
            "--role",
            "officer",
        ]
    )
    assert result.exit_code == 0, result.output
    one_time = re.search(r"One-time password: (\S+)", result.output).group(1)
    _, seed, codes = first_login(auth, client, clock, "new.officer", one_time)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200
    stored = db.scalar(sa.select(User).where(User.username == "new.officer"))
    db.rollback()
    assert stored.totp_secret_enc and seed not in stored.totp_secret_enc
    assert stored.password_hash.startswith("$argon2id$")


def test_protected_pages_stay_closed_until_enrolment_is_done(auth, client, runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "half.way",
            "--name",
            "Half Way",
            "--email",
            "half.way@example.org",
            "--role",
            "officer",
        ]
    )
    one_time = re.search(r"One-time password: (\S+)", result.output).group(1)
    auth.password_step("half.way", one_time)
    assert client.get("/").status_code == 302
    assert client.get("/login/verify").status_code == 302  # wrong stage: back to login


def test_a_weak_new_password_is_refused_with_the_rule_next_to_the_field(auth, client, runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "weak.one",
            "--name",
            "Weak One",
            "--email",
            "weak.one@example.org",
            "--role",
            "officer",
        ]
    )
    one_time = re.search(r"One-time password: (\S+)", result.output).group(1)
    auth.password_step("weak.one", one_time)
    token = csrf_token(client, "/login/password")
    response = client.post(
        "/login/password",
        data={"password": "Password123", "confirm": "Password123", "csrf_token": token},
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "New password: must be at least 12 characters long." in text
    assert 'class="field-error"' in text and "There is a problem" in text


def test_a_recovery_code_works_once(auth, client, clock, runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "lost.phone",
            "--name",
            "Lost Phone",
            "--email",
            "lost.phone@example.org",
            "--role",
            "liaison",
        ]
    )
    one_time = re.search(r"One-time password: (\S+)", result.output).group(1)
    password, _, codes = first_login(auth, client, clock, "lost.phone", one_time)
    auth.logout()

    auth.password_step("lost.phone", password)
    response = auth.code_step(codes[3].upper(), path="/login/recovery")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()

    auth.password_step("lost.phone", password)
    response = auth.code_step(codes[3], path="/login/recovery")
    assert response.status_code == 400
    assert client.get("/").status_code == 302
