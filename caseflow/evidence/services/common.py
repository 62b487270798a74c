"""Helpers of the evidence services: text and hash checks, appending custody events,
integrity alarms, audit records. Must not import flask."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.clock import as_utc
from caseflow.errors import ConflictError, NotFoundError, ValidationError
from caseflow.evidence.models import (
    CustodyEvent,
    EvidenceItem,
    IntegrityAlarm,
)

_HEX = {"sha256": 64, "sha1": 40, "md5": 32}


class IntegrityFailure(ConflictError):
    """Stored bytes no longer match their recorded SHA-256: the file is not served."""

    code = "integrity_failure"


def _text(value: str | None, label: str, field_name: str, limit: int, required=False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationError(f"{label}: required.", field=field_name)
    if len(value) > limit:
        raise ValidationError(f"{label}: at most {limit} characters.", field=field_name)
    return value


def _not_future(moment: datetime | None, label: str, field_name: str, now: datetime) -> datetime:
    if moment is None:
        raise ValidationError(f"{label}: required.", field=field_name)
    if moment.tzinfo is None:
        raise ValidationError(f"{label}: give the time in UTC.", field=field_name)
    if as_utc(moment) > now:
        raise ValidationError(f"{label}: may not be in the future.", field=field_name)
    return as_utc(moment)


def _hex(value: str | None, algorithm: str, required: bool = False) -> str | None:
    value = (value or "").strip().lower()
    if not value:
        if required:
            raise ValidationError(f"{algorithm.upper()}: required.", field=algorithm)
        return None
    if len(value) != _HEX[algorithm] or not re.fullmatch(r"[0-9a-f]+", value):
        raise ValidationError(
            f"{algorithm.upper()}: {_HEX[algorithm]} hexadecimal digits.", field=algorithm
        )
    return value


def _actor_record(session: Session, actor: Actor) -> dict[str, Any]:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    return {
        "id": actor.user_id,
        "name": user.display_name if user else actor.username,
        "username": actor.username,
        "role": actor.role,
        "organisation": user.organisation if user else "",
    }


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    category: str,
    case_id: int,
    item: EvidenceItem | None = None,
    **kw: Any,
) -> None:
    record_event(
        session,
        actor,
        action,
        category=category,
        object_type="evidence_item" if item is not None else "case",
        object_id=item.id if item is not None else case_id,
        case_id=case_id,
        purpose=kw.pop("purpose", None) or actor.purpose_for(case_id),
        **kw,
    )


def _append_event(
    session: Session,
    actor: Actor,
    item: EvidenceItem,
    case: Case,
    *,
    action: str,
    ts_utc: datetime,
    now: datetime,
    **fields: Any,
) -> CustodyEvent:
    event = CustodyEvent(
        event_id=str(uuid.uuid4()),
        case_id=case.id,
        item_id=item.id,
        case_reference=case.reference,
        exhibit_number=item.reference,
        root_exhibit_number=item.reference,
        evidence_sha256=item.sha256,
        action=action,
        actor=_actor_record(session, actor),
        ts_utc=ts_utc,
        recorded_at=now,
        from_custodian=fields.pop("from_custodian", None) or None,
        to_custodian=fields.pop("to_custodian", None) or None,
        location=fields.pop("location", "") or "",
        purpose=fields.pop("purpose", "") or "",
        authority_ref=fields.pop("authority_ref", "") or "",
        tool=fields.pop("tool", "") or "",
        seal_ids=fields.pop("seal_ids", "") or "",
        seal_condition=fields.pop("seal_condition", "") or "",
        observed_sha256=fields.pop("observed_sha256", None) or None,
        notes=fields.pop("notes", "") or "",
        corrects_event_id=fields.pop("corrects_event_id", None) or None,
        item_facts=fields.pop("item_facts", None),
    )
    if fields:
        raise TypeError(f"unknown custody fields: {sorted(fields)}")
    return ledger.append(session, event)


def case_id_of_item(session: Session, item_id: int) -> int | None:
    """The case of an evidence item, or None: for the audit record of a refused request
    (caseflow.web.refusals), never shown to the actor."""
    return session.scalar(sa.select(EvidenceItem.case_id).where(EvidenceItem.id == item_id))


def _item_in_case(session: Session, actor: Actor, item_id: int, write: bool) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFoundError("No such evidence item, or you cannot see it.")
    case_for(session, actor, item.case_id, write=write)
    return item


@dataclass(frozen=True)
class ItemHistory:
    """What validating a new custody event needs of an item's history: whether it was
    disposed of, and which of the event ids it may correct exist (only the one asked for)."""

    disposed: bool
    event_ids: frozenset[str]


def _history(session: Session, item_id: int, corrects_event_id: str | None = None) -> ItemHistory:
    """Two index lookups, whatever the length of the item's history (never a read of it all)."""
    disposed = session.scalar(
        sa.select(CustodyEvent.id)
        .where(CustodyEvent.item_id == item_id, CustodyEvent.action == "disposed")
        .limit(1)
    )
    ids: frozenset[str] = frozenset()
    if corrects_event_id:
        found = session.scalar(
            sa.select(CustodyEvent.event_id).where(
                CustodyEvent.event_id == corrects_event_id, CustodyEvent.item_id == item_id
            )
        )
        ids = frozenset({found}) if found else frozenset()
    return ItemHistory(disposed=disposed is not None, event_ids=ids)


def _events(session: Session, item_id: int) -> list[CustodyEvent]:
    return list(
        session.scalars(
            sa.select(CustodyEvent)
            .where(CustodyEvent.item_id == item_id)
            .order_by(CustodyEvent.seq)
        )
    )


def _raise_alarm(
    session: Session,
    case_id: int | None,
    item: EvidenceItem | None,
    kind: str,
    detail: str,
    raised_by: str,
    now: datetime,
) -> IntegrityAlarm:
    alarm = IntegrityAlarm(
        case_id=case_id,
        item_id=item.id if item else None,
        kind=kind,
        detail=detail,
        raised_at=now,
        raised_by=raised_by,
    )
    session.add(alarm)
    session.flush()
    return alarm


OPERATOR_ALARM_QUIET = timedelta(hours=1)


def raise_operator_alarm(
    session: Session, kind: str, detail: str, *, raised_by: str, now: datetime
) -> IntegrityAlarm | None:
    """An alarm for the operators (no case, no item: the administrators' to-do list shows it).
    The same alarm raised again within OPERATOR_ALARM_QUIET is not repeated."""
    recent = session.scalar(
        sa.select(IntegrityAlarm.id).where(
            IntegrityAlarm.case_id.is_(None),
            IntegrityAlarm.item_id.is_(None),
            IntegrityAlarm.kind == kind,
            IntegrityAlarm.detail == detail,
            IntegrityAlarm.raised_at > now - OPERATOR_ALARM_QUIET,
        )
    )
    if recent is not None:
        return None
    return _raise_alarm(session, None, None, kind, detail, raised_by, now)
