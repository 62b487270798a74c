"""Demo data for a local install: entirely fictional. Accounts here are DEMO ONLY.

`load` creates one enrolled account per role (two officers) and the fictional case of
caseflow/demo_story.py (docs/demo.md). The credentials are printed and kept in the instance
folder (`demo-credentials.txt`, mode 0600) so that `make run` can show them again; never
load demo data into a real installation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import segno
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from caseflow import demo_story
from caseflow.actor import Actor
from caseflow.auth import secrets as sec
from caseflow.auth import services
from caseflow.auth.models import User
from caseflow.errors import CaseFlowError

DEMO_USERS = (
    ("officer", "officer.demo", "Olivia Officer (demo)"),
    ("officer", "officer2.demo", "Omar Officer (demo)"),
    ("liaison", "liaison.demo", "Liam Liaison (demo)"),
    ("supervisor", "supervisor.demo", "Sofia Supervisor (demo)"),
    ("admin", "admin.demo", "Adam Admin (demo)"),
)


def create_enrolled_user(
    session: Session,
    settings: services.AuthSettings,
    *,
    username: str,
    display_name: str,
    role: str,
    organisation: str,
    password: str,
    seed: str,
    now: datetime,
    actor: Actor | None = None,
    email: str | None = None,
) -> User:
    """An account that skips first login: chosen password, enrolled TOTP seed.

    For demo data and tests only; real accounts go through the first-login flow.
    """
    user, _ = services.create_user(
        session,
        actor or Actor.system("demo"),
        username=username,
        display_name=display_name,
        email=email or f"{username}@example.org",
        role=role,
        organisation=organisation,
        phone="+44 20 7946 0000",
        settings=settings,
        now=now,
    )
    user.password_hash = settings.hasher.hash(password)
    user.password_must_change = False
    user.totp_secret_enc = sec.encrypt_seed(seed, settings.totp_key, user_id=user.id)
    user.totp_enrolled_at = now
    return user


def _credentials_file(app: Flask) -> Path:
    return Path(app.instance_path) / "demo-credentials.txt"


class DemoRefused(CaseFlowError):
    code = "demo_refused"
    status = 403


def load(session: Session, app: Flask, *, if_empty: bool, echo: Callable[[str], None]) -> None:
    if app.config.get("ENV_NAME") == "production":
        # Known-pattern accounts with printed passwords and seeds have no place there.
        raise DemoRefused(
            "caseflow demo load: refused in production (CASEFLOW_ENV=production); demo "
            "accounts and their printed credentials are for trying CaseFlow locally only."
        )
    existing = session.scalar(sa.select(sa.func.count(User.id))) or 0
    if existing and if_empty:
        stored = _credentials_file(app)
        if stored.exists():
            echo(stored.read_text(encoding="utf-8"))
        else:
            echo("Accounts exist already; no demo data loaded.")
        return
    settings: services.AuthSettings = app.extensions["caseflow.auth"]
    now = app.config["CLOCK"]()
    actor = Actor.system("demo")
    lines = [
        "=" * 72,
        "DEMO ACCOUNTS - fictional, for trying CaseFlow locally. NEVER use in production.",
        "Add each TOTP secret to an authenticator app (or compute a code with",
        "`oathtool --totp -b SECRET`).",
        "=" * 72,
    ]
    qrs = []
    users: dict[str, User] = {}
    for role, username, name in DEMO_USERS:
        password = f"demo-{role}-{sec.one_time_password()}"
        seed = sec.new_totp_seed()
        users[username] = create_enrolled_user(
            session,
            settings,
            username=username,
            display_name=name,
            role=role,
            organisation=app.config["ORGANISATION"],
            password=password,
            seed=seed,
            now=now,
            actor=actor,
        )
        lines.append(f"{role:11} username: {username:16} password: {password}")
        lines.append(f"{'':11} TOTP secret: {seed}")
        qrs.append((username, sec.provisioning_uri(seed, username, settings.issuer)))
    story = demo_story.build(
        session,
        users,
        store=app.extensions["caseflow.blobstore"],
        max_bytes=app.config["MAX_CONTENT_LENGTH"],
        now=now,
    )
    lines += [
        "-" * 72,
        f"Demo case {story.case_reference} (owner officer.demo; liaison.demo is a member):",
        f"  MLA request {story.request_reference} submitted, awaiting approval;",
        f"  preservation expires {story.preservation_due.isoformat()}; cross-case hit with "
        f"{story.other_case_reference} (owner officer2.demo). See docs/demo.md.",
    ]
    text = "\n".join(lines) + "\n"
    path = _credentials_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    echo(text)
    echo("QR codes of the TOTP secrets above (shown now only; scan one per account):")
    for username, uri in qrs:
        echo(f"QR code for {username}:")
        segno.make(uri, error="l").terminal(compact=True)
