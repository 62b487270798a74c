"""Entity rules: adding selectors to cases, links, ad intake, CSV import, cross-case hits.

Each use case checks access through caseflow.policy and caseflow.cases.services.case_for,
writes its audit records and graph outbox rows in the same transaction, and commits once.
Must not import flask.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from caseflow import policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import member_case_ids, membership
from caseflow.entities.errors import InvalidIdentifier
from caseflow.entities.extract import Candidate, extract_identifiers
from caseflow.entities.inputs import (
    CsvRow,
    check_kind,
    raw_from_fields,
    validation_error,
)
from caseflow.entities.models import (
    CONFIDENCES,
    INVOLVEMENT_ROLES,
    LINK_TYPES,
    ROLE_KINDS,
    CaseEntity,
    Entity,
    Link,
    Observation,
)
from caseflow.entities.normalize import Normalized, normalize
from caseflow.errors import NotFoundError, ValidationError
from caseflow.graphsync.services import enqueue

# Per-sighting details that are not part of an entity's identity (see normalize_ip).
OBSERVATION_KEYS = {"ip_address": ("port", "observed_at", "observed_at_offset")}
MAX_PER_PAGE = 200
MAX_HITS_SHOWN = 50
VICTIM_MASK = "Victim (details restricted to case members)"

Fields = Mapping[str, str | None]


# --- results crossing the boundary ----------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """Another case holds one of my entities. Only its reference and owner's contact."""

    entity_id: int
    entity_kind: str
    entity_label: str
    case_reference: str
    owner_name: str
    owner_contact: str


@dataclass(frozen=True)
class EntityRow:
    """An entity as shown in one case; `masked` hides a victim from non-members."""

    entity_id: int
    kind: str
    value: str
    label: str
    jurisdiction: str | None
    role: str | None
    source: str
    note: str | None
    added_at: datetime
    masked: bool = False


@dataclass(frozen=True)
class EntityPage:
    rows: list[EntityRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class AddResult:
    entity: Entity
    involvement: CaseEntity
    created: bool  # a new entity in CaseFlow (not only new in this case)
    already_in_case: bool
    hits: list[Hit] = field(default_factory=list)


@dataclass(frozen=True)
class LinkRow:
    id: int
    type: str
    source: EntityRow
    target: EntityRow
    confidence: str
    assessment: bool
    evidence_item_id: int | None
    note: str | None
    created_at: datetime
    created_by: str | None
    retracted_at: datetime | None


@dataclass(frozen=True)
class Sighting:
    observed_at: datetime | None
    port: int | None
    offset: str | None


@dataclass(frozen=True)
class EntityView:
    case: Case
    entity: EntityRow
    attributes: dict[str, Any]
    observations: list[Sighting]
    links: list[LinkRow]
    hits: list[Hit]
    read_only: bool


@dataclass(frozen=True)
class AdPreview:
    region: str
    platform: str | None
    candidates: list[Candidate]

    @staticmethod
    def key(candidate: Candidate) -> str | None:
        """What a confirmation sends back for a candidate (None: cannot be chosen)."""
        return candidate_key(candidate)


@dataclass(frozen=True)
class AdResult:
    ad: Entity
    entities: list[Entity]
    links: list[Link]


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


@dataclass(frozen=True)
class ImportReport:
    ok_count: int
    errors: list[RowError]
    imported: bool  # False: nothing was written (errors and no skip_bad)
    total: int


# --- helpers ----------------------------------------------------------------------------------


def _case_access(
    session: Session, actor: Actor, case_id: int, *, write: bool = False
) -> tuple[Case, policy.CaseAccess]:
    """case_for, also returning the access level (victim masking and hits depend on it)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("No such case, or you are not a member of it.")
    access = policy.require_case_access(
        actor, case.id, is_member=membership(session, actor, case.id) is not None, write=write
    )
    return case, access


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    category: str,
    case: Case,
    *,
    object_type: str,
    object_id: int | None,
    now: datetime | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    record_event(
        session,
        actor,
        action,
        category=category,
        object_type=object_type,
        object_id=object_id,
        case_id=case.id,
        purpose=actor.purpose_for(case.id),
        details=details,
        now=now,
    )


def normalize_input(kind: str, fields: Fields | str, *, default_region: str | None) -> Normalized:
    """Input fields (or a bare value) -> Normalized, errors as ValidationError(field, rule)."""
    kind = check_kind(kind)
    if isinstance(fields, str):
        fields = {"value": fields}
    raw = raw_from_fields(kind, fields)
    try:
        return normalize(kind, raw, default_region=default_region)
    except InvalidIdentifier as exc:
        raise validation_error(kind, exc) from exc


def _check_role(kind: str, role: str | None) -> str | None:
    role = (role or "").strip().lower() or None
    if role is None:
        if kind == "person":
            raise ValidationError(
                f"Role: required for persons ({', '.join(INVOLVEMENT_ROLES)}).", field="role"
            )
        return None
    if kind not in ROLE_KINDS:
        raise ValidationError("Role: only persons and organizations have a role.", field="role")
    if role not in INVOLVEMENT_ROLES:
        raise ValidationError(f"Role: one of {', '.join(INVOLVEMENT_ROLES)}.", field="role")
    return role


def entity_graph_payload(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "kind": entity.kind,
        "value": entity.value,
        "label": entity.label,
        "jurisdiction": entity.jurisdiction,
    }


def link_graph_payload(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "type": link.type,
        "source_id": link.source_id,
        "target_id": link.target_id,
        "case_id": link.case_id,
        "confidence": link.confidence,
        "assessment": link.assessment,
    }


def _get_or_create(
    session: Session, actor: Actor, normalized: Normalized, now: datetime
) -> tuple[Entity, bool]:
    """The one entity for (kind, value); missing descriptive attributes are filled in.

    Concurrent creation of the same value: the insert runs in a savepoint, and the loser of
    the race reads the winner's row (PostgreSQL; SQLite serializes writers anyway).
    """
    keys = OBSERVATION_KEYS.get(normalized.kind, ())
    attributes = {k: v for k, v in normalized.attributes.items() if k not in keys}
    stmt = sa.select(Entity).where(Entity.kind == normalized.kind, Entity.value == normalized.value)
    entity = session.scalar(stmt)
    if entity is None:
        entity = Entity(
            kind=normalized.kind,
            value=normalized.value,
            label=normalized.label[:300],
            attributes=attributes,
            jurisdiction=normalized.jurisdiction,
            created_at=now,
            created_by_id=actor.user_id,
        )
        try:
            with session.begin_nested():
                session.add(entity)
        except IntegrityError:
            entity = session.scalars(stmt).one()
        else:
            return entity, True
    missing = {k: v for k, v in attributes.items() if k not in entity.attributes}
    if missing:
        entity.attributes = {**entity.attributes, **missing}
    if entity.jurisdiction is None and normalized.jurisdiction:
        entity.jurisdiction = normalized.jurisdiction
    return entity, False


def _attach(
    session: Session,
    actor: Actor,
    case: Case,
    normalized: Normalized,
    *,
    role: str | None,
    note: str | None,
    source: str,
    now: datetime,
) -> tuple[Entity, CaseEntity, bool, bool]:
    """Get-or-create the entity and make it part of the case (no audit, no commit).

    Returns (entity, involvement, created, already_in_case) and writes the graph outbox rows.
    """
    entity, created = _get_or_create(session, actor, normalized, now)
    involvement = session.scalar(
        sa.select(CaseEntity).where(
            CaseEntity.case_id == case.id, CaseEntity.entity_id == entity.id
        )
    )
    already = involvement is not None and involvement.removed_at is None
    if involvement is None:
        involvement = CaseEntity(
            case_id=case.id,
            entity_id=entity.id,
            role=role,
            source=source,
            note=note,
            added_at=now,
            added_by_id=actor.user_id,
        )
        session.add(involvement)
    elif not already:
        involvement.removed_at = None
        involvement.added_at, involvement.added_by_id = now, actor.user_id
        involvement.role, involvement.source = role, source
        involvement.note = note or involvement.note
    keys = OBSERVATION_KEYS.get(normalized.kind, ())
    seen = {k: normalized.attributes[k] for k in keys if k in normalized.attributes}
    if seen:
        observed = seen.get("observed_at")
        session.add(
            Observation(
                case_id=case.id,
                entity_id=entity.id,
                observed_at=datetime.fromisoformat(observed) if observed else None,
                port=int(seen["port"]) if "port" in seen else None,
                details={"observed_at_offset": seen.get("observed_at_offset")},
                created_at=now,
                created_by_id=actor.user_id,
            )
        )
    session.flush()
    if created:
        enqueue(session, "upsert_entity", entity_graph_payload(entity), now=now)
    if not already:
        enqueue(session, "add_membership", {"entity_id": entity.id, "case_id": case.id}, now=now)
    return entity, involvement, created, already


def _row(ce: CaseEntity, entity: Entity, *, see_victims: bool) -> EntityRow:
    masked = ce.role == "victim" and not see_victims
    return EntityRow(
        entity_id=entity.id,
        kind=entity.kind,
        value="" if masked else entity.value,
        label=VICTIM_MASK if masked else entity.label,
        jurisdiction=None if masked else entity.jurisdiction,
        role=ce.role,
        source=ce.source,
        note=None if masked else ce.note,
        added_at=ce.added_at,
        masked=masked,
    )


def _involvement(session: Session, case: Case, entity_id: int) -> CaseEntity:
    ce = session.scalar(
        sa.select(CaseEntity).where(
            CaseEntity.case_id == case.id,
            CaseEntity.entity_id == entity_id,
            CaseEntity.removed_at.is_(None),
        )
    )
    if ce is None:
        raise NotFoundError("No such identifier in this case.")
    return ce


# --- adding, viewing, removing -------------------------------------------------------------


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
    one "hit.shown" per cross-case hit returned; one commit.
    Raises ValidationError naming the field and rule; NotFoundError / PermissionDenied.
    """
    case, access = _case_access(session, actor, case_id, write=True)
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
    session.commit()
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
    With `audit` (default) records "entity.list" (consultation) and commits; the case page
    passes False because its own "case.view" record covers it.
    """
    case, access = _case_access(session, actor, case_id)
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
        session.commit()
    return result


def view_entity(
    session: Session, actor: Actor, case_id: int, entity_id: int, *, now: datetime | None = None
) -> EntityView:
    """An entity as seen in one case: its links there, sightings, and cross-case hits.

    Audited "entity.view" (consultation) plus "hit.shown" per hit; one commit. Victim
    details are masked for non-members; hits are for members only.
    """
    case, access = _case_access(session, actor, case_id)
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
    session.commit()
    return EntityView(
        case=case,
        entity=row,
        attributes={} if row.masked else dict(entity.attributes or {}),
        observations=[] if row.masked else sightings,
        links=links,
        hits=hits,
        read_only=access is not policy.CaseAccess.READ_WRITE,
    )


def remove_entity(
    session: Session, actor: Actor, case_id: int, entity_id: int, *, now: datetime
) -> None:
    """Take an entity out of a case (the entity itself stays: other cases may hold it).

    Its links in this case are retracted. Outbox remove_membership and delete_link; audit
    "entity.remove" (alteration); one commit.
    """
    case, _ = _case_access(session, actor, case_id, write=True)
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
    session.commit()


def case_entity_choices(session: Session, actor: Actor, case_id: int) -> list[EntityRow]:
    """Every active entity of a case (for link forms), by kind and label. No audit."""
    case, access = _case_access(session, actor, case_id)
    see = policy.may_see_victim_details(access)
    rows = session.execute(
        sa.select(CaseEntity, Entity)
        .join(Entity, Entity.id == CaseEntity.entity_id)
        .where(CaseEntity.case_id == case.id, CaseEntity.removed_at.is_(None))
        .order_by(Entity.kind, Entity.label)
    ).all()
    return [_row(ce, e, see_victims=see) for ce, e in rows]


# --- links -----------------------------------------------------------------------------------


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
    if evidence_item_id is not None and evidence_item_id < 1:
        raise ValidationError("Evidence item: a positive number.", field="evidence_item_id")
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
    upsert_link; one commit.
    """
    case, _ = _case_access(session, actor, case_id, write=True)
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
    session.commit()
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
    masked for non-members. Audit "link.list" (consultation); one commit."""
    case, access = _case_access(session, actor, case_id)
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
    session.commit()
    return LinkPage(rows, total or 0)


def view_link(
    session: Session, actor: Actor, case_id: int, link_id: int, *, now: datetime | None = None
) -> tuple[Case, LinkRow, bool]:
    """A link page: (case, link, read_only). Audit "link.view" (consultation); one commit."""
    case, access = _case_access(session, actor, case_id)
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
    session.commit()
    return case, rows[0], access is not policy.CaseAccess.READ_WRITE


def retract_link(
    session: Session, actor: Actor, case_id: int, link_id: int, *, now: datetime
) -> Link:
    """Withdraw a link; it is kept with `retracted_at` set, never deleted.

    Audit "link.retract" (alteration); outbox delete_link; one commit.
    """
    case, _ = _case_access(session, actor, case_id, write=True)
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
        session.commit()
    return link


# --- cross-case hits -----------------------------------------------------------------------


def _hits(
    session: Session,
    actor: Actor,
    case: Case,
    access: policy.CaseAccess,
    *,
    entity_id: int | None = None,
    now: datetime | None = None,
    limit: int = MAX_HITS_SHOWN,
) -> list[Hit]:
    """Hits for the case (or one entity of it), each audited "hit.shown"; no commit."""
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
    (consultation); one commit. At most MAX_HITS_SHOWN hits.
    """
    case, access = _case_access(session, actor, case_id)
    hits = _hits(session, actor, case, access, now=now)
    session.commit()
    return hits


# --- ad intake -----------------------------------------------------------------------------


def candidate_key(candidate: Candidate) -> str | None:
    """The stable key of a valid candidate: `<kind>:<canonical value>`."""
    if candidate.normalized is None:
        return None
    return f"{candidate.kind}:{candidate.normalized.value}"


def _platform(platform: str | None) -> str | None:
    from caseflow.entities.normalize import PLATFORM_ALIASES

    platform = (platform or "").strip().lower() or None
    return PLATFORM_ALIASES.get(platform, platform) if platform else None


def _extract(case: Case, text: str, platform: str | None) -> AdPreview:
    try:
        candidates = extract_identifiers(text or "", case.lead_jurisdiction, platform=platform)
    except InvalidIdentifier as exc:
        raise validation_error("ad", exc) from exc
    return AdPreview(case.lead_jurisdiction, platform, candidates)


def preview_ad(
    session: Session, actor: Actor, case_id: int, text: str, platform: str | None = None
) -> AdPreview:
    """Extract candidate identifiers from an ad's text, for confirmation. Writes nothing.

    Phones are read with the case's lead jurisdiction; bare @handles need `platform`.
    """
    case, _ = _case_access(session, actor, case_id, write=True)
    return _extract(case, text, _platform(platform))


def ingest_ad(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    ad: Fields,
    text: str,
    selected: Collection[str],
    posted_by: str | None = None,
    now: datetime,
) -> AdResult:
    """Create the ad, the confirmed identifiers and their links, in one transaction.

    `ad` holds the ad's input fields (`value` = its URL or id, `platform`, `posted_at`,
    `title`); `text` is its text, re-extracted here so only what the text really holds is
    created; `selected` are candidate keys (AdPreview.key) the investigator confirmed.
    `posted_by` (a handle on the ad's platform, or platform:handle) gets a POSTED link to
    the ad; each confirmed identifier gets ad -CONTACT-> identifier (fact, confirmed).
    Anything invalid refuses the whole intake (ValidationError); nothing is half-created.
    Audit: "ad.ingest" (collection) and "link.create" (combination) per link; one commit.
    """
    case, _ = _case_access(session, actor, case_id, write=True)
    fields = dict(ad)
    fields["text"] = text
    platform = _platform(fields.get("platform"))
    candidates = _extract(case, text, platform).candidates
    by_key = {candidate_key(c): c for c in candidates if c.normalized is not None}
    unknown = [k for k in selected if k not in by_key]
    if unknown:
        raise ValidationError(
            f"Identifiers: {len(unknown)} chosen identifier(s) are not in the text.",
            field="selected",
        )
    ad_norm = normalize_input("ad", fields, default_region=case.lead_jurisdiction)
    poster = None
    if posted_by and posted_by.strip():
        poster_fields: dict[str, str | None] = {"value": posted_by.strip()}
        if ":" not in posted_by:
            poster_fields["platform"] = platform or ad_norm.attributes.get("platform")
        try:
            poster = normalize_input("account", poster_fields, default_region=None)
        except ValidationError as exc:
            message = exc.message.replace("Account", "Posted by", 1)
            raise ValidationError(message, field="posted_by") from exc
    ad_entity, _, _, _ = _attach(
        session, actor, case, ad_norm, role=None, note=None, source="ad", now=now
    )
    created: list[Entity] = []
    links: list[Link] = []

    def link(source: Entity, target: Entity, type: str) -> None:
        if source.id == target.id:
            return
        links.append(
            _new_link(
                session,
                actor,
                case,
                source_id=source.id,
                target_id=target.id,
                type=type,
                confidence="confirmed",
                assessment=False,
                evidence_item_id=None,
                note="From ad intake.",
                now=now,
            )
        )

    if poster is not None:
        account, _, _, _ = _attach(
            session, actor, case, poster, role=None, note=None, source="ad", now=now
        )
        created.append(account)
        link(account, ad_entity, "POSTED")
    for key in dict.fromkeys(selected):
        candidate = by_key[key]
        assert candidate.normalized is not None
        entity, _, _, _ = _attach(
            session, actor, case, candidate.normalized, role=None, note=None, source="ad", now=now
        )
        created.append(entity)
        link(ad_entity, entity, "CONTACT")
    _audit(
        session,
        actor,
        "ad.ingest",
        "collection",
        case,
        object_type="entity",
        object_id=ad_entity.id,
        now=now,
        details={"entity_ids": [e.id for e in created], "links": len(links)},
    )
    for item in links:
        _audit(
            session,
            actor,
            "link.create",
            "combination",
            case,
            object_type="link",
            object_id=item.id,
            now=now,
            details={"type": item.type, "source_id": item.source_id, "target_id": item.target_id},
        )
    session.commit()
    return AdResult(ad_entity, created, links)


# --- CSV import ----------------------------------------------------------------------------


def import_csv(
    session: Session,
    actor: Actor,
    case_id: int,
    rows: Sequence[CsvRow],
    *,
    skip_bad: bool = False,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    source_name: str | None = None,
) -> ImportReport:
    """Import identifiers into a case: every row is validated first and all bad rows are
    reported with their line numbers; nothing is written unless all rows are good or
    `skip_bad` is set (then the good ones are imported).

    `progress(done, total)` is called while writing. Audit: one "entity.import"
    (collection) record with the counts (each involvement row carries who, when and source
    "csv"); outbox rows per entity; one commit.
    """
    case, _ = _case_access(session, actor, case_id, write=True)
    errors: list[RowError] = []
    good: list[tuple[Normalized, str | None, str | None]] = []
    for row in rows:
        try:
            kind = check_kind(row.fields.get("kind") or "")
            role = _check_role(kind, row.fields.get("role"))
            normalized = normalize_input(kind, row.fields, default_region=case.lead_jurisdiction)
        except ValidationError as exc:
            errors.append(RowError(row.line, exc.field, exc.message))
            continue
        good.append((normalized, role, (row.fields.get("note") or "").strip() or None))
    if errors and not skip_bad:
        session.rollback()
        return ImportReport(0, errors, False, len(rows))
    new = 0
    for done, (normalized, role, note) in enumerate(good, 1):
        _, _, _, already = _attach(
            session, actor, case, normalized, role=role, note=note, source="csv", now=now
        )
        new += not already
        if progress is not None:
            progress(done, len(good))
    _audit(
        session,
        actor,
        "entity.import",
        "collection",
        case,
        object_type="case",
        object_id=case.id,
        now=now,
        details={
            "rows": len(rows),
            "imported": len(good),
            "new_in_case": new,
            "skipped": len(errors),
            "file": source_name,
        },
    )
    session.commit()
    return ImportReport(len(good), errors, True, len(rows))


def case_by_reference(session: Session, actor: Actor, reference: str) -> Case:
    """Look a case up by its reference (CLI), with the same access rule as by id."""
    case_id = session.scalar(sa.select(Case.id).where(Case.reference == reference.strip().upper()))
    if case_id is None:
        raise NotFoundError(f"No case {reference!r}, or you are not a member of it.")
    case, _ = _case_access(session, actor, case_id)
    return case
