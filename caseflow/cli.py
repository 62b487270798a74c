"""The `caseflow` command: a Flask CLI group. Each command builds a system actor and calls the
same services as the web pages; bad input prints a clear error and exits non-zero."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from caseflow.actor import Actor
from caseflow.errors import CaseFlowError


def _create_app() -> Flask:
    from caseflow import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """CaseFlow: case coordination and evidence chain for investigators."""


def _session():
    from caseflow.extensions import db_session

    return db_session()


def _now():
    return current_app.config["CLOCK"]()


def _cli_actor() -> Actor:
    return Actor.system("cli")


def _domain_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a one-line message and exit status 1 (no traceback)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CaseFlowError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper


# --- db --------------------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations to the configured database."""
    from caseflow.db import current_revision, upgrade

    engine = current_app.extensions["caseflow.engine"]
    upgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine)}.")


# --- users -----------------------------------------------------------------------------------


@click.group("user")
def user_group() -> None:
    """Accounts."""


def _auth_settings():
    return current_app.extensions["caseflow.auth"]


@user_group.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Full name")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["officer", "liaison", "supervisor", "admin"])
)
@click.option("--organisation", default=None, help="Defaults to CASEFLOW_ORGANISATION")
@click.option("--phone", default=None)
@with_appcontext
@_domain_errors
def user_create(username, display_name, email, role, organisation, phone) -> None:
    """Create an account and print its one-time password."""
    from caseflow.auth import services

    user, password = services.create_user(
        _session(),
        _cli_actor(),
        username=username,
        display_name=display_name,
        email=email,
        role=role,
        organisation=organisation or current_app.config["ORGANISATION"],
        phone=phone,
        settings=_auth_settings(),
        now=_now(),
    )
    click.echo(f"Created {user.username} ({user.role}).")
    click.echo(f"One-time password: {password}")
    click.echo("The user must change it and enrol an authenticator at first login.")


def _user_id(username: str) -> int:
    from caseflow.auth import services

    return services.get_user_by_username(_session(), username).id


@user_group.command("reset-2fa")
@click.argument("username")
@with_appcontext
@_domain_errors
def user_reset_2fa(username: str) -> None:
    """Remove a user's authenticator and recovery codes; print a new one-time password."""
    from caseflow.auth import services

    user, password = services.reset_second_factor(
        _session(), _cli_actor(), _user_id(username), settings=_auth_settings(), now=_now()
    )
    click.echo(f"2FA reset for {user.username}; all sessions ended.")
    click.echo(f"One-time password: {password}")


@user_group.command("unlock")
@click.argument("username")
@with_appcontext
@_domain_errors
def user_unlock(username: str) -> None:
    """Clear a lockout."""
    from caseflow.auth import services

    user = services.unlock_user(_session(), _cli_actor(), _user_id(username), now=_now())
    click.echo(f"{user.username} unlocked.")


@user_group.command("deactivate")
@click.argument("username")
@with_appcontext
@_domain_errors
def user_deactivate(username: str) -> None:
    """Disable an account and end its sessions."""
    from caseflow.auth import services

    user = services.deactivate_user(_session(), _cli_actor(), _user_id(username), now=_now())
    click.echo(f"{user.username} deactivated; all sessions ended.")


@user_group.command("list")
@with_appcontext
def user_list() -> None:
    """List accounts."""
    from caseflow.auth import services

    for user in services.list_users(_session(), _cli_actor()):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username:20} {user.role:10} {state:8} {user.display_name}")


# --- audit -----------------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first bad record."""
    from caseflow.audit.services import verify_audit_log

    report = verify_audit_log(_session())
    if report.ok:
        click.echo(f"audit log OK: {report.entries} records, chain intact.")
        return
    click.echo(f"audit log BROKEN at record seq {report.first_bad_seq}: {report.reason}", err=True)
    sys.exit(1)


# --- packet ----------------------------------------------------------------------------------


@click.group("packet")
def packet_group() -> None:
    """MLA packets."""


@packet_group.command("verify")
@click.argument("packet", type=click.Path(exists=True, dir_okay=True))
def packet_verify(packet: str) -> None:
    """Check a packet offline (same checks as its bundled verify.py); exit 1 naming failures."""
    from exports.verify import main

    sys.exit(main([packet]))


# --- demo ------------------------------------------------------------------------------------


@click.group("demo")
def demo_group() -> None:
    """Demo data (fictional)."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
@with_appcontext
def demo_load(if_empty: bool) -> None:
    """Create demo accounts, one per role, and print their credentials (DEMO ONLY)."""
    from caseflow import demo

    demo.load(_session(), current_app, if_empty=if_empty, echo=click.echo)


def init_app(app: Flask) -> None:
    for group in (db_group, user_group, audit_group, packet_group, demo_group):
        app.cli.add_command(group)
