"""Writing to the graph outbox. The projector that drains it to Neo4j lives beside it.

Must not import flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from caseflow.clock import utcnow
from caseflow.graphsync.models import OPS, OutboxRow


def enqueue(
    session: Session, op: str, payload: Mapping[str, Any], *, now: datetime | None = None
) -> OutboxRow:
    """Add one graph operation to the caller's transaction (it commits with the change).

    Payload fields are those of the matching graph/records.py dataclass, plain JSON values.
    """
    if op not in OPS:
        raise ValueError(f"unknown graph operation {op!r}")
    row = OutboxRow(op=op, payload=dict(payload), created_at=now or utcnow(), attempts=0)
    session.add(row)
    return row
