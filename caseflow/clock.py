"""Time: one source of "now" in UTC, replaceable in tests. Must not import flask."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and a `Z`, the form every ledger record uses."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: CaseFlow stores only UTC-aware times")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_utc(moment: datetime) -> datetime:
    """Return an aware UTC datetime (SQLite hands back naive values we stored as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
