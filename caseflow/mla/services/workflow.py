"""A request's workflow after drafting: submission, four-eyes approval or return, sent,
acknowledged, extended, closed. Must not import flask."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.auth import services as auth_services
from caseflow.auth.models import User
from caseflow.errors import ConflictError, PermissionDenied, ValidationError
from caseflow.evidence import services as evidence_services
from caseflow.ledger import LedgerSigner
from caseflow.mla.models import MlaApproval, MlaApprovalTranslation, MlaRequest
from caseflow.mla.packet import AUTHORITY_KINDS, needs_validation, packet_data
from caseflow.mla.services.common import RUNNING, _audit, _load, _move, _prepare
from caseflow.mla.services.drafting import _resolve, checklist
from caseflow.mla.services.languages import language_gap, language_records
from caseflow.mla.signing import AuthoritySigners, SigningError, signature_steps
from exports import snapshot
from exports.model import SignerCertificates, TranslationAnnex
from exports.packet import approve_document
from exports.signing import PdfSigner, Timestamping, sign_pdf


def submit_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    now: datetime,
    treaties: Mapping[str, str] | None = None,
) -> MlaRequest:
    """Submit for approval. Refused (ValidationError naming every missing or invalid item,
    with its form reference and why) while any item the legal basis requires is not done, or
    the basis's own conditions do not hold on these facts."""
    req = _prepare(session, actor, request_id)
    _resolve(req, now, treaties)
    missing = [item for item in checklist(req, on=now.date(), treaties=treaties) if not item.ok]
    if missing:
        names = "; ".join(m.message for m in missing)
        raise ValidationError(f"Missing before submission: {names}.", field="checklist")
    _move(req, "submit")
    req.submitted_at = req.updated_at = now
    req.return_reason = ""
    _audit(session, actor, "request.submit", "alteration", req, details={"basis": req.legal_basis})
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


@dataclass(frozen=True)
class AuthorityBlock:
    """The issuing authority's block recorded at approval (the person who signs for the
    requesting authority, their post, place and the stamp or seal used) and, where the
    instrument needs one, the validating authority and the person who signs for it."""

    issuer_kind: str = ""
    issuer_name: str = ""
    issuer_post: str = ""
    issuer_place: str = ""
    issuer_seal: str = ""
    validator_authority: str = ""
    validator_name: str = ""
    validator_post: str = ""


_BLOCK_LIMITS = {
    "issuer_name": ("Issuing authority: name of the signatory", 200),
    "issuer_post": ("Issuing authority: post", 200),
    "issuer_place": ("Issuing authority: place", 200),
    "issuer_seal": ("Issuing authority: stamp or seal", 300),
    "validator_authority": ("Validating authority", 300),
    "validator_name": ("Validating authority: name of the signatory", 200),
    "validator_post": ("Validating authority: post", 200),
}


def _clean_block(req: MlaRequest, block: AuthorityBlock) -> dict[str, str]:
    values = {name: " ".join(str(getattr(block, name)).split()) for name in _BLOCK_LIMITS}
    for name, (label, limit) in _BLOCK_LIMITS.items():
        if len(values[name]) > limit:
            raise ValidationError(f"{label}: at most {limit} characters.", field=name)
    for name in ("issuer_name", "issuer_post"):
        if not values[name]:
            raise ValidationError(f"{_BLOCK_LIMITS[name][0]}: required.", field=name)
    if block.issuer_kind not in AUTHORITY_KINDS:
        raise ValidationError(
            f"Issuing authority: type must be one of {', '.join(AUTHORITY_KINDS)}.",
            field="issuer_kind",
        )
    validator = [n for n in ("validator_authority", "validator_name", "validator_post")]
    if any(values[n] for n in validator):
        for name in validator:
            if not values[name]:
                raise ValidationError(
                    f"{_BLOCK_LIMITS[name][0]}: required with a validating authority.", field=name
                )
    categories = tuple(c for c in ("traffic", "content") if c in req.categories)
    if not values["validator_authority"] and needs_validation(
        req.legal_basis, block.issuer_kind, categories
    ):
        raise ValidationError(
            f"Validating authority: required for a {req.legal_basis} issued by a "
            f"{block.issuer_kind} (name the judge, court or prosecutor that validates it).",
            field="validator_authority",
        )
    return {**values, "issuer_kind": block.issuer_kind}


def approve_request(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    totp_code: str,
    settings: auth_services.AuthSettings,
    origin: auth_services.Origin,
    authority: AuthorityBlock,
    ledger_signer: LedgerSigner,
    signer: PdfSigner,
    authorities: AuthoritySigners,
    now: datetime,
    tsa: Timestamping | None = None,
    organisation: str = "CaseFlow",
) -> MlaRequest:
    """Four-eyes approval: a supervisor other than the author, re-entering a current TOTP code.

    The code goes through caseflow.auth.services.verify_totp, so a replayed or wrong code is
    refused, counted towards lockout and audited (kept after the rollback: caseflow.uow).

    The approval records the issuing authority's block (and the validating authority's where
    the instrument needs one: caseflow.mla.packet.needs_validation) and freezes everything
    the packet will show (exports.snapshot: facts, identifiers, link chart, evidence list
    with hashes, the custody extract proven against a tree head signed now with
    `ledger_signer`) into an append-only MlaApproval row with the snapshot's SHA-256, and
    signs the request PDF rendered from it: first the issuing authority's signatory and the
    validating authority's (certificates from `authorities`), last the installation's seal
    (`signer`); PAdES B-LT with `tsa`, B-B without. An export packs that PDF and renders its
    other members from the snapshot only.
    """
    req, user = _approver(session, actor, request_id)
    if req.status != "submitted":
        raise ConflictError(f"A request that is {req.status} cannot be approved.")
    values = _clean_block(req, authority)
    records = language_records(session, req.id)
    gap = language_gap(req, records)
    if gap:
        raise ValidationError(f"Language: {gap}", field="translation")
    auth_services.verify_totp(session, user, totp_code, settings=settings, now=now, origin=origin)
    _move(req, "approve")
    req.approver_id = user.id
    req.approved_at = req.updated_at = now
    approval = MlaApproval(request_id=req.id, approver_id=user.id, approved_at=now, **values)
    try:
        steps = signature_steps(
            authorities,
            signer,
            authority=req.requesting_authority,
            issuer_name=values["issuer_name"],
            issuer_post=values["issuer_post"],
            place=values["issuer_place"],
            validator_authority=values["validator_authority"],
            validator_name=values["validator_name"],
            validator_post=values["validator_post"],
            organisation=organisation,
        )
    except SigningError as exc:
        raise ValidationError(f"Signing certificate: {exc}", field="issuer_name") from exc
    item_ids = [a.evidence_item_id for a in req.annexes]
    extract = evidence_services.custody_extract(session, actor, item_ids, now, signer=ledger_signer)
    data = packet_data(
        session, req, store=None, custody=extract.to_packet(), now=now, approval=approval
    )
    data = dataclasses.replace(
        data,
        signers=tuple(
            SignerCertificates(
                step.role,
                step.signer.cert_pem.decode("ascii"),
                tuple(pem.decode("ascii") for pem in step.signer.chain_pem),
                (step.signer.root_pem or b"").decode("ascii"),
            )
            for step in steps
            if step.role
        ),
    )
    # Certified translations, the latest per language, sealed with the document.
    latest = {r.language: r for r in records if r.kind == "translation" and r.content}
    signed: dict[str, bytes] = {}
    for language, record in sorted(latest.items()):
        assert record.content is not None
        signed[language] = sign_pdf(
            record.content,
            signer,
            field="CaseFlow",
            reason=f"Certified translation ({language}) by {record.translator_name}, sealed "
            f"with request {data.request.reference} as approved",
            name=organisation,
            tsa=tsa,
        )
    data = dataclasses.replace(
        data,
        request=dataclasses.replace(
            data.request,
            translations=tuple(
                f"{language} by {latest[language].translator_name} "
                f"({latest[language].certification}), translations/{language}.pdf"
                for language in signed
            ),
        ),
        translations=tuple(
            TranslationAnnex(
                language,
                latest[language].translator_name,
                latest[language].certification,
                hashlib.sha256(pdf).hexdigest(),
                len(pdf),
                open_bytes=functools.partial(io.BytesIO, pdf),
            )
            for language, pdf in signed.items()
        ),
    )
    approval.snapshot = snapshot.freeze(data)
    approval.snapshot_sha256 = snapshot.digest(approval.snapshot)

    def sign(pdf: bytes) -> bytes:
        for step in steps:
            try:
                pdf = sign_pdf(
                    pdf,
                    step.signer,
                    field=step.field,
                    reason=step.reason,
                    name=step.name,
                    location=step.location or None,
                    tsa=tsa,
                )
            except Exception as exc:
                if tsa is None:
                    raise
                raise ConflictError(
                    f"The {step.field} signature could not be timestamped by {tsa.url} "
                    f"({type(exc).__name__}: {exc}); nothing was approved."
                ) from exc
        return pdf

    document = approve_document(data, signer, sign)
    approval.packet_digest = document.digest
    approval.document_pdf = document.pdf
    approval.document_sha256 = hashlib.sha256(document.pdf).hexdigest()
    session.add(approval)
    for language, pdf in signed.items():
        session.add(
            MlaApprovalTranslation(
                approval=approval,
                language=language,
                sha256=hashlib.sha256(pdf).hexdigest(),
                pdf=pdf,
            )
        )
    _audit(
        session,
        actor,
        "request.approve",
        "alteration",
        req,
        details={
            "step_up": "totp",
            "snapshot_sha256": approval.snapshot_sha256,
            "issuer": f"{values['issuer_name']}, {values['issuer_post']}",
            "validator": values["validator_authority"],
        },
    )
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
    return req


def reopen_request(
    session: Session, actor: Actor, request_id: int, *, reason: str, now: datetime
) -> MlaRequest:
    """Reopen an approved (or exported, not yet sent) request so that a later change of the
    case can reach its packet: the packet is frozen at approval, so the request goes back to
    "returned" with the reason, to be resubmitted and approved again (a new approval record;
    earlier ones stay)."""
    req = _prepare(session, actor, request_id)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Reason: say what changed since approval.", field="reason")
    _move(req, "reopen")
    req.return_reason = reason
    req.updated_at = now
    _audit(session, actor, "request.reopen", "alteration", req, details={"reason": reason})
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
    return req
