"""Test-data factories (fictional people, example.org addresses)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pyotp

from caseflow.demo import create_enrolled_user

_counter = itertools.count(1)


@dataclass
class TestUser:
    id: int
    username: str
    password: str
    seed: str
    role: str


def make_user(app, role: str = "officer", username: str | None = None) -> TestUser:
    """An enrolled account with a known password and TOTP seed."""
    from caseflow.extensions import db_session

    username = username or f"{role}{next(_counter)}"
    password = f"correct horse {username} staple"
    seed = pyotp.random_base32(32)
    with app.app_context():
        user = create_enrolled_user(
            db_session(),
            app.extensions["caseflow.auth"],
            username=username,
            display_name=f"{role.title()} {username} (test)",
            role=role,
            organisation="Test Agency",
            password=password,
            seed=seed,
            now=app.config["CLOCK"](),
        )
        return TestUser(user.id, username, password, seed, role)
