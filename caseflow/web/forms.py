"""Helpers every views module uses to show a service's answer on its form. No business rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from caseflow.errors import CaseFlowError


def field_error(
    form: Any, exc: CaseFlowError, default: str, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's error next to the field it names (`aliases` maps a
    service's field name to the form's where they differ), else next to `default`."""
    name = (aliases or {}).get(exc.field or "", exc.field)
    target = getattr(form, name, None) if name else None
    (target or getattr(form, default)).errors.append(exc.message)


def form_utc(value: datetime | None) -> datetime | None:
    """A form's date-time, entered in UTC without an offset (datetime-local has no zone)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
