"""A request's parts while it is drafted: offences, identifiers of the case, evidence
annexes. Must not import flask."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.cases.services import case_for
from caseflow.entities.models import CaseEntity, Entity, Observation
from caseflow.errors import NotFoundError, ValidationError
from caseflow.evidence.models import EvidenceItem
from caseflow.mla import checklists
from caseflow.mla import facts as F
from caseflow.mla.models import (
    MlaAnnex,
    MlaIdentifier,
    MlaOffence,
)
from caseflow.mla.services.common import _audit, _editable, _prepare


def add_offence(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    name: str,
    provision: str,
    maximum_penalty: str,
    tags: Iterable[str] = (),
    by_information_system: str = F.UNKNOWN,
    now: datetime,
) -> MlaOffence:
    """An offence of the issuing state. The maximum penalty, when given, must read as a
    penalty ("10 years", "6 months", "life"): rules compare it. `tags` are offence kinds the
    officer asserts (caseflow.mla.facts.OFFENCE_TAGS); `by_information_system` answers
    whether it was committed by means of an information system (yes, no, unknown)."""
    req = _prepare(session, actor, request_id)
    _editable(req)
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Offence: required.", field="name")
    penalty = maximum_penalty.strip()[:100]
    if penalty:
        try:
            F.Penalty.parse(penalty)
        except F.FactError as exc:
            raise ValidationError(
                f"Maximum penalty: {exc.rule}.", field="maximum_penalty"
            ) from None
    chosen = {t for t in tags if t}
    if chosen - set(F.OFFENCE_TAGS):
        raise ValidationError(
            f"Offence kind: one or more of {', '.join(F.OFFENCE_TAGS)}.", field="tags"
        )
    try:
        by_is = F.answer(by_information_system, "by_information_system")
    except F.FactError:
        raise ValidationError(
            "Committed by means of an information system: answer yes, no or unknown.",
            field="by_information_system",
        ) from None
    offence = MlaOffence(
        request_id=req.id,
        name=name[:300],
        provision=provision.strip()[:300],
        maximum_penalty=penalty,
        tags=",".join(t for t in F.OFFENCE_TAGS if t in chosen),
        by_information_system=by_is,
    )
    req.offences.append(offence)  # keeps a loaded collection current for later checks
    req.updated_at = now
    session.flush()
    _audit(session, actor, "request.offence_add", "alteration", req, details={"id": offence.id})
    return offence


def remove_offence(
    session: Session, actor: Actor, request_id: int, offence_id: int, *, now: datetime
) -> None:
    _remove_part(
        session,
        actor,
        request_id,
        MlaOffence,
        offence_id,
        "offence",
        now=now,
        details=lambda row: {"id": row.id},
    )


def add_annex(
    session: Session, actor: Actor, request_id: int, evidence_item_id: int, *, now: datetime
) -> MlaAnnex:
    """Attach an evidence item of the same case (one CaseFlow holds the file of)."""
    req = _prepare(session, actor, request_id)
    _editable(req)
    item = session.get(EvidenceItem, evidence_item_id)
    if item is None or item.case_id != req.case_id:
        raise ValidationError("Evidence annex: choose an item of this case.", field="evidence")
    if not item.has_bytes:
        raise ValidationError(
            f"Evidence annex: {item.reference} has no file in CaseFlow to send.", field="evidence"
        )
    if any(a.evidence_item_id == item.id for a in req.annexes):
        raise ValidationError(f"Evidence annex: {item.reference} is already attached.")
    annex = MlaAnnex(request_id=req.id, evidence_item_id=item.id)
    req.annexes.append(annex)
    req.updated_at = now
    session.flush()
    _audit(session, actor, "request.annex_add", "alteration", req, details={"item": item.id})
    return annex


def remove_annex(
    session: Session, actor: Actor, request_id: int, annex_id: int, *, now: datetime
) -> None:
    _remove_part(
        session,
        actor,
        request_id,
        MlaAnnex,
        annex_id,
        "annex",
        now=now,
        details=lambda row: {"item": row.evidence_item_id},
    )


def case_evidence_choices(session: Session, actor: Actor, case_id: int) -> list[EvidenceItem]:
    """Items of a case that can be annexed (files CaseFlow holds), for a reader of the case.
    No audit (the request page that shows them records its own)."""
    case = case_for(session, actor, case_id)
    return list(
        session.scalars(
            sa.select(EvidenceItem)
            .where(EvidenceItem.case_id == case.id, EvidenceItem.kind == "file")
            .order_by(EvidenceItem.number)
        )
    )


def case_entity_choices(session: Session, actor: Actor, case_id: int) -> list[Entity]:
    """Entities of a case that can be named in a request (persons excluded: a request names
    selectors, and victims must not travel), for a reader of the case. No audit."""
    case = case_for(session, actor, case_id)
    return list(
        session.scalars(
            sa.select(Entity)
            .join(CaseEntity, CaseEntity.entity_id == Entity.id)
            .where(
                CaseEntity.case_id == case.id,
                CaseEntity.removed_at.is_(None),
                Entity.kind.not_in(EXCLUDED_IDENTIFIER_KINDS),
            )
            .order_by(Entity.kind, Entity.value)
        )
    )


# Entity kinds never listed as request identifiers (people go in the facts, pseudonymised).
EXCLUDED_IDENTIFIER_KINDS = ("person", "jurisdiction")


def add_identifier(
    session: Session,
    actor: Actor,
    request_id: int,
    entity_id: int,
    *,
    relevance: str,
    observed_at: datetime | None = None,
    port: int | None = None,
    now: datetime,
) -> MlaIdentifier:
    """Name one of the case's entities in the request, with why it matters to the offence.

    For an IP address without an observation time or port given, the case's latest
    observation of that entity supplies them. Times must be aware (stored in UTC).
    """
    req = _prepare(session, actor, request_id)
    _editable(req)
    linked = session.scalar(
        sa.select(CaseEntity).where(
            CaseEntity.case_id == req.case_id,
            CaseEntity.entity_id == entity_id,
            CaseEntity.removed_at.is_(None),
        )
    )
    if linked is None or linked.entity.kind in EXCLUDED_IDENTIFIER_KINDS:
        raise ValidationError("Identifier: choose an identifier of this case.", field="entity")
    entity = linked.entity
    if any(i.entity_id == entity.id for i in req.identifiers):
        raise ValidationError(f"Identifier: {entity.value} is already in the request.")
    if observed_at is not None and observed_at.tzinfo is None:
        raise ValidationError("Observed at: give a time zone (UTC).", field="observed_at")
    if port is not None and not 0 <= port <= 65535:
        raise ValidationError("Port: a number from 0 to 65535.", field="port")
    if entity.kind in checklists.IP_KINDS and (observed_at is None or port is None):
        seen = session.scalar(
            sa.select(Observation)
            .where(Observation.case_id == req.case_id, Observation.entity_id == entity.id)
            .order_by(Observation.observed_at.desc().nulls_last(), Observation.id.desc())
            .limit(1)
        )
        if seen is not None:
            observed_at = observed_at or seen.observed_at
            port = port if port is not None else seen.port
    row = MlaIdentifier(
        request_id=req.id,
        entity_id=entity.id,
        kind=entity.kind,
        value=entity.value,
        observed_at=observed_at,
        port=port,
        relevance=relevance.strip(),
    )
    req.identifiers.append(row)
    req.updated_at = now
    session.flush()
    _audit(
        session, actor, "request.identifier_add", "alteration", req, details={"entity": entity.id}
    )
    return row


def remove_identifier(
    session: Session, actor: Actor, request_id: int, identifier_id: int, *, now: datetime
) -> None:
    _remove_part(
        session,
        actor,
        request_id,
        MlaIdentifier,
        identifier_id,
        "identifier",
        now=now,
        details=lambda row: {"entity": row.entity_id},
    )


# The collection on MlaRequest that holds each kind of part.
_PARTS = {"offence": "offences", "annex": "annexes", "identifier": "identifiers"}


def _remove_part(
    session: Session,
    actor: Actor,
    request_id: int,
    model: type,
    part_id: int,
    part: str,
    *,
    now: datetime,
    details,
) -> None:
    """Remove an offence, annex or identifier from a request still being drafted; audited."""
    req = _prepare(session, actor, request_id)
    _editable(req)
    row = session.get(model, part_id)
    if row is None or row.request_id != req.id:
        raise NotFoundError(f"No such {part} on this request.")
    getattr(req, _PARTS[part]).remove(row)
    session.delete(row)
    req.updated_at = now
    _audit(session, actor, f"request.{part}_remove", "alteration", req, details=details(row))
