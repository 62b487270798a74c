"""The supervisor's custody audit page: gaps in custody, alarms, last verification.
Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger, policy
from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.clock import as_utc
from caseflow.evidence.models import (
    CustodyEvent,
    EvidenceItem,
    IntegrityAlarm,
)
from caseflow.evidence.services.common import _audit, _events
from caseflow.evidence.services.custody import items_for_case

# Actions after which an item normally needs nothing more (no "stale custody" gap).
_FINAL_ACTIONS = frozenset({"disposed", "returned"})


@dataclass(frozen=True)
class CustodyGap:
    reference: str
    item_id: int
    kind: str  # "stale", "transfer-not-received", "unsealed-without-reason"
    detail: str


def custody_gaps(
    session: Session, actor: Actor, case_id: int, *, now: datetime, days: int = 30
) -> list[CustodyGap]:
    """Items with no custody event for `days` days (unless returned or disposed), transfers
    never followed by a "received" event, and seals opened without a stated reason. For a
    reader of the case; no audit (the custody audit page records its own)."""
    gaps: list[CustodyGap] = []
    for item in items_for_case(session, actor, case_id):
        events = _events(session, item.id)
        if events:
            last = max(events, key=lambda e: as_utc(e.ts_utc))
            idle = now - as_utc(last.ts_utc)
            if idle > timedelta(days=days) and last.action not in _FINAL_ACTIONS:
                gaps.append(
                    CustodyGap(
                        item.reference,
                        item.id,
                        "stale",
                        f"no custody event for {idle.days} days (last: {last.action})",
                    )
                )
        pending: CustodyEvent | None = None
        for event in events:
            if event.action == "transferred":
                pending = event
            elif event.action == "received" and pending is not None:
                pending = None
            if event.action == "unsealed" and not event.purpose.strip():
                gaps.append(
                    CustodyGap(
                        item.reference,
                        item.id,
                        "unsealed-without-reason",
                        f"seal {event.seal_ids} opened without a stated reason (seq {event.seq})",
                    )
                )
        if pending is not None:
            gaps.append(
                CustodyGap(
                    item.reference,
                    item.id,
                    "transfer-not-received",
                    f"transferred to {pending.to_custodian} (seq {pending.seq}); "
                    "no receipt recorded",
                )
            )
    return gaps


@dataclass(frozen=True)
class CustodyAudit:
    case: Case
    items: tuple[EvidenceItem, ...]
    alarms: tuple[IntegrityAlarm, ...]
    gaps: tuple[CustodyGap, ...]
    last_verified: AuditEvent | None
    latest_head: ledger.LedgerTreeHead | None
    entries: int


def custody_audit(
    session: Session, actor: Actor, case_id: int, *, now: datetime, gap_days: int = 30
) -> CustodyAudit:
    """The supervisor's custody audit view of one case (permission custody.audit; supervisors
    who are not members need a stated purpose, like any case read); audited."""
    policy.require_permission(actor, "custody.audit")
    case = case_for(session, actor, case_id)
    items = tuple(items_for_case(session, actor, case.id))
    alarms = tuple(
        session.scalars(
            sa.select(IntegrityAlarm)
            .where(IntegrityAlarm.case_id == case.id)
            .order_by(IntegrityAlarm.id.desc())
        )
    )
    last = session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action == "custody.verify",
            sa.or_(AuditEvent.case_id == case.id, AuditEvent.case_id.is_(None)),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    entries = session.scalar(
        sa.select(sa.func.count()).select_from(CustodyEvent).where(CustodyEvent.case_id == case.id)
    )
    result = CustodyAudit(
        case,
        items,
        alarms,
        tuple(custody_gaps(session, actor, case.id, now=now, days=gap_days)),
        last,
        ledger.latest_tree_head(session, CustodyEvent),
        entries or 0,
    )
    _audit(session, actor, "custody.audit", "consultation", case.id)
    return result
