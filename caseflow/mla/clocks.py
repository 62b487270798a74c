"""Request clocks: preservation expiry, production deadlines and their reminders.

The periods are data (`clocks` in caseflow/data/instruments.json); clocks start at the UTC
instant the request was sent (or received, for EPOC, when known). Must not import flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from caseflow.mla.legal_basis import instrument, table

# Reminders this close to their date count as "due soon" on the dashboard.
DUE_SOON = timedelta(days=7)


@dataclass(frozen=True)
class Due:
    """A date a request must meet (`deadline`) or a date to act by (`reminder`)."""

    key: str
    label: str
    due_at: datetime
    kind: str  # "deadline" | "reminder"


def _delta(spec: Mapping[str, Any]) -> timedelta:
    return timedelta(**{k: int(v) for k, v in spec.items()})


def profile_for(
    instrument_code: str, requested_state: str, request_types: Iterable[str]
) -> str | None:
    """Which clock set applies. Preservation asked of the US runs on 18 U.S.C. 2703(f) time
    (90 + 90 days), whatever route carried it; otherwise the instrument's own clock."""
    if requested_state == "US" and "preservation" in set(request_types):
        return "US-2703F"
    return instrument(instrument_code).clock


def clocks(
    profile: str | None, start: datetime, *, emergency: bool = False, extended: bool = False
) -> tuple[Due, ...]:
    """Every deadline and reminder of `profile` counted from `start`, sorted by date.

    `emergency` uses the emergency periods where the profile has them (EPOC: 8 hours);
    `extended` uses the extended expiry (2703(f) second 90 days, EPOC-PR Annex VI). Reminders
    falling after the deadline they serve are dropped (they only matter once extended).
    """
    if profile is None:
        return ()
    out: list[Due] = []
    for clock in table().clocks[profile]:
        after = _delta(clock["after"])
        if emergency and "emergency_after" in clock:
            after = _delta(clock["emergency_after"])
        elif extended and "extended_after" in clock:
            after = _delta(clock["extended_after"])
        out.append(Due(clock["key"], clock["label"], start + after, "deadline"))
        for reminder in clock["reminders"]:
            when = _delta(reminder["after"])
            if emergency and "emergency_after" in reminder:
                when = _delta(reminder["emergency_after"])
            if when < after:
                out.append(Due(clock["key"], reminder["label"], start + when, "reminder"))
    return tuple(sorted(out, key=lambda d: d.due_at))


def state_of(due: Due, now: datetime) -> str:
    """ "overdue", "due-soon" (within DUE_SOON) or "later"."""
    if due.due_at <= now:
        return "overdue"
    if due.due_at - now <= DUE_SOON:
        return "due-soon"
    return "later"
