"""Drafting a request: its fields, the legal-basis proposal and override, the completeness
checklist. Must not import flask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.cases.services import case_for
from caseflow.errors import ValidationError
from caseflow.mla import completeness, legal_basis
from caseflow.mla.models import (
    PROCEEDINGS_STAGES,
    MlaRequest,
)
from caseflow.mla.services.common import (
    REQUEST_FIELDS,
    TEXT_FIELDS,
    _audit,
    _editable,
    _prepare,
    _state,
)


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
    """Copy the request's fields onto it, each checked by its kind; return the changed names.

    A name outside REQUEST_FIELDS is refused (no mass assignment, and a typo in a caller's
    field name does not pass silently), as caseflow.entities.normalize refuses its own.
    """
    unknown = sorted(str(name) for name in fields if name not in REQUEST_FIELDS)
    if unknown:
        raise ValidationError(
            f"Request: unknown field(s) {', '.join(unknown)}; known: {', '.join(REQUEST_FIELDS)}.",
            field=unknown[0],
        )
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
        elif value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            # the remaining two: time_from and time_to
            raise ValidationError("Time range: give dates and times with a time zone.", field=name)
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
    return req


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
    return req


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
