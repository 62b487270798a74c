"""Helpers of the entity services: input normalization, get-or-create, attaching to a case,
masked rows, audit records. Must not import flask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.cases.models import Case
from caseflow.entities.errors import InvalidIdentifier
from caseflow.entities.inputs import (
    check_kind,
    raw_from_fields,
    validation_error,
)
from caseflow.entities.models import (
    CAPTURE_FIELDS,
    INVOLVEMENT_ROLES,
    ROLE_KINDS,
    CaseEntity,
    Entity,
    EntityMatchKey,
    Link,
    Observation,
)
from caseflow.entities.normalize import Normalized, normalize
from caseflow.entities.probable import probable_keys
from caseflow.entities.services.captures import capture_fields, record_capture
from caseflow.entities.services.results import OBSERVATION_KEYS, VICTIM_MASK, EntityRow, Fields
from caseflow.errors import NotFoundError, ValidationError
from caseflow.graphsync.services import enqueue


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


def _case_keys(kind: str) -> tuple[str, ...]:
    """Input attributes that belong to the case that saw them, never to the shared entity:
    an IP address's sighting, an ad's capture (title, text, posted time)."""
    return OBSERVATION_KEYS.get(kind, ()) + (CAPTURE_FIELDS if kind == "ad" else ())


def _add_match_keys(session: Session, entity: Entity) -> None:
    """The probable-match keys of a new entity (caseflow.entities.probable)."""
    found = {k.key: k.reason for k in probable_keys(entity.kind, entity.value)}
    session.add_all(
        EntityMatchKey(entity_id=entity.id, key=key[:2200], reason=reason[:300])
        for key, reason in found.items()
    )


def _get_or_create(
    session: Session, actor: Actor, normalized: Normalized, now: datetime
) -> tuple[Entity, bool]:
    """The one entity for (kind, value); missing descriptive attributes are filled in.

    Concurrent creation of the same value: the insert runs in a savepoint, and the loser of
    the race reads the winner's row (PostgreSQL; SQLite serializes writers anyway).
    """
    keys = _case_keys(normalized.kind)
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
            _add_match_keys(session, entity)
            return entity, True
    missing = {k: v for k, v in attributes.items() if k not in entity.attributes}
    if missing:
        entity.attributes = {**entity.attributes, **missing}
    if entity.jurisdiction is None and normalized.jurisdiction:
        entity.jurisdiction = normalized.jurisdiction
    return entity, False


def _involve(
    session: Session,
    actor: Actor,
    case: Case,
    entity: Entity,
    role: str | None,
    source: str,
    note: str | None,
    now: datetime,
) -> tuple[CaseEntity, bool]:
    """The case's involvement row for the entity, inserted if there is none (True then).

    Two members adding the same identifier at once: the insert runs in a savepoint and the
    loser of the race reads the winner's row ("already in this case"), as _get_or_create
    does for the entity itself.
    """
    involved = sa.select(CaseEntity).where(
        CaseEntity.case_id == case.id, CaseEntity.entity_id == entity.id
    )
    involvement = session.scalar(involved)
    if involvement is not None:
        return involvement, False
    involvement = CaseEntity(
        case_id=case.id,
        entity_id=entity.id,
        role=role,
        source=source,
        note=note,
        added_at=now,
        added_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(involvement)
    except IntegrityError:
        return session.scalars(involved).one(), False
    return involvement, True


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
    capture: bool = True,
) -> tuple[Entity, CaseEntity, bool, bool]:
    """Get-or-create the entity and make it part of the case (no audit, no commit).

    An ad's title, text and posted time become this case's capture (unless `capture` is
    False: ad intake records a fuller one itself). Returns (entity, involvement, created,
    already_in_case) and writes the graph outbox rows.
    """
    entity, created = _get_or_create(session, actor, normalized, now)
    involvement, inserted = _involve(session, actor, case, entity, role, source, note, now)
    already = not inserted and involvement.removed_at is None
    if not inserted and not already:
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
    if capture and normalized.kind == "ad":
        seen_in_ad = capture_fields(normalized.attributes)
        if seen_in_ad:
            record_capture(session, actor, case, entity, seen_in_ad, now=now)
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
