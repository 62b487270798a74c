"""Assemble an MLA packet's input (exports.model.PacketData) from SQL.

The packet builder (exports/) never sees the database: this module reads the request, its
case, evidence annexes and links, and hands frozen values over. Must not import flask.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import jurisdictions
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.entities.models import Link
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import EvidenceItem
from caseflow.mla import legal_basis
from caseflow.mla.models import MlaRequest
from exports.model import (
    Authority,
    ChartEdge,
    ChartNode,
    CustodyExtract,
    EvidenceAnnex,
    Identifier,
    Instrument,
    LinkChart,
    Offence,
    PacketData,
    RequestDoc,
    RequestedState,
    Signatory,
    TimeRange,
)


def _signatory(session: Session, user_id: int | None, when: datetime | None) -> Signatory | None:
    if user_id is None or when is None:
        return None
    user = session.get(User, user_id)
    assert user is not None
    return Signatory(
        name=user.display_name or user.username,
        role=f"{user.role}, {user.organisation}" if user.organisation else user.role,
        date=when.date(),
    )


def instrument_for(req: MlaRequest) -> Instrument:
    """The instrument as printed: label, plus why (the resolver's reasons or the override)."""
    info = legal_basis.instrument(req.legal_basis)
    if req.override_reason:
        explanation = (
            f"Chosen by the requesting officer instead of the proposed "
            f"{req.proposed_basis}: {req.override_reason}"
        )
    else:
        explanation = req.basis_explanation
    return Instrument(code=info.code, label=info.label, explanation=explanation)


def _sections(req: MlaRequest) -> tuple[tuple[str, str], ...]:
    holder = f"{req.holder_name} ({req.holder_kind.replace('-', ' ')})"
    sections = [
        ("Addressee / holder of the data", holder),
        ("Proceedings", req.proceedings_stage.capitalize()),
        ("Use limitation", req.use_limits),
    ]
    if "preservation" in req.types:
        follow = "A production or mutual assistance request will follow."
        sections.append(("Follow-up", follow if req.production_to_follow else "Not stated."))
    return tuple((h, b) for h, b in sections if b)


def _open(store: BlobStore, sha256: str) -> Callable[[], BinaryIO]:
    return lambda: store.open(sha256)


def evidence_annexes(
    session: Session, req: MlaRequest, store: BlobStore
) -> tuple[EvidenceAnnex, ...]:
    ids = [a.evidence_item_id for a in req.annexes]
    if not ids:
        return ()
    items = session.scalars(
        sa.select(EvidenceItem).where(EvidenceItem.id.in_(ids)).order_by(EvidenceItem.number)
    )
    return tuple(
        EvidenceAnnex(
            number=item.reference,
            description=item.description,
            kind=item.kind,
            sha256=item.sha256 or "",
            sha1=item.sha1 or "",
            md5=item.md5 or "",
            size=item.size or 0,
            media_type=item.media_type or "application/octet-stream",
            acquired_at=item.acquired_at,
            acquired_by=item.acquired_by,
            method=item.acquisition_method,
            filename=item.filename or f"{item.reference.replace('/', '_')}.bin",
            open_bytes=_open(store, item.sha256 or ""),
        )
        for item in items
    )


def link_chart(session: Session, req: MlaRequest) -> LinkChart:
    """The request's identifiers and the case's current (not retracted) links among them and
    their direct neighbours, persons excluded (a packet names selectors, not people)."""
    named = {i.entity_id for i in req.identifiers}
    links = (
        list(
            session.scalars(
                sa.select(Link)
                .where(
                    Link.case_id == req.case_id,
                    Link.retracted_at.is_(None),
                    sa.or_(Link.source_id.in_(named), Link.target_id.in_(named)),
                )
                .order_by(Link.id)
            )
        )
        if named
        else []
    )
    nodes: dict[int, ChartNode] = {
        i.entity_id: ChartNode(id=f"e{i.entity_id}", label=i.value, kind=i.kind)
        for i in req.identifiers
    }
    edges = []
    for link in links:
        ends = (link.source, link.target)
        if any(e.kind == "person" for e in ends):
            continue
        for entity in ends:
            nodes.setdefault(
                entity.id,
                ChartNode(id=f"e{entity.id}", label=entity.label or entity.value, kind=entity.kind),
            )
        edges.append(ChartEdge(f"e{link.source_id}", f"e{link.target_id}", link.type))
    return LinkChart(nodes=tuple(nodes.values()), edges=tuple(edges))


def packet_data(
    session: Session,
    req: MlaRequest,
    *,
    store: BlobStore,
    custody: CustodyExtract,
    now: datetime,
    include_files: bool = True,
) -> PacketData:
    """Everything the packet of `req` contains, read from SQL (no access check here)."""
    case = session.get(Case, req.case_id)
    assert case is not None
    author = _signatory(session, req.author_id, req.submitted_at or req.created_at)
    assert author is not None
    doc = RequestDoc(
        reference=f"{case.reference}/R-{req.number:02d}",
        case_reference=case.reference,
        request_types=tuple(t for t in legal_basis.REQUEST_TYPES if t in req.types),
        instrument=instrument_for(req),
        requesting_authority=Authority(
            name=req.requesting_authority,
            address=req.authority_address,
            contact_person=req.contact_person,
            phone=req.contact_phone,
            email=req.contact_email,
            contact_24_7=req.contact_24_7,
            time_zone=req.time_zone,
        ),
        requested_state=RequestedState(
            code=req.requested_state,
            name=jurisdictions.get(req.requested_state).name,
            central_authority=req.central_authority,
        ),
        urgency=req.urgency,  # type: ignore[arg-type]
        urgency_reason=req.urgency_reason,
        deadline=None,
        language=req.language,
        summary_of_facts=req.summary_of_facts,
        offences=tuple(Offence(o.name, o.provision, o.maximum_penalty) for o in req.offences),
        identifiers=tuple(
            Identifier(i.kind, i.value, i.observed_at, i.port, i.relevance) for i in req.identifiers
        ),
        time_range=TimeRange(req.time_from, req.time_to) if req.time_from and req.time_to else None,
        necessity=req.necessity,
        confidentiality=req.confidentiality,
        earlier_requests=tuple(
            line.strip() for line in req.earlier_requests.splitlines() if line.strip()
        ),
        sections=_sections(req),
        author=author,
        approver=_signatory(session, req.approver_id, req.approved_at),
    )
    return PacketData(
        request=doc,
        evidence=evidence_annexes(session, req, store),
        custody=custody,
        chart=link_chart(session, req),
        generated_at=now,
        include_files=include_files,
    )
