"""Test helpers: a controllable clock, HTML form reading, TOTP codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pyotp


def app_config(database_url: str, folder, **overrides: object) -> dict[str, object]:
    """The settings a test app gets: its database, an instance and data folder of its own,
    fixed test secrets, fast password hashing, no graph projection (overrides on top)."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder / "instance"),
        "DATA_DIR": str(folder / "data"),
        "SECRET_KEY": "test-secret-key-0123456789abcdefghijklmnop",
        "TOTP_KEY": "test-totp-key-0123456789abcdefghijklmnopqr",
        "PASSWORD_HASH_PROFILE": "test",
        "GRAPH_SYNC": "off",
        "NEO4J_PASSWORD": None,
        **overrides,
    }


class FakeClock:
    """The app's clock in tests: starts at a fixed time, moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            a = dict(attrs)
            if a.get("name"):
                self.fields.setdefault(a["name"], a.get("value") or "")


def form_inputs(html: str) -> dict[str, str]:
    """The named <input> values of a page (the first of each name), e.g. its CSRF token."""
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return form_inputs(page.get_data(as_text=True))["csrf_token"]


def totp_now(seed: str, clock: FakeClock) -> str:
    return pyotp.TOTP(seed).at(clock.now)
