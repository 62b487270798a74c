"""Assemble an MLA packet's input (exports.model.PacketData) from SQL.

The packet builder (exports/) never sees the database: this module reads the request, its
case, evidence annexes and links, and hands frozen values over. Must not import flask.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import jurisdictions
from caseflow.cases.models import Case
from caseflow.entities.errors import InvalidIdentifier
from caseflow.entities.models import Link
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import EvidenceItem
from caseflow.mla import facts as F
from caseflow.mla import lifecycle as clocks
from caseflow.mla import routes
from caseflow.mla.models import MlaApproval, MlaRequest
from exports.model import (
    Addressee,
    Authority,
    ChartEdge,
    ChartNode,
    Contact,
    CustodyExtract,
    Deadline,
    EvidenceAnnex,
    Identifier,
    Instrument,
    LinkChart,
    Offence,
    PacketData,
    RequestDoc,
    RequestedState,
    SignatureBlock,
    TimeRange,
)


def instrument_for(req: MlaRequest) -> Instrument:
    """The instrument as printed: the basis the officer confirmed or chose, as a citation, with
    the instruments cited alongside it (e.g. OPSC Art. 6). The resolver's reasons (and an
    override's reason) stay in the app and its audit trail."""
    info = routes.instrument(req.legal_basis)
    cited = [info.label, *(routes.instrument(code).label for code in req.supplements)]
    return Instrument(code=info.code, label=info.label, legal_basis="; ".join(cited))


# Holder kinds as the addressee's description; unknown prints nothing.
_HOLDER_KINDS = {
    "service-provider": "service provider",
    "domain-registrar": "domain name registry or registrar",
    "financial": "bank or financial institution",
}
_ESTABLISHMENTS = ("designated-establishment", "legal-representative")
_AUTHORITY_KINDS = {
    "judge": "judge",
    "court": "court",
    "investigating-judge": "investigating judge",
    "prosecutor": "public prosecutor",
    "other": "other competent authority",
}


def _stated(value: str) -> bool | None:
    """A yes/no answer as a statement: None when nobody answered (never printed)."""
    return {"yes": True, "no": False}.get(value)


def _notified(req: MlaRequest) -> bool | None:
    """EPOC Section H: the enforcing state is notified for traffic or content data unless the
    officer stated that both the offence and the person are in the issuing state (Reg.
    2023/1543 Art. 8); not an EPOC for those data: nothing to say."""
    if req.legal_basis != "EPOC" or not req.categories & {"traffic", "content"}:
        return None
    return not (req.offence_in_issuing_state == "yes" and req.person_in_issuing_state == "yes")


def _both(a: str, b: str) -> bool | None:
    if a == "yes" and b == "yes":
        return True
    if "no" in (a, b):
        return False
    return None


def _period(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours % 24 or hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


AUTHORITY_KINDS = ("judge", "court", "investigating judge", "prosecutor", "other")


def needs_validation(code: str, issuer_kind: str, data_categories: tuple[str, ...]) -> bool:
    """Whether the instrument needs a validating authority for this issuer.

    EIO (Dir. 2014/41/EU Art. 2(c)(ii)): an issuing authority that is not a judge, court,
    investigating judge or prosecutor. EPOC (Reg. 2023/1543 Art. 4(1)-(2), (4)): for traffic
    or content data, any issuer but a judge, court or investigating judge; for subscriber data,
    an issuer that is not also a prosecutor. EPOC-PR (Art. 4(3)): an issuer that is not a
    judge, court, investigating judge or prosecutor. Other instruments: never.
    """
    judicial = issuer_kind in ("judge", "court", "investigating judge")
    if code == "EPOC" and {"traffic", "content"} & set(data_categories):
        return not judicial
    if code in ("EIO", "EPOC", "EPOC-PR"):
        return not judicial and issuer_kind != "prosecutor"
    return False


def with_authority(doc: RequestDoc, approval: MlaApproval) -> RequestDoc:
    """The document with the blocks an approval fills: the issuer's signature block (name,
    post, date, place, seal) and, when recorded, the validating authority and its block."""
    day = approval.approved_at.date()
    issuer = SignatureBlock(
        name=approval.issuer_name,
        post=approval.issuer_post,
        date=day,
        place=approval.issuer_place,
        seal=approval.issuer_seal,
    )
    if not approval.validator_authority:
        return dataclasses.replace(doc, issuer=issuer)
    return dataclasses.replace(
        doc,
        issuer=issuer,
        validating_authority=Authority(
            name=approval.validator_authority, file_reference=doc.reference
        ),
        validator=SignatureBlock(
            name=approval.validator_name, post=approval.validator_post, date=day
        ),
    )


def accepted_languages(req: MlaRequest, *, declared_only: bool = False) -> tuple[str, ...] | None:
    """The language codes the requested state accepts for this request's instrument (its
    declared EIO, EPOC or MLA list), else (unless `declared_only`) its official languages;
    None when the directory does not say."""
    from caseflow.mla.routes import instrument

    try:
        state = jurisdictions.get(req.requested_state)
        kind = instrument(req.legal_basis).kind
    except (InvalidIdentifier, KeyError):
        return None
    purpose = {"recognition": "eio", "order": "epoc"}.get(kind, "mla")
    found = state.accepted_languages(purpose)
    if found is None and not declared_only:
        found = state.accepted_languages("official")
    return tuple(found.codes) if found is not None else None


def deadlines_for(
    code: str, requested_state: str, measure: str, urgency: str, issued_at: datetime
) -> tuple[Deadline, ...]:
    """The deadlines the document prints, from the request's clocks: each as a period ("within
    8 hours of receipt") and the UTC instant it falls on if the request is received when
    issued. Reminders are the officer's, not the recipient's, and are left out."""
    profile = clocks.profile_for(code, requested_state, measure=measure)
    out = []
    for due in clocks.clocks(profile, issued_at, emergency=urgency == "emergency"):
        if due.kind != "deadline":
            continue
        label = due.label.split(" (", 1)[0]
        out.append(Deadline(label, f"{_period(due.due_at - issued_at)} from receipt", due.due_at))
    return tuple(out)


def _open(store: BlobStore, sha256: str) -> Callable[[], BinaryIO]:
    return lambda: store.open(sha256)


def opener(store: BlobStore) -> Callable[[str], Callable[[], BinaryIO]]:
    """Evidence bytes by SHA-256 for exports.snapshot.thaw."""
    return lambda sha256: _open(store, sha256)


def evidence_annexes(
    session: Session, req: MlaRequest, store: BlobStore | None
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
            open_bytes=_open(store, item.sha256 or "") if store is not None else None,
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
    store: BlobStore | None,
    custody: CustodyExtract,
    now: datetime,
    include_files: bool = True,
    approval: MlaApproval | None = None,
) -> PacketData:
    """Everything the packet of `req` contains, read from SQL (no access check here).
    `approval` gives the issuing (and validating) authority's block; without it the blocks
    print as blank lines. `store` None: evidence listed without its bytes (a snapshot)."""
    case = session.get(Case, req.case_id)
    assert case is not None
    reference = f"{case.reference}/R-{req.number:02d}"
    issued_at = req.approved_at or now
    accepted = accepted_languages(req)
    doc = RequestDoc(
        reference=reference,
        case_reference=case.reference,
        instrument=instrument_for(req),
        issuing_state=jurisdictions.get(req.requesting_state).name,
        issuing_authority=Authority(
            name=req.requesting_authority,
            kind=(approval.issuer_kind if approval and approval.issuer_kind else "")
            or _AUTHORITY_KINDS.get(req.issuing_authority_type, ""),
            address=req.authority_address,
            phone=req.contact_phone,
            email=req.contact_email,
            file_reference=req.issuing_file_reference or reference,
        ),
        validating_authority=Authority(
            name=req.validating_authority,
            kind=_AUTHORITY_KINDS.get(req.validating_authority_type, ""),
            file_reference=req.validating_file_reference,
        )
        if req.validating_authority
        else None,
        contact=Contact(
            person=req.contact_person,
            phone=req.contact_phone,
            email=req.contact_email,
            contact_24_7=req.contact_24_7,
            time_zone=req.time_zone,
        ),
        requested_state=RequestedState(
            code=req.requested_state,
            name=jurisdictions.get(req.requested_state).name,
            central_authority=req.central_authority,
            accepted_languages=accepted or (),
        ),
        urgency=req.urgency,  # type: ignore[arg-type]
        language="en",
        issued_on=issued_at.date(),
        addressee=Addressee(
            req.holder_name,
            _HOLDER_KINDS.get(req.holder_kind, ""),
            establishment=req.holder_eu_presence
            if req.holder_eu_presence in _ESTABLISHMENTS
            else "",
        )
        if req.holder_name
        else None,
        measures=(req.measure,) if req.measure != F.UNKNOWN else (),
        data_categories=tuple(c for c in F.CATEGORIES if c in req.categories),
        urgency_reason=req.urgency_reason,
        deadlines=deadlines_for(
            req.legal_basis, req.requested_state, req.measure, req.urgency, issued_at
        ),
        proceedings=req.proceedings_stage.capitalize(),
        summary_of_facts=req.summary_of_facts,
        offences=tuple(Offence(o.name, o.provision, o.maximum_penalty) for o in req.offences),
        formalities=req.formalities,
        legal_remedies=req.legal_remedies,
        immunities=req.immunities,
        # Statements only as the officer answered them; an unanswered one is never printed.
        transnational_organised_group=_both(req.transnational, req.organised_group),
        child_exploitation=_stated(req.child_exploitation),
        identifiers=tuple(
            Identifier(i.kind, i.value, i.observed_at, i.port, i.relevance) for i in req.identifiers
        ),
        time_range=TimeRange(req.time_from, req.time_to) if req.time_from and req.time_to else None,
        necessity=req.necessity,
        confidentiality=req.confidentiality,
        use_limits=req.use_limits,
        earlier_requests=tuple(
            line.strip() for line in req.earlier_requests.splitlines() if line.strip()
        ),
        enforcing_state_notified=_notified(req),
        production_to_follow=_stated(req.production_to_follow)
        if req.measure == "preserve"
        else None,
    )
    if approval is not None:
        doc = with_authority(doc, approval)
    return PacketData(
        request=doc,
        evidence=evidence_annexes(session, req, store),
        custody=custody,
        chart=link_chart(session, req),
        generated_at=now,
        include_files=include_files,
    )
