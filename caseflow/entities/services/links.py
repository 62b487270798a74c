"""Typed links between a case's entities, with provenance; retracted, never deleted.
Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from caseflow import policy
from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import case_access
from caseflow.entities.models import (
    CONFIDENCES,
    LINK_TYPES,
    CaseEntity,
    Entity,
    Link,
)
from caseflow.entities.services.common import (
    _audit,
    _involvement,
    _row,
    link_graph_payload,
)
from caseflow.entities.services.results import MAX_PER_PAGE, LinkRow
from caseflow.errors import NotFoundError, ValidationError
from caseflow.evidence.models import EvidenceItem
from caseflow.graphsync.services import enqueue


def _link_rows(
    session: Session,
    case: Case,
    condition: Any,
    *,
    see_victims: bool,
    limit: int | None = None,
    offset: int = 0,
) -> list[LinkRow]:
    src, dst = aliased(Entity), aliased(Entity)
    src_ce, dst_ce = aliased(CaseEntity), aliased(CaseEntity)
    rows = session.execute(
        sa.select(Link, src, dst, src_ce, dst_ce, User.username)
        .join(src, src.id == Link.source_id)
        .join(dst, dst.id == Link.target_id)
        .join(src_ce, sa.and_(src_ce.entity_id == src.id, src_ce.case_id == Link.case_id))
        .join(dst_ce, sa.and_(dst_ce.entity_id == dst.id, dst_ce.case_id == Link.case_id))
        .outerjoin(User, User.id == Link.created_by_id)
        .where(Link.case_id == case.id, condition)
        .order_by(Link.retracted_at.is_not(None), Link.created_at.desc(), Link.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        LinkRow(
            id=link.id,
            type=link.type,
            source=_row(sce, s, see_victims=see_victims),
            target=_row(dce, d, see_victims=see_victims),
            confidence=link.confidence,
            assessment=link.assessment,
            evidence_item_id=link.evidence_item_id,
            note=link.note,
            created_at=link.created_at,
            created_by=username,
            retracted_at=link.retracted_at,
        )
        for link, s, d, sce, dce, username in rows
    ]


def _check_evidence_item(session: Session, case: Case, evidence_item_id: int) -> None:
    """The item supporting a link must be an item of the link's case. One answer for an item
    of another case and one that does not exist: the form tells nothing about other cases."""
    if isinstance(evidence_item_id, bool) or not isinstance(evidence_item_id, int):
        raise ValidationError("Evidence item: a whole number.", field="evidence_item_id")
    if evidence_item_id < 1:
        raise ValidationError("Evidence item: a positive number.", field="evidence_item_id")
    found = session.scalar(
        sa.select(EvidenceItem.id).where(
            EvidenceItem.id == evidence_item_id, EvidenceItem.case_id == case.id
        )
    )
    if found is None:
        raise ValidationError(
            f"Evidence item: no item {evidence_item_id} in this case.", field="evidence_item_id"
        )


def _new_link(
    session: Session,
    actor: Actor,
    case: Case,
    *,
    source_id: int,
    target_id: int,
    type: str,
    confidence: str,
    assessment: bool,
    evidence_item_id: int | None,
    note: str | None,
    now: datetime,
) -> Link:
    if type not in LINK_TYPES:
        raise ValidationError(f"Type: one of {', '.join(LINK_TYPES)}.", field="type")
    if confidence not in CONFIDENCES:
        raise ValidationError(f"Confidence: one of {', '.join(CONFIDENCES)}.", field="confidence")
    if source_id == target_id:
        raise ValidationError("Target: an entity cannot be linked to itself.", field="target_id")
    if evidence_item_id is not None:
        _check_evidence_item(session, case, evidence_item_id)
    for name, entity_id in (("source_id", source_id), ("target_id", target_id)):
        try:
            _involvement(session, case, entity_id)
        except NotFoundError:
            label = "Source" if name == "source_id" else "Target"
            raise ValidationError(f"{label}: not an identifier of this case.", field=name) from None
    link = Link(
        case_id=case.id,
        type=type,
        source_id=source_id,
        target_id=target_id,
        confidence=confidence,
        assessment=assessment,
        evidence_item_id=evidence_item_id,
        note=(note or "").strip() or None,
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(link)
    session.flush()
    enqueue(session, "upsert_link", link_graph_payload(link), now=now)
    return link


def link_entities(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    source_id: int,
    target_id: int,
    type: str,
    confidence: str = "confirmed",
    assessment: bool = False,
    evidence_item_id: int | None = None,
    note: str | None = None,
    now: datetime,
) -> Link:
    """Assert a typed link between two entities of the case, with provenance (who, when,
    evidence item, confidence, fact or assessment).

    Linking is a combination in LED terms: audit "link.create" (combination); outbox
    upsert_link.
    """
    case, _ = case_access(session, actor, case_id, write=True)
    link = _new_link(
        session,
        actor,
        case,
        source_id=source_id,
        target_id=target_id,
        type=(type or "").strip().upper(),
        confidence=(confidence or "").strip().lower(),
        assessment=assessment,
        evidence_item_id=evidence_item_id,
        note=note,
        now=now,
    )
    _audit(
        session,
        actor,
        "link.create",
        "combination",
        case,
        object_type="link",
        object_id=link.id,
        now=now,
        details={"type": link.type, "source_id": source_id, "target_id": target_id},
    )
    return link


@dataclass(frozen=True)
class LinkPage:
    rows: list[LinkRow]
    total: int


def list_case_links(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> LinkPage:
    """One page of a case's links, active first then retracted, newest first; victims
    masked for non-members. Audit "link.list" (consultation)."""
    case, access = case_access(session, actor, case_id)
    limit = max(1, min(limit, MAX_PER_PAGE))
    total = session.scalar(
        sa.select(sa.func.count()).select_from(Link).where(Link.case_id == case.id)
    )
    rows = _link_rows(
        session,
        case,
        sa.true(),
        see_victims=policy.may_see_victim_details(access),
        limit=limit,
        offset=max(0, offset),
    )
    _audit(
        session,
        actor,
        "link.list",
        "consultation",
        case,
        object_type="case",
        object_id=case.id,
        now=now,
        details={"offset": offset},
    )
    return LinkPage(rows, total or 0)


def view_link(
    session: Session, actor: Actor, case_id: int, link_id: int, *, now: datetime | None = None
) -> tuple[Case, LinkRow, bool]:
    """A link page: (case, link, read_only). Audit "link.view" (consultation)."""
    case, access = case_access(session, actor, case_id)
    rows = _link_rows(
        session, case, Link.id == link_id, see_victims=policy.may_see_victim_details(access)
    )
    if not rows:
        raise NotFoundError("No such link in this case.")
    _audit(
        session,
        actor,
        "link.view",
        "consultation",
        case,
        object_type="link",
        object_id=link_id,
        now=now,
    )
    return case, rows[0], access is not policy.CaseAccess.READ_WRITE


def retract_link(
    session: Session, actor: Actor, case_id: int, link_id: int, *, now: datetime
) -> Link:
    """Withdraw a link; it is kept with `retracted_at` set, never deleted.

    Audit "link.retract" (alteration); outbox delete_link.
    """
    case, _ = case_access(session, actor, case_id, write=True)
    link = session.get(Link, link_id)
    if link is None or link.case_id != case.id:
        raise NotFoundError("No such link in this case.")
    if link.retracted_at is None:
        link.retracted_at, link.retracted_by_id = now, actor.user_id
        enqueue(session, "delete_link", {"id": link.id}, now=now)
        _audit(
            session,
            actor,
            "link.retract",
            "alteration",
            case,
            object_type="link",
            object_id=link.id,
            now=now,
        )
    return link
