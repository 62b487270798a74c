"""Custody events: the rules every event obeys, recording them, an item's timeline.
Nothing is ever edited: a correction is a new event. Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import ledger
from caseflow.actor import Actor
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.errors import ValidationError
from caseflow.evidence.models import (
    CUSTODY_ACTIONS,
    CustodyEvent,
    EvidenceItem,
    IntegrityAlarm,
)
from caseflow.evidence.services.common import (
    ItemHistory,
    _append_event,
    _audit,
    _events,
    _hex,
    _history,
    _item_in_case,
    _not_future,
    _raise_alarm,
    _text,
)

SEAL_ACTIONS = frozenset({"sealed", "unsealed"})


def validate_custody_event(
    *,
    action: str,
    ts_utc: datetime | None,
    now: datetime,
    from_custodian: str = "",
    to_custodian: str = "",
    seal_ids: str = "",
    history: ItemHistory | None = None,
    corrects_event_id: str | None = None,
) -> datetime:
    """The rules every custody event obeys; returns the UTC time. Raises ValidationError:
    a known action; a time, not in the future; a transfer names who released and who
    received; a seal event names the seal; nothing follows "disposed" except a correction;
    a correction refers to an earlier event of the same item."""
    if action not in CUSTODY_ACTIONS:
        raise ValidationError(f"Action: one of {', '.join(CUSTODY_ACTIONS)}.", field="action")
    moment = _not_future(ts_utc, "Time", "ts_utc", now)
    if action == "transferred":
        if not from_custodian.strip():
            raise ValidationError("Released by: a transfer names both parties.", field="from")
        if not to_custodian.strip():
            raise ValidationError("Received by: a transfer names both parties.", field="to")
    if action in SEAL_ACTIONS and not seal_ids.strip():
        raise ValidationError("Seal number: a seal event names the seal.", field="seal_ids")
    history = history or ItemHistory(disposed=False, event_ids=frozenset())
    if corrects_event_id:
        if corrects_event_id not in history.event_ids:
            raise ValidationError(
                "Corrects: the event corrected must be an earlier event of this item.",
                field="corrects_event_id",
            )
    elif history.disposed:
        raise ValidationError(
            "Action: the item was disposed of; only corrections may follow.", field="action"
        )
    return moment


def record_custody_event(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    action: str,
    ts_utc: datetime | None,
    now: datetime,
    from_custodian: str = "",
    to_custodian: str = "",
    location: str = "",
    purpose: str = "",
    authority_ref: str = "",
    tool: str = "",
    seal_ids: str = "",
    seal_condition: str = "",
    observed_sha256: str | None = None,
    notes: str = "",
    corrects_event_id: str | None = None,
) -> CustodyEvent:
    """Append a custody event for an item (members only), audited as alteration.

    Nothing is ever edited: a correction is a new event whose `corrects_event_id` names the
    event it corrects. An observed SHA-256 that differs from the recorded one raises an
    integrity alarm on the case (the event is still recorded: it is what was observed).
    """
    item = _item_in_case(session, actor, item_id, write=True)
    case = session.get(Case, item.case_id)
    assert case is not None
    texts = {
        "from_custodian": _text(from_custodian, "Released by", "from", 200),
        "to_custodian": _text(to_custodian, "Received by", "to", 200),
        "location": _text(location, "Location", "location", 500),
        "purpose": _text(purpose, "Purpose", "purpose", 2000),
        "authority_ref": _text(authority_ref, "Authority", "authority_ref", 200),
        "tool": _text(tool, "Tool", "tool", 200),
        "seal_ids": _text(seal_ids, "Seal number", "seal_ids", 200),
        "seal_condition": _text(seal_condition, "Seal condition", "seal_condition", 200),
        "notes": _text(notes, "Notes", "notes", 5000),
    }
    moment = validate_custody_event(
        action=action,
        ts_utc=ts_utc,
        now=now,
        from_custodian=texts["from_custodian"],
        to_custodian=texts["to_custodian"],
        seal_ids=texts["seal_ids"],
        history=_history(session, item.id, (corrects_event_id or "").strip() or None),
        corrects_event_id=(corrects_event_id or "").strip() or None,
    )
    observed = _hex(observed_sha256, "sha256")
    event = _append_event(
        session,
        actor,
        item,
        case,
        action=action,
        ts_utc=moment,
        now=now,
        observed_sha256=observed,
        corrects_event_id=(corrects_event_id or "").strip() or None,
        **texts,
    )
    if observed and item.sha256 and observed != item.sha256:
        _raise_alarm(
            session,
            item.case_id,
            item,
            "blob-mismatch",
            f"{item.reference}: custody event {event.event_id} observed SHA-256 {observed}, "
            f"recorded {item.sha256}",
            actor.username,
            now,
        )
    _audit(
        session,
        actor,
        "custody.record",
        "alteration",
        case.id,
        item,
        details={"reference": item.reference, "action": action, "seq": event.seq},
    )
    return event


@dataclass(frozen=True)
class ItemCustody:
    item: EvidenceItem
    case: Case
    events: tuple[CustodyEvent, ...]
    alarms: tuple[IntegrityAlarm, ...]

    @property
    def disposed(self) -> bool:
        return any(e.action == "disposed" for e in self.events)


def custody_for_item(session: Session, actor: Actor, item_id: int) -> ItemCustody:
    """An item with its custody timeline (ledger order) and alarms; audited as consultation.
    Shows metadata and hashes only: opening the bytes is open_file (a custody event)."""
    item = _item_in_case(session, actor, item_id, write=False)
    case = session.get(Case, item.case_id)
    assert case is not None
    alarms = session.scalars(
        sa.select(IntegrityAlarm)
        .where(IntegrityAlarm.item_id == item.id)
        .order_by(IntegrityAlarm.id.desc())
    )
    events = tuple(_events(session, item.id))
    ledger.load_openings(session, (item, *events))
    result = ItemCustody(item, case, events, tuple(alarms))
    _audit(session, actor, "evidence.view", "consultation", case.id, item)
    return result


def items_for_case(session: Session, actor: Actor, case_id: int) -> list[EvidenceItem]:
    """A case's items in number order, for a reader of the case. No audit (the page or API
    response that shows them records its own consultation)."""
    case = case_for(session, actor, case_id)
    return list(
        session.scalars(
            sa.select(EvidenceItem)
            .where(EvidenceItem.case_id == case.id)
            .order_by(EvidenceItem.number)
        )
    )
