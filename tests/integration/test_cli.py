"""The `caseflow` command: clear errors and non-zero exits on bad input."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User, UserSession


def test_user_create_refuses_an_unknown_role(runner):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "x",
            "--name",
            "X",
            "--email",
            "x@example.org",
            "--role",
            "chief",
        ]
    )
    assert result.exit_code != 0
    assert "--role" in result.output and "chief" in result.output


def test_user_create_refuses_a_taken_username(runner):
    args = [
        "user",
        "create",
        "--username",
        "dup",
        "--name",
        "Dup",
        "--email",
        "dup@example.org",
        "--role",
        "officer",
    ]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Username: already taken." in result.output
    assert "Traceback" not in result.output


def test_commands_on_an_unknown_user_fail_with_a_message(runner):
    for command in ("reset-2fa", "unlock", "deactivate"):
        result = runner.invoke(args=["user", command, "ghost"])
        assert result.exit_code == 1, command
        assert "No user named 'ghost'" in result.output


def test_reset_2fa_issues_a_new_one_time_password_and_ends_sessions(app, runner, db, auth, officer):
    auth.login(officer)
    result = runner.invoke(args=["user", "reset-2fa", officer.username])
    assert result.exit_code == 0, result.output
    assert "One-time password:" in result.output
    user = db.get(User, officer.id)
    assert user.totp_secret_enc is None and user.password_must_change
    open_sessions = db.scalar(
        sa.select(sa.func.count()).where(
            UserSession.user_id == officer.id, UserSession.revoked_at.is_(None)
        )
    )
    assert open_sessions == 0
    actions = list(db.scalars(sa.select(AuditEvent.action)))
    db.rollback()
    assert "account.reset_2fa" in actions
    assert auth.client.get("/").status_code == 302


def test_deactivate_then_login_is_refused(runner, auth, officer):
    assert runner.invoke(args=["user", "deactivate", officer.username]).exit_code == 0
    response = auth.password_step(officer.username, officer.password)
    assert response.status_code == 400


def test_demo_load_creates_one_enrolled_account_per_role(runner, db):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "DEMO ACCOUNTS" in result.output and "TOTP secret:" in result.output
    roles = sorted(db.scalars(sa.select(User.role)))
    db.rollback()
    assert roles == ["admin", "liaison", "officer", "officer", "supervisor"]
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0
    assert "DEMO ACCOUNTS" in again.output  # the stored credentials, shown again
    assert db.scalar(sa.select(sa.func.count(User.id))) == 5
