"""Operator alarms: integrity alarms with no case or item (a full, read-only or failing
evidence store), for the administrators' dashboard. Must not import flask."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.evidence.models import IntegrityAlarm

OPERATOR_ALARM_DAYS = 30


def operator_alarms(
    session: Session, actor: Actor, *, now: datetime, days: int = OPERATOR_ALARM_DAYS
) -> list[IntegrityAlarm]:
    """Operator alarms of the last `days` days, newest first (alarms.read: administrators).
    They name the problem and what to check, never case content."""
    policy.require_permission(actor, "alarms.read")
    return list(
        session.scalars(
            sa.select(IntegrityAlarm)
            .where(
                IntegrityAlarm.case_id.is_(None),
                IntegrityAlarm.item_id.is_(None),
                IntegrityAlarm.raised_at > now - timedelta(days=days),
            )
            .order_by(IntegrityAlarm.raised_at.desc(), IntegrityAlarm.id.desc())
            .limit(100)
        )
    )
