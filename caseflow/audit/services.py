"""Writing and checking the audit log. The boundary commits; nothing here reads request globals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from caseflow import ledger, policy
from caseflow.actor import Actor
from caseflow.audit.models import CATEGORIES, OUTCOMES, AuditEvent
from caseflow.clock import utcnow


def record_event(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    category: str,
    outcome: str = "success",
    object_type: str | None = None,
    object_id: str | int | None = None,
    case_id: int | None = None,
    purpose: str | None = None,
    details: Mapping[str, Any] | None = None,
    ip: str | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one audit record in the caller's transaction (it commits with the change).

    `details` holds field names and identifiers only, never secrets or victim content.
    An anonymous event (failed login of an unknown user) passes `actor=None` with `ip`.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown audit category {category!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    event = AuditEvent(
        occurred_at=now or utcnow(),
        action=action,
        category=category,
        outcome=outcome,
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else "anonymous",
        actor_role=actor.role if actor else "anonymous",
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        case_id=case_id,
        ip=ip if ip is not None else (actor.ip if actor else None),
        request_id=request_id if request_id is not None else (actor.request_id if actor else None),
        purpose=purpose,
        details={str(k): _detail(v) for k, v in (details or {}).items()},
    )
    return ledger.append(session, event)


def record_refusal(
    session: Session,
    actor: Actor | None,
    *,
    route: str,
    status: int,
    object_type: str,
    object_id: int,
    case_id: int | None,
    reason: str | None = None,
    ip: str | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """A request refused on a case object (401, 403 or 404): "access.denied", outcome denied,
    with the route ("GET /cases/{case_id}"), the status, the object asked for and its case
    when that exists. `actor=None` for an anonymous request (with `ip`)."""
    return record_event(
        session,
        actor,
        "access.denied",
        category="security",
        outcome="denied",
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        details={"route": route, "status": status, "reason": reason},
        ip=ip,
        request_id=request_id,
        now=now,
    )


def _detail(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return [_detail(v) for v in value]
    return str(value)


def verify_audit_log(session: Session, actor: Actor) -> ledger.ChainReport:
    """Recompute the audit chain (permission audit.read); the report names the first bad
    record."""
    policy.require_permission(actor, "audit.read")
    return ledger.verify_chain(session, AuditEvent)
