"""A request's workflow after drafting: submission, four-eyes approval or return, sent,
acknowledged, extended, closed. Must not import flask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.auth import services as auth_services
from caseflow.auth.models import User
from caseflow.errors import ConflictError, PermissionDenied, ValidationError
from caseflow.mla.models import (
    MlaRequest,
)
from caseflow.mla.services.common import RUNNING, _audit, _load, _move, _prepare
from caseflow.mla.services.drafting import _resolve, checklist


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
    refused, counted towards lockout and audited (kept after the rollback: caseflow.uow).
    """
    req, user = _approver(session, actor, request_id)
    if req.status != "submitted":
        raise ConflictError(f"A request that is {req.status} cannot be approved.")
    auth_services.verify_totp(session, user, totp_code, settings=settings, now=now, origin=origin)
    _move(req, "approve")
    req.approver_id = user.id
    req.approved_at = req.updated_at = now
    _audit(session, actor, "request.approve", "alteration", req, details={"step_up": "totp"})
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
