"""Cross-case hits (deconfliction): another case holds one of my entities; only its
reference and owner's contact are shown. Must not import flask."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from caseflow import policy
from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import case_access, member_case_ids
from caseflow.entities.models import (
    CaseEntity,
    Entity,
    EntityMatchKey,
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
    """Hits for the case (or one entity of it, or some), exact ones first, then possible
    matches (another case holds a different value sharing a probable-match key, e.g. the
    same Gmail mailbox written with dots); each audited "hit.shown"; no commit."""
    if not policy.may_see_hits(access, actor):
        return []
    if entity_ids is not None and not entity_ids:
        return []
    wanted = set(entity_ids or ()) | ({entity_id} if entity_id is not None else set())
    visible = member_case_ids(session, actor) | {case.id}
    exact = _exact(session, case, visible, wanted, limit)
    probable = _probable(session, case, visible, wanted, limit - len(exact))
    hits = []
    for other_id, hit in [*exact, *probable]:
        hits.append(hit)
        details: dict[str, object] = {"other_case_id": other_id}
        if hit.match == "probable":
            details.update(match="probable", reason=hit.reason)
        _audit(
            session,
            actor,
            "hit.shown",
            "consultation",
            case,
            object_type="entity",
            object_id=hit.entity_id,
            now=now,
            details=details,
        )
    return hits


def _not_victim(entity_id: InstrumentedAttribute[int]) -> sa.ColumnElement[bool]:
    victim = aliased(CaseEntity)
    return (
        ~sa.select(victim.id).where(victim.entity_id == entity_id, victim.role == "victim").exists()
    )


_OWNER = (Case.id, Case.reference, User.display_name, User.organisation, User.email, User.phone)


def _contact(org: str | None, email: str | None, phone: str | None) -> str:
    return " · ".join(part for part in (org, email, phone) if part)


def _exact(
    session: Session, case: Case, visible: Collection[int], wanted: set[int], limit: int
) -> list[tuple[int, Hit]]:
    mine, theirs = aliased(CaseEntity), aliased(CaseEntity)
    stmt = (
        sa.select(Entity.id, Entity.kind, Entity.label, *_OWNER)
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
            _not_victim(Entity.id),
        )
        .order_by(Entity.kind, Entity.label, Case.reference)
        .limit(limit)
    )
    if wanted:
        stmt = stmt.where(Entity.id.in_(sorted(wanted)))
    return [
        (other_id, Hit(eid, kind, label, reference, name, _contact(org, email, phone)))
        for eid, kind, label, other_id, reference, name, org, email, phone in session.execute(stmt)
    ]


def _probable(
    session: Session, case: Case, visible: Collection[int], wanted: set[int], limit: int
) -> list[tuple[int, Hit]]:
    """Possible matches: my entity and a different entity of another case share a
    probable-match key. Only my entity, the reason and the other case's reference and owner
    are shown (never the other case's value). One hit per (my entity, other case)."""
    if limit <= 0:
        return []
    mine, theirs = aliased(CaseEntity), aliased(CaseEntity)
    my_key, their_key = aliased(EntityMatchKey), aliased(EntityMatchKey)
    other = aliased(Entity)
    stmt = (
        sa.select(Entity.id, Entity.kind, Entity.label, my_key.reason, *_OWNER)
        .join(mine, mine.entity_id == Entity.id)
        .join(my_key, my_key.entity_id == Entity.id)
        .join(their_key, sa.and_(their_key.key == my_key.key, their_key.entity_id != Entity.id))
        .join(other, other.id == their_key.entity_id)
        .join(theirs, theirs.entity_id == their_key.entity_id)
        .join(Case, Case.id == theirs.case_id)
        .join(User, User.id == Case.owner_id)
        .where(
            mine.case_id == case.id,
            mine.removed_at.is_(None),
            theirs.removed_at.is_(None),
            theirs.case_id.not_in(visible),
            Entity.kind.not_in(policy.NO_HIT_KINDS),
            other.kind.not_in(policy.NO_HIT_KINDS),
            _not_victim(Entity.id),
            _not_victim(other.id),
        )
        .order_by(Entity.kind, Entity.label, Case.reference, my_key.key)
        .limit(limit * 4)
    )
    if wanted:
        stmt = stmt.where(Entity.id.in_(sorted(wanted)))
    found: dict[tuple[int, int], Hit] = {}
    for eid, kind, label, reason, other_id, ref, name, org, email, phone in session.execute(stmt):
        if (eid, other_id) not in found and len(found) < limit:
            contact = _contact(org, email, phone)
            found[(eid, other_id)] = Hit(
                eid, kind, label, ref, name, contact, match="probable", reason=reason
            )
    return [(other_id, hit) for (_, other_id), hit in found.items()]


def cross_case_hits(
    session: Session, actor: Actor, case_id: int, *, now: datetime | None = None
) -> list[Hit]:
    """Entities of my case that also belong to cases I am not a member of (exact hits), then
    possible matches: a different value of another case sharing a probable-match key with
    mine (caseflow.entities.probable), with the reason.

    Each hit gives only the other case's reference and its owner's name and contact.
    Persons, jurisdictions, service providers and anything involved as a victim (in any
    case) never produce hits. Members only. Each hit shown is audited "hit.shown"
    (consultation). At most MAX_HITS_SHOWN hits.
    """
    case, access = case_access(session, actor, case_id)
    hits = _hits(session, actor, case, access, now=now)
    return hits
