"""Outbox rows: graph operations written in the same SQL transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, intpk
from graph.records import OP_FIELDS

# The operations graph.store.GraphStore.apply understands (graph/records.py is the one list).
OPS = tuple(OP_FIELDS)


class OutboxRow(Base):
    __tablename__ = "graph_outbox"

    id: Mapped[intpk]
    op: Mapped[str] = mapped_column(sa.String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime]
    # Set once Neo4j has applied the row; rows are kept, never deleted by the application.
    applied_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class OutboxLease(Base):
    """Who may apply outbox rows now (SQLite: one applier at a time across processes and
    threads; PostgreSQL claims rows with FOR UPDATE SKIP LOCKED instead). One row, id 1."""

    __tablename__ = "graph_outbox_lease"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(sa.String(128))
    expires_at: Mapped[datetime | None]
