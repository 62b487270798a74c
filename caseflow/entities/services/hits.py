"""Cross-case hits (deconfliction): another case holds one of my entities; only its
reference and owner's contact are shown. Must not import flask."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from caseflow import policy
from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import case_access, member_case_ids
from caseflow.entities.models import (
    CaseEntity,
    Entity,
)
from caseflow.entities.services.common import _audit
from caseflow.entities.services.results import MAX_HITS_SHOWN, Hit


def _hits(
    session: Session,
    actor: Actor,
    case: Case,
    access: policy.CaseAccess,
    *,
    entity_id: int | None = None,
    entity_ids: Collection[int] | None = None,
    now: datetime | None = None,
    limit: int = MAX_HITS_SHOWN,
) -> list[Hit]:
    """Hits for the case (or one entity of it, or some), each audited "hit.shown"; no
    commit."""
    if not policy.may_see_hits(access, actor):
        return []
    mine, theirs, victim = aliased(CaseEntity), aliased(CaseEntity), aliased(CaseEntity)
    visible = member_case_ids(session, actor) | {case.id}
    involved_as_victim = (
        sa.select(victim.id).where(victim.entity_id == Entity.id, victim.role == "victim").exists()
    )
    stmt = (
        sa.select(
            Entity.id,
            Entity.kind,
            Entity.label,
            Case.id,
            Case.reference,
            User.display_name,
            User.organisation,
            User.email,
            User.phone,
        )
        .join(mine, mine.entity_id == Entity.id)
        .join(theirs, theirs.entity_id == Entity.id)
        .join(Case, Case.id == theirs.case_id)
        .join(User, User.id == Case.owner_id)
        .where(
            mine.case_id == case.id,
            mine.removed_at.is_(None),
            theirs.removed_at.is_(None),
            theirs.case_id.not_in(visible),
            Entity.kind.not_in(policy.NO_HIT_KINDS),
            ~involved_as_victim,
        )
        .order_by(Entity.kind, Entity.label, Case.reference)
        .limit(limit)
    )
    if entity_id is not None:
        stmt = stmt.where(Entity.id == entity_id)
    if entity_ids is not None:
        if not entity_ids:
            return []
        stmt = stmt.where(Entity.id.in_(sorted(set(entity_ids))))
    hits = []
    for eid, kind, label, other_id, reference, name, org, email, phone in session.execute(stmt):
        contact = " · ".join(part for part in (org, email, phone) if part)
        hits.append(Hit(eid, kind, label, reference, name, contact))
        _audit(
            session,
            actor,
            "hit.shown",
            "consultation",
            case,
            object_type="entity",
            object_id=eid,
            now=now,
            details={"other_case_id": other_id},
        )
    return hits


def cross_case_hits(
    session: Session, actor: Actor, case_id: int, *, now: datetime | None = None
) -> list[Hit]:
    """Entities of my case that also belong to cases I am not a member of.

    Each hit gives only the other case's reference and its owner's name and contact.
    Persons, jurisdictions, service providers and anything involved as a victim (in any
    case) never produce hits. Members only. Each hit shown is audited "hit.shown"
    (consultation). At most MAX_HITS_SHOWN hits.
    """
    case, access = case_access(session, actor, case_id)
    hits = _hits(session, actor, case, access, now=now)
    return hits
