"""The audit log table: an append-only, hash-chained ledger (see caseflow/ledger.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, intpk
from caseflow.ledger import LedgerMixin

# LED Art. 25 operations, plus security and administration events.
CATEGORIES = (
    "security",
    "administration",
    "consultation",
    "collection",
    "alteration",
    "combination",
    "disclosure",
    "erasure",
)
OUTCOMES = ("success", "failure", "denied")


class AuditEvent(LedgerMixin, Base):
    __tablename__ = "audit_events"

    LEDGER_NAME = "audit"
    TIME_FIELD = "occurred_at"
    LEDGER_FIELDS = (
        "occurred_at",
        "action",
        "category",
        "outcome",
        "actor_id",
        "actor_name",
        "actor_role",
        "object_type",
        "object_id",
        "case_id",
        "ip",
        "request_id",
        "purpose",
        "details",
    )

    id: Mapped[intpk]
    occurred_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    category: Mapped[str] = mapped_column(sa.String(32))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(128))
    actor_role: Mapped[str] = mapped_column(sa.String(32))
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    case_id: Mapped[int | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    purpose: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
