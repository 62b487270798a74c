"""MLA request rules: drafting, legal basis, completeness, four-eyes approval, workflow, clocks.

Each use case checks access (caseflow.policy, caseflow.cases.services.case_for), writes its
audit record in the same transaction and commits once. Must not import flask.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from caseflow import jurisdictions, policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.auth import services as auth_services
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.cases.services import case_for, member_case_ids
from caseflow.entities.errors import InvalidIdentifier
from caseflow.entities.models import CaseEntity, Entity, Observation
from caseflow.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from caseflow.evidence import services as evidence_services
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import EvidenceItem
from caseflow.mla import clocks, completeness, legal_basis
from caseflow.mla.models import (
    PROCEEDINGS_STAGES,
    MlaAnnex,
    MlaIdentifier,
    MlaOffence,
    MlaRequest,
)
from caseflow.mla.packet import packet_data
from exports.packet import build_packet
from exports.signing import PdfSigner

# Which status each workflow step starts from and leads to. Export and re-export are
# separate use cases (they build a packet); everything else moves along this table.
TRANSITIONS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "returned"), "submitted"),
    "approve": (("submitted",), "approved"),
    "return": (("submitted",), "returned"),
    "export": (("approved", "exported"), "exported"),
    "send": (("exported",), "sent"),
    "acknowledge": (("sent",), "acknowledged"),
    "fulfil": (("sent", "acknowledged"), "fulfilled"),
    "refuse": (("sent", "acknowledged"), "refused"),
    "withdraw": (
        ("draft", "submitted", "approved", "returned", "exported", "sent", "acknowledged"),
        "withdrawn",
    ),
}
# Statuses whose contents are frozen: after submission, only a return reopens editing.
EDITABLE_STATUSES = ("draft", "returned")
# Statuses in which the clocks run.
RUNNING = ("sent", "acknowledged")

TEXT_FIELDS = (
    "requesting_authority",
    "authority_address",
    "contact_person",
    "contact_phone",
    "contact_email",
    "contact_24_7",
    "time_zone",
    "central_authority",
    "holder_name",
    "summary_of_facts",
    "necessity",
    "urgency_reason",
    "confidentiality",
    "use_limits",
    "earlier_requests",
    "language",
)


def reference(case: Case, request: MlaRequest) -> str:
    """The request reference, e.g. CF-2026-0001/R-01."""
    return f"{case.reference}/R-{request.number:02d}"


def _audit(
    session: Session, actor: Actor, action: str, category: str, req: MlaRequest, **kw
) -> None:
    record_event(
        session,
        actor,
        action,
        category=category,
        object_type="mla_request",
        object_id=req.id,
        case_id=req.case_id,
        purpose=actor.purpose_for(req.case_id),
        **kw,
    )


def _state(code: str, label: str, field: str) -> str:
    try:
        return jurisdictions.get(code).code
    except InvalidIdentifier as exc:
        raise ValidationError(f"{label}: {exc.rule}.", field=field) from exc


def _load(session: Session, actor: Actor, request_id: int, *, write: bool = False) -> MlaRequest:
    req = session.get(MlaRequest, request_id)
    if req is None:
        raise NotFoundError("No such request, or you are not a member of its case.")
    case_for(session, actor, req.case_id, write=write)
    return req


def _prepare(session: Session, actor: Actor, request_id: int) -> MlaRequest:
    policy.require_permission(actor, "request.prepare")
    return _load(session, actor, request_id, write=True)


def _move(req: MlaRequest, step: str) -> str:
    sources, target = TRANSITIONS[step]
    if req.status not in sources:
        raise ConflictError(f"A request that is {req.status} cannot be {_PAST[step]}.")
    before, req.status = req.status, target
    return before


_PAST = {
    "submit": "submitted",
    "approve": "approved",
    "return": "returned",
    "export": "exported",
    "send": "marked sent",
    "acknowledge": "marked acknowledged",
    "fulfil": "marked fulfilled",
    "refuse": "marked refused",
    "withdraw": "withdrawn",
}


def bilateral_treaty(treaties: Mapping[str, str], a: str, b: str) -> str | None:
    """The agency-configured treaty for a pair of states, whichever way round it is listed."""
    return treaties.get(f"{a}-{b}") or treaties.get(f"{b}-{a}")


def basis_facts(
    req: MlaRequest, *, on: date, treaties: Mapping[str, str] | None = None
) -> legal_basis.BasisFacts:
    return legal_basis.BasisFacts(
        requesting_state=req.requesting_state,
        requested_state=req.requested_state,
        on=on,
        request_types=req.types,
        holder_kind=req.holder_kind,
        urgency=req.urgency,
        child_offence=req.child_offence,
        bilateral_treaty=bilateral_treaty(
            treaties or {}, req.requesting_state, req.requested_state
        ),
    )


def _resolve(req: MlaRequest, now: datetime, treaties: Mapping[str, str] | None) -> None:
    """Refresh the proposal; follow it unless the officer overrode the basis with a reason."""
    proposal = legal_basis.propose(basis_facts(req, on=now.date(), treaties=treaties))
    req.proposed_basis = proposal.primary.code
    req.basis_explanation = proposal.explanation()
    if not req.override_reason:
        req.legal_basis = proposal.primary.code


def create_request(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    requested_state: str,
    request_types: Iterable[str],
    now: datetime,
    treaties: Mapping[str, str] | None = None,
    **fields: object,
) -> MlaRequest:
    """Open a draft request in a case; the requesting state is the case's lead jurisdiction.

    The legal basis is proposed at once. Audited as collection.
    """
    policy.require_permission(actor, "request.prepare")
    case = case_for(session, actor, case_id, write=True)
    number = (
        session.scalar(
            sa.select(sa.func.max(MlaRequest.number)).where(MlaRequest.case_id == case.id)
        )
        or 0
    ) + 1
    req = MlaRequest(
        case_id=case.id,
        number=number,
        status="draft",
        author_id=actor.user_id,
        created_at=now,
        updated_at=now,
        requesting_state=case.lead_jurisdiction,
        requested_state=_state(requested_state, "Requested state", "requested_state"),
        request_types=_types(request_types),
    )
    _apply(req, fields)
    _resolve(req, now, treaties)
    session.add(req)
    session.flush()
    _audit(session, actor, "request.create", "collection", req, details={"number": number})
    session.commit()
    return req


def _types(values: Iterable[str]) -> str:
    chosen = [v for v in legal_basis.REQUEST_TYPES if v in set(values)]
    unknown = set(values) - set(legal_basis.REQUEST_TYPES)
    if unknown:
        raise ValidationError(
            f"Type of assistance: one or more of {', '.join(legal_basis.REQUEST_TYPES)}.",
            field="request_types",
        )
    return ",".join(chosen)


def _apply(req: MlaRequest, fields: Mapping[str, object]) -> list[str]:
    """Copy allowed fields onto the request (no mass assignment); return the changed names."""
    changed = []
    for name, value in fields.items():
        if name in TEXT_FIELDS:
            value = str(value or "").strip()
        elif name == "requested_state":
            value = _state(str(value), "Requested state", "requested_state")
        elif name == "request_types":
            value = _types(value)  # type: ignore[arg-type]
        elif name == "holder_kind":
            if value not in legal_basis.HOLDER_KINDS:
                raise ValidationError(
                    f"Holder: one of {', '.join(legal_basis.HOLDER_KINDS)}.", field="holder_kind"
                )
        elif name == "urgency":
            if value not in legal_basis.URGENCIES:
                raise ValidationError(
                    f"Urgency: one of {', '.join(legal_basis.URGENCIES)}.", field="urgency"
                )
        elif name == "proceedings_stage":
            if value not in PROCEEDINGS_STAGES:
                raise ValidationError(
                    f"Proceedings stage: one of {', '.join(PROCEEDINGS_STAGES)}.",
                    field="proceedings_stage",
                )
        elif name in ("production_to_follow", "child_offence"):
            value = bool(value)
        elif name in ("time_from", "time_to"):
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise ValidationError(
                    "Time range: give dates and times with a time zone.", field=name
                )
        else:
            continue
        if getattr(req, name) != value:
            setattr(req, name, value)
            changed.append(name)
    if req.time_from and req.time_to and req.time_from > req.time_to:
        raise ValidationError("Time range: the start must be before the end.", field="time_from")
    return changed


def update_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    now: datetime,
    treaties: Mapping[str, str] | None = None,
    **fields: object,
) -> MlaRequest:
    """Change a draft (or returned) request; the legal-basis proposal is refreshed.

    Audited as alteration with the changed field names only.
    """
    req = _prepare(session, actor, request_id)
    _editable(req)
    changed = _apply(req, fields)
    _resolve(req, now, treaties)
    if changed:
        req.updated_at = now
        _audit(session, actor, "request.update", "alteration", req, details={"fields": changed})
    session.commit()
    return req


def _editable(req: MlaRequest) -> None:
    if req.status not in EDITABLE_STATUSES:
        raise ConflictError(f"A request that is {req.status} cannot be changed.")


def set_legal_basis(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    code: str,
    reason: str,
    now: datetime,
    treaties: Mapping[str, str] | None = None,
) -> MlaRequest:
    """Choose the legal basis. Choosing anything but the proposal needs a reason (kept and
    audited); choosing the proposal clears any override."""
    req = _prepare(session, actor, request_id)
    _editable(req)
    if code not in legal_basis.instrument_codes():
        raise ValidationError("Legal basis: choose a listed instrument.", field="legal_basis")
    _resolve(req, now, treaties)
    reason = " ".join(reason.split())
    if code == req.proposed_basis:
        req.override_reason = ""
    elif len(reason) < 10:
        raise ValidationError(
            "Reason for override: say in at least 10 characters why the proposed basis "
            f"({req.proposed_basis}) does not fit.",
            field="override_reason",
        )
    else:
        req.override_reason = reason
    req.legal_basis = code
    req.updated_at = now
    _audit(
        session,
        actor,
        "request.legal_basis",
        "alteration",
        req,
        details={
            "code": code,
            "proposed": req.proposed_basis,
            "override": bool(req.override_reason),
        },
    )
    session.commit()
    return req


def add_offence(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    name: str,
    provision: str,
    maximum_penalty: str,
    now: datetime,
) -> MlaOffence:
    req = _prepare(session, actor, request_id)
    _editable(req)
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Offence: required.", field="name")
    offence = MlaOffence(
        request_id=req.id,
        name=name[:300],
        provision=provision.strip()[:300],
        maximum_penalty=maximum_penalty.strip()[:100],
    )
    req.offences.append(offence)  # keeps a loaded collection current for later checks
    req.updated_at = now
    session.flush()
    _audit(session, actor, "request.offence_add", "alteration", req, details={"id": offence.id})
    session.commit()
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


def request_facts(req: MlaRequest) -> completeness.RequestFacts:
    """The request as the completeness checklist sees it."""
    return completeness.RequestFacts(
        requesting_authority=req.requesting_authority,
        contact_person=req.contact_person,
        contact_phone=req.contact_phone,
        contact_email=req.contact_email,
        contact_24_7=req.contact_24_7,
        time_zone=req.time_zone,
        requested_state=req.requested_state,
        central_authority=req.central_authority,
        request_types=req.types,
        holder_name=req.holder_name,
        proceedings_stage=req.proceedings_stage,
        identifiers=tuple(
            completeness.IdentifierFacts(i.kind, i.value, i.observed_at, i.port, i.relevance)
            for i in req.identifiers
        ),
        time_from=req.time_from,
        time_to=req.time_to,
        offences=tuple(
            completeness.OffenceFacts(o.name, o.provision, o.maximum_penalty) for o in req.offences
        ),
        summary_of_facts=req.summary_of_facts,
        necessity=req.necessity,
        urgency=req.urgency,
        urgency_reason=req.urgency_reason,
        production_to_follow=req.production_to_follow,
        earlier_requests=req.earlier_requests,
        confidentiality=req.confidentiality,
        use_limits=req.use_limits,
        language=req.language,
    )


def checklist(req: MlaRequest) -> tuple[completeness.ChecklistItem, ...]:
    """The pre-flight checklist of the request's legal basis (every item, done or not)."""
    return completeness.checklist(request_facts(req), req.legal_basis)


def _changes_legal_basis_without_reason(req: MlaRequest) -> bool:
    return req.legal_basis != req.proposed_basis and not req.override_reason


def submit_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    now: datetime,
    treaties: Mapping[str, str] | None = None,
) -> MlaRequest:
    """Submit for approval. Refused (ValidationError naming every missing item) while any
    item the legal basis requires is missing."""
    req = _prepare(session, actor, request_id)
    _resolve(req, now, treaties)
    missing = [item for item in checklist(req) if not item.ok]
    if missing:
        names = "; ".join(f"{m.label} ({m.problem})" for m in missing)
        raise ValidationError(f"Missing before submission: {names}.", field="checklist")
    _move(req, "submit")
    req.submitted_at = req.updated_at = now
    req.return_reason = ""
    _audit(session, actor, "request.submit", "alteration", req, details={"basis": req.legal_basis})
    session.commit()
    return req


def _approver(session: Session, actor: Actor, request_id: int) -> tuple[MlaRequest, User]:
    policy.require_permission(actor, "request.approve")
    req = _load(session, actor, request_id)
    if not policy.may_approve_request(actor, author_id=req.author_id):
        raise PermissionDenied("The author of a request cannot approve or return it.")
    user = session.get(User, actor.user_id)
    if user is None:
        raise PermissionDenied("Approval needs a personal account.")
    return req, user


def approve_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    totp_code: str,
    settings: auth_services.AuthSettings,
    origin: auth_services.Origin,
    now: datetime,
) -> MlaRequest:
    """Four-eyes approval: a supervisor other than the author, re-entering a current TOTP code.

    The code goes through caseflow.auth.services.verify_totp, so a replayed or wrong code is
    refused, counted towards lockout and audited (that failure is committed on its own).
    """
    req, user = _approver(session, actor, request_id)
    if req.status != "submitted":
        raise ConflictError(f"A request that is {req.status} cannot be approved.")
    auth_services.verify_totp(session, user, totp_code, settings=settings, now=now, origin=origin)
    _move(req, "approve")
    req.approver_id = user.id
    req.approved_at = req.updated_at = now
    _audit(session, actor, "request.approve", "alteration", req, details={"step_up": "totp"})
    session.commit()
    return req


def return_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    reason: str,
    totp_code: str,
    settings: auth_services.AuthSettings,
    origin: auth_services.Origin,
    now: datetime,
) -> MlaRequest:
    """A supervisor other than the author sends the request back with a reason (TOTP too)."""
    req, user = _approver(session, actor, request_id)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Reason: say what must change.", field="reason")
    if req.status != "submitted":
        raise ConflictError(f"A request that is {req.status} cannot be returned.")
    auth_services.verify_totp(session, user, totp_code, settings=settings, now=now, origin=origin)
    _move(req, "return")
    req.return_reason = reason
    req.updated_at = now
    _audit(session, actor, "request.return", "alteration", req, details={"step_up": "totp"})
    session.commit()
    return req


def mark_sent(
    session: Session, actor: Actor, request_id: int, *, sent_to: str, now: datetime
) -> MlaRequest:
    """The exported packet went out (to whom: authority or channel). The clocks start."""
    req = _prepare(session, actor, request_id)
    sent_to = " ".join(sent_to.split())
    if not sent_to:
        raise ValidationError("Sent to: name the authority or channel.", field="sent_to")
    _move(req, "send")
    req.sent_at = req.updated_at = now
    req.sent_to = sent_to[:300]
    _audit(
        session, actor, "request.send", "disclosure", req, details={"state": req.requested_state}
    )
    session.commit()
    return req


def mark_acknowledged(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    foreign_reference: str,
    now: datetime,
) -> MlaRequest:
    """Receipt acknowledged by the requested state or provider, with their reference."""
    req = _prepare(session, actor, request_id)
    _move(req, "acknowledge")
    req.acknowledged_at = req.updated_at = now
    req.foreign_reference = " ".join(foreign_reference.split())[:120]
    _audit(session, actor, "request.acknowledge", "alteration", req)
    session.commit()
    return req


def record_extension(
    session: Session, actor: Actor, request_id: int, *, now: datetime
) -> MlaRequest:
    """The preservation was extended (2703(f) second 90 days, EPOC-PR Annex VI)."""
    req = _prepare(session, actor, request_id)
    if req.status not in RUNNING:
        raise ConflictError("Only a sent request's preservation can be extended.")
    req.extended_at = req.updated_at = now
    _audit(session, actor, "request.extend", "alteration", req)
    session.commit()
    return req


def close_request(
    session: Session, actor: Actor, request_id: int, *, outcome: str, note: str, now: datetime
) -> MlaRequest:
    """End the request: "fulfil", "refuse" or "withdraw"."""
    if outcome not in ("fulfil", "refuse", "withdraw"):
        raise ValidationError("Outcome: fulfilled, refused or withdrawn.", field="outcome")
    req = _prepare(session, actor, request_id)
    _move(req, outcome)
    req.closed_at = req.updated_at = now
    req.outcome_note = note.strip()
    _audit(session, actor, f"request.{outcome}", "alteration", req)
    session.commit()
    return req


def view_request(session: Session, actor: Actor, request_id: int) -> MlaRequest:
    """Open a request page: access checked, consultation audited."""
    req = _load(session, actor, request_id)
    req = session.scalars(
        sa.select(MlaRequest)
        .where(MlaRequest.id == req.id)
        .options(
            selectinload(MlaRequest.offences),
            selectinload(MlaRequest.identifiers),
            selectinload(MlaRequest.annexes),
            selectinload(MlaRequest.author),
            selectinload(MlaRequest.approver),
        )
    ).one()
    _audit(session, actor, "request.view", "consultation", req)
    session.commit()
    return req


def case_requests(session: Session, case_id: int) -> list[MlaRequest]:
    """Requests of a case the caller already may read (the case page checked access)."""
    return list(
        session.scalars(
            sa.select(MlaRequest).where(MlaRequest.case_id == case_id).order_by(MlaRequest.number)
        )
    )


@dataclass(frozen=True)
class DueItem:
    """A clock date of one request, for the dashboard and the case panel."""

    request_id: int
    case_id: int
    reference: str
    requested_state: str
    due: clocks.Due
    state: str  # overdue | due-soon | later


def request_clocks(req: MlaRequest) -> tuple[clocks.Due, ...]:
    """The running clocks of a sent request (EPOC counts from receipt when known)."""
    if req.status not in RUNNING or req.sent_at is None:
        return ()
    profile = clocks.profile_for(req.legal_basis, req.requested_state, req.types)
    start = req.sent_at
    if req.legal_basis == "EPOC" and req.acknowledged_at is not None:
        start = req.acknowledged_at
    return clocks.clocks(
        profile, start, emergency=req.urgency == "emergency", extended=req.extended_at is not None
    )


def due_items(
    session: Session, actor: Actor, now: datetime, *, case_id: int | None = None
) -> list[DueItem]:
    """Deadlines and reminders of running requests in the actor's cases, soonest first.

    Passed reminders drop off once a later date of the same clock is also past; deadlines
    stay (as overdue) until the request is closed.
    """
    ids = member_case_ids(session, actor) if case_id is None else frozenset({case_id})
    if not ids:
        return []
    rows = session.execute(
        sa.select(MlaRequest, Case)
        .join(Case, Case.id == MlaRequest.case_id)
        .where(MlaRequest.case_id.in_(ids), MlaRequest.status.in_(RUNNING))
    ).all()
    out = []
    for req, case in rows:
        dates = request_clocks(req)
        for n, due in enumerate(dates):
            later_past = any(d.due_at <= now for d in dates[n + 1 :])
            if due.kind == "reminder" and later_past:
                continue
            out.append(
                DueItem(
                    req.id,
                    case.id,
                    reference(case, req),
                    req.requested_state,
                    due,
                    clocks.state_of(due, now),
                )
            )
    return sorted(out, key=lambda d: d.due.due_at)


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
    session.commit()
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


def case_evidence_choices(session: Session, case_id: int) -> list[EvidenceItem]:
    """Items of a case that can be annexed (files CaseFlow holds); caller checked access."""
    return list(
        session.scalars(
            sa.select(EvidenceItem)
            .where(EvidenceItem.case_id == case_id, EvidenceItem.kind == "file")
            .order_by(EvidenceItem.number)
        )
    )


@dataclass(frozen=True)
class ExportResult:
    """An exported packet: the ZIP's path and SHA-256, and the packet digest in the PDF."""

    path: Path
    sha256: str
    digest: str


def packet_path(out_dir: Path, sha256: str) -> Path:
    return Path(out_dir) / f"{sha256}.zip"


def export_packet(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    recipient: str,
    signer: PdfSigner,
    store: BlobStore,
    out_dir: Path,
    now: datetime,
    include_files: bool = True,
) -> ExportResult:
    """Build the signed packet of an approved request into `out_dir/<sha256>.zip`.

    In one transaction: an "exported" custody event per evidence annex (to `recipient`), a
    freshly signed custody tree head proving those entries, and one audit record of category
    disclosure naming the recipient, the requested state and the legal basis. If the build
    fails nothing is recorded and no file is left behind.
    """
    req = _prepare(session, actor, request_id)
    if req.status not in TRANSITIONS["export"][0]:
        raise ConflictError(f"A request that is {req.status} cannot be exported.")
    recipient = " ".join(recipient.split())
    if not recipient:
        raise ValidationError("Recipient: name the authority the packet is for.", field="recipient")
    case = session.get(Case, req.case_id)
    assert case is not None
    ref = reference(case, req)
    item_ids = [a.evidence_item_id for a in req.annexes]
    evidence_services.record_export(
        session, actor, item_ids, recipient, now, purpose=f"MLA request {ref}", authority_ref=ref
    )
    extract = evidence_services.custody_extract(session, item_ids, now)
    data = packet_data(
        session,
        req,
        store=store,
        custody=extract.to_packet(),
        now=now,
        include_files=include_files,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".packet-", suffix=".zip", dir=out_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            summary = build_packet(data, signer, handle)
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0)
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        final = packet_path(out_dir, sha)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        session.rollback()
        raise
    _move(req, "export")
    req.exported_at = req.updated_at = now
    req.packet_sha256 = sha
    req.packet_digest = summary.digest
    _audit(
        session,
        actor,
        "request.export",
        "disclosure",
        req,
        details={
            "recipient": recipient,
            "requested_state": req.requested_state,
            "legal_basis": req.legal_basis,
            "evidence_items": item_ids,
            "packet_sha256": sha,
        },
    )
    session.commit()
    return ExportResult(final, sha, summary.digest)


def packet_file(session: Session, actor: Actor, request_id: int, *, out_dir: Path) -> Path:
    """The latest exported packet of a request, for download; audited as consultation."""
    req = _prepare(session, actor, request_id)
    if req.packet_sha256 is None:
        raise NotFoundError("This request has not been exported yet.")
    path = packet_path(out_dir, req.packet_sha256)
    if not path.is_file():
        raise NotFoundError("The exported packet file is missing; export it again.")
    _audit(
        session,
        actor,
        "request.packet_download",
        "consultation",
        req,
        details={"packet_sha256": req.packet_sha256},
    )
    session.commit()
    return path


def case_entity_choices(session: Session, case_id: int) -> list[Entity]:
    """Entities of a case that can be named in a request (persons excluded: a request names
    selectors, and victims must not travel); caller checked access."""
    return list(
        session.scalars(
            sa.select(Entity)
            .join(CaseEntity, CaseEntity.entity_id == Entity.id)
            .where(
                CaseEntity.case_id == case_id,
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
    if entity.kind in completeness.IP_KINDS and (observed_at is None or port is None):
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
    session.commit()
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
    session.commit()
