"""A case's selectors: adding, listing, viewing and removing them. Must not import flask."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.cases.services import case_access
from caseflow.entities.inputs import (
    check_kind,
)
from caseflow.entities.models import (
    CAPTURE_FIELDS,
    CaseEntity,
    Entity,
    Link,
    Observation,
)
from caseflow.entities.services.captures import case_captures
from caseflow.entities.services.common import (
    _attach,
    _audit,
    _check_role,
    _involvement,
    _row,
    normalize_input,
)
from caseflow.entities.services.hits import _hits
from caseflow.entities.services.links import _link_rows
from caseflow.entities.services.results import (
    MAX_PER_PAGE,
    AddResult,
    EntityPage,
    EntityRow,
    EntityView,
    Fields,
    Sighting,
)
from caseflow.graphsync.services import enqueue


def add_entity(
    session: Session,
    actor: Actor,
    case_id: int,
    kind: str,
    raw: Fields | str,
    *,
    now: datetime,
    role: str | None = None,
    note: str | None = None,
    source: str = "manual",
) -> AddResult:
    """Add a selector to a case: normalize (national phones read with the case's lead
    jurisdiction), get-or-create the global entity, attach it to the case.

    `raw` is a value or input fields (`value` plus caseflow.entities.inputs.KIND_FIELDS).
    Persons need a role (suspect, victim, witness, other); it belongs to the involvement.
    Adding what the case already holds changes nothing and says so (`already_in_case`).
    Side effects: outbox upsert_entity + add_membership, audit "entity.add" (collection) and
    one "hit.shown" per cross-case hit returned.
    Raises ValidationError naming the field and rule; NotFoundError / PermissionDenied.
    """
    case, access = case_access(session, actor, case_id, write=True)
    kind = check_kind(kind)
    fields = {"value": raw} if isinstance(raw, str) else dict(raw)
    role = _check_role(kind, role if role is not None else fields.get("role"))
    note = (note if note is not None else fields.get("note") or "").strip() or None
    normalized = normalize_input(kind, fields, default_region=case.lead_jurisdiction)
    entity, ce, created, already = _attach(
        session, actor, case, normalized, role=role, note=note, source=source, now=now
    )
    if not already:
        _audit(
            session,
            actor,
            "entity.add",
            "collection",
            case,
            object_type="entity",
            object_id=entity.id,
            now=now,
            details={"kind": kind, "created": created, "role": role, "source": source},
        )
    hits = _hits(session, actor, case, access, entity_id=entity.id, now=now)
    return AddResult(entity, ce, created, already, hits)


def list_case_entities(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    page: int = 1,
    per_page: int = 50,
    kind: str | None = None,
    audit: bool = True,
    now: datetime | None = None,
) -> EntityPage:
    """One page of a case's entities, newest first; victims masked for non-members.

    Constant query count whatever the size of the case (a count and one joined select).
    With `audit` (default) records "entity.list" (consultation); the case page
    passes False because its own "case.view" record covers it.
    """
    case, access = case_access(session, actor, case_id)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    where = [CaseEntity.case_id == case.id, CaseEntity.removed_at.is_(None)]
    if kind:
        where.append(Entity.kind == check_kind(kind))
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(CaseEntity)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(*where)
    )
    rows = session.execute(
        sa.select(CaseEntity, Entity)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(*where)
        .order_by(CaseEntity.added_at.desc(), CaseEntity.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    see = policy.may_see_victim_details(access)
    found = [_row(ce, e, see_victims=see) for ce, e in rows]
    result = EntityPage(found, page, per_page, total or 0)
    if audit:
        _audit(
            session,
            actor,
            "entity.list",
            "consultation",
            case,
            object_type="case",
            object_id=case.id,
            now=now,
            details={"page": page, **({"kind": kind} if kind else {})},
        )
    return result


def view_entity(
    session: Session, actor: Actor, case_id: int, entity_id: int, *, now: datetime | None = None
) -> EntityView:
    """An entity as seen in one case: its links there, sightings, this case's captures of
    an ad (never another case's), and cross-case hits.

    Audited "entity.view" (consultation) plus "hit.shown" per hit. Victim
    details are masked for non-members; hits are for members only.
    """
    case, access = case_access(session, actor, case_id)
    ce = _involvement(session, case, entity_id)
    entity = ce.entity
    see = policy.may_see_victim_details(access)
    row = _row(ce, entity, see_victims=see)
    sightings = [
        Sighting(o.observed_at, o.port, (o.details or {}).get("observed_at_offset"))
        for o in session.scalars(
            sa.select(Observation)
            .where(Observation.case_id == case.id, Observation.entity_id == entity.id)
            .order_by(Observation.observed_at, Observation.id)
        )
    ]
    links = _link_rows(
        session,
        case,
        sa.or_(Link.source_id == entity.id, Link.target_id == entity.id),
        see_victims=see,
    )
    _audit(
        session,
        actor,
        "entity.view",
        "consultation",
        case,
        object_type="entity",
        object_id=entity.id,
        now=now,
    )
    hits = _hits(session, actor, case, access, entity_id=entity.id, now=now)
    shared = {k: v for k, v in (entity.attributes or {}).items() if k not in CAPTURE_FIELDS}
    captures = case_captures(session, case, entity.id) if entity.kind == "ad" else []
    return EntityView(
        case=case,
        entity=row,
        attributes={} if row.masked else shared,
        observations=[] if row.masked else sightings,
        links=links,
        hits=hits,
        read_only=access is not policy.CaseAccess.READ_WRITE,
        captures=[] if row.masked else captures,
    )


def remove_entity(
    session: Session, actor: Actor, case_id: int, entity_id: int, *, now: datetime
) -> None:
    """Take an entity out of a case (the entity itself stays: other cases may hold it).

    Its links in this case are retracted. Outbox remove_membership and delete_link; audit
    "entity.remove" (alteration).
    """
    case, _ = case_access(session, actor, case_id, write=True)
    ce = _involvement(session, case, entity_id)
    ce.removed_at = now
    for link in session.scalars(
        sa.select(Link).where(
            Link.case_id == case.id,
            Link.retracted_at.is_(None),
            sa.or_(Link.source_id == entity_id, Link.target_id == entity_id),
        )
    ):
        link.retracted_at, link.retracted_by_id = now, actor.user_id
        enqueue(session, "delete_link", {"id": link.id}, now=now)
    enqueue(session, "remove_membership", {"entity_id": entity_id, "case_id": case.id}, now=now)
    _audit(
        session,
        actor,
        "entity.remove",
        "alteration",
        case,
        object_type="entity",
        object_id=entity_id,
        now=now,
    )


def case_entity_choices(
    session: Session, actor: Actor, case_id: int, *, shown: bool = True
) -> list[EntityRow]:
    """Every active entity of a case (for the link form), by kind and label. The form lists
    every identifier of the case: audited "link.form" (consultation) with their count when
    `shown` (a POST that only checks its choices passes False)."""
    case, access = case_access(session, actor, case_id)
    see = policy.may_see_victim_details(access)
    rows = session.execute(
        sa.select(CaseEntity, Entity)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(CaseEntity.case_id == case.id, CaseEntity.removed_at.is_(None))
        .order_by(Entity.kind, Entity.label)
    ).all()
    if shown:
        _audit(
            session,
            actor,
            "link.form",
            "consultation",
            case,
            object_type="case",
            object_id=case.id,
            details={"identifiers": len(rows)},
        )
    return [_row(ce, e, see_victims=see) for ce, e in rows]
