"""Drafting a request: its fields, the legal-basis proposal and override, the completeness
checklist. Must not import flask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy
from caseflow.actor import Actor
from caseflow.cases.services import case_for
from caseflow.errors import ValidationError
from caseflow.mla import checklists, routes
from caseflow.mla import facts as F
from caseflow.mla.models import (
    ANSWER_COLUMNS,
    PROCEEDINGS_STAGES,
    MlaRequest,
)
from caseflow.mla.services.common import (
    LEGACY_FIELDS,
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


def _treaty(req: MlaRequest, treaties: Mapping[str, str] | None) -> str | None:
    return bilateral_treaty(treaties or {}, req.requesting_state, req.requested_state)


def basis_facts(
    req: MlaRequest, *, on: date, treaties: Mapping[str, str] | None = None
) -> routes.BasisFacts:
    """The resolver's view of the request: every fact as stored, unknown where unanswered."""
    return routes.BasisFacts.of(request_facts(req), on=on, bilateral_treaty=_treaty(req, treaties))


def proposal(
    req: MlaRequest, *, on: date, treaties: Mapping[str, str] | None = None
) -> routes.Proposal:
    """The resolver's proposal for the request on the date `on`, with its reasons (for the
    officer's page: why this route, why not the preferred ones, what is open)."""
    return routes.propose(basis_facts(req, on=on, treaties=treaties))


def _resolve(req: MlaRequest, now: datetime, treaties: Mapping[str, str] | None) -> None:
    """Refresh the proposal; follow it unless the officer overrode the basis with a reason."""
    found = proposal(req, on=now.date(), treaties=treaties)
    req.proposed_basis = found.primary.code
    req.basis_explanation = found.explanation()
    if not req.override_reason:
        req.legal_basis = found.primary.code
        req.basis_supplements = ",".join(s.code for s in found.supplements)


def create_request(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    requested_state: str,
    now: datetime,
    treaties: Mapping[str, str] | None = None,
    **fields: object,
) -> MlaRequest:
    """Open a draft request in a case; the requesting state is the case's lead jurisdiction.

    Every fact not given is "unknown". The legal basis is proposed at once. Audited as
    collection.
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
        measure=F.UNKNOWN,
        data_categories="",
        holder_kind=F.UNKNOWN,
        holder_eu_presence=F.UNKNOWN,
        issuing_authority_type=F.UNKNOWN,
        validating_authority_type=F.UNKNOWN,
        **{name: F.UNKNOWN for name in ANSWER_COLUMNS},
    )
    req.case = case
    _apply(req, fields)
    _resolve(req, now, treaties)
    session.add(req)
    session.flush()
    _audit(session, actor, "request.create", "collection", req, details={"number": number})
    return req


# Choice fields: the allowed values (caseflow.mla.facts) and how the error names the field.
_CHOICES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "measure": (F.MEASURES, "Measure"),
    "holder_kind": (F.HOLDER_KINDS, "Holder"),
    "holder_eu_presence": (F.EU_PRESENCE, "Establishment or representative in the EU"),
    "issuing_authority_type": (F.AUTHORITY_TYPES, "Type of issuing authority"),
    "validating_authority_type": (F.AUTHORITY_TYPES, "Type of validating authority"),
    "urgency": (F.URGENCIES, "Urgency"),
    "proceedings_stage": (PROCEEDINGS_STAGES, "Proceedings stage"),
}
_ANSWER_LABELS = {
    "transnational": "Transnational offence",
    "organised_group": "Organised criminal group",
    "child_exploitation": "Sale or sexual exploitation of children",
    "offence_in_issuing_state": "Offence committed in the issuing state",
    "person_in_issuing_state": "Person concerned lives in the issuing state",
    "production_to_follow": "Production or MLA request to follow",
}


def _categories(value: object) -> str:
    items = value.split(",") if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
    chosen = {str(v).strip() for v in items if str(v).strip()}
    unknown = chosen - set(F.CATEGORIES)
    if unknown:
        raise ValidationError(
            f"What is sought: one or more of {', '.join(F.CATEGORIES)}.",
            field="data_categories",
        )
    return ",".join(c for c in F.CATEGORIES if c in chosen)


def _apply(req: MlaRequest, fields: Mapping[str, object]) -> list[str]:
    """Copy the request's fields onto it, each checked by its kind; return the changed names.

    A name outside REQUEST_FIELDS is refused (no mass assignment, and a typo in a caller's
    field name does not pass silently), as caseflow.entities.normalize refuses its own.
    The legacy `request_types` sets the measure and categories not given alongside it.
    """
    unknown = sorted(
        str(name) for name in fields if name not in REQUEST_FIELDS and name not in LEGACY_FIELDS
    )
    if unknown:
        raise ValidationError(
            f"Request: unknown field(s) {', '.join(unknown)}; known: {', '.join(REQUEST_FIELDS)}.",
            field=unknown[0],
        )
    values = dict(fields)
    if "request_types" in values:
        try:
            measure, categories = F.from_legacy_types(values.pop("request_types") or ())  # type: ignore[arg-type]
        except F.FactError:
            raise ValidationError(
                f"Type of assistance: one or more of {', '.join(F.LEGACY_TYPES)}.",
                field="request_types",
            ) from None
        values.setdefault("measure", measure)
        values.setdefault("data_categories", categories)
    changed = []
    for name, value in values.items():
        if name in TEXT_FIELDS:
            value = str(value or "").strip()
        elif name == "requested_state":
            value = _state(str(value), "Requested state", "requested_state")
        elif name == "holder_eu_state":
            value = str(value or "").strip()
            if value:
                value = _state(value, "State of the EU establishment", "holder_eu_state")
        elif name == "data_categories":
            value = _categories(value)
        elif name in _CHOICES:
            allowed, label = _CHOICES[name]
            value = str(value or "").strip().lower() or (
                "normal" if name == "urgency" else F.UNKNOWN
            )
            if value not in allowed:
                raise ValidationError(f"{label}: one of {', '.join(allowed)}.", field=name)
        elif name in _ANSWER_LABELS:
            try:
                value = F.answer(value, name)
            except F.FactError:
                raise ValidationError(
                    f"{_ANSWER_LABELS[name]}: answer yes, no or unknown.", field=name
                ) from None
        elif value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            # the remaining two: time_from and time_to
            raise ValidationError("Time range: give dates and times with a time zone.", field=name)
        if getattr(req, name) != value:
            setattr(req, name, value)
            changed.append(name)
    if req.time_from and req.time_to and req.time_from >= req.time_to:
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
    if code not in routes.instrument_codes():
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
    if req.override_reason:
        req.basis_supplements = ""
    else:
        _resolve(req, now, treaties)
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


def request_facts(req: MlaRequest) -> F.RequestFacts:
    """The request as the resolver, the checklists and the documents see it: the stored facts,
    "unknown" where nobody answered. The issuing file number is the CaseFlow reference unless
    the officer gave their own."""
    own_reference = req.issuing_file_reference
    if not own_reference and req.case is not None:
        own_reference = f"{req.case.reference}/R-{req.number:02d}"
    return F.RequestFacts(
        requesting_state=req.requesting_state,
        requesting_authority=req.requesting_authority,
        authority_address=req.authority_address,
        issuing_authority_type=req.issuing_authority_type,
        issuing_file_reference=own_reference,
        validating_authority=req.validating_authority,
        validating_authority_type=req.validating_authority_type,
        validating_file_reference=req.validating_file_reference,
        conducting_authority=req.conducting_authority,
        contact_person=req.contact_person,
        contact_phone=req.contact_phone,
        contact_email=req.contact_email,
        contact_24_7=req.contact_24_7,
        time_zone=req.time_zone,
        requested_state=req.requested_state,
        central_authority=req.central_authority,
        holder_kind=req.holder_kind,
        holder_name=req.holder_name,
        holder_eu_presence=req.holder_eu_presence,
        holder_eu_state=req.holder_eu_state,
        measure=req.measure,
        data_categories=req.categories,
        identifiers=tuple(
            F.IdentifierFacts(i.kind, i.value, i.observed_at, i.port, i.relevance)
            for i in req.identifiers
        ),
        time_from=req.time_from,
        time_to=req.time_to,
        proceedings_stage=req.proceedings_stage,
        offences=tuple(
            F.OffenceFacts(
                o.name, o.provision, o.maximum_penalty, o.tag_set, o.by_information_system
            )
            for o in req.offences
        ),
        summary_of_facts=req.summary_of_facts,
        necessity=req.necessity,
        persons_concerned=req.persons_concerned,
        probable_cause=req.probable_cause,
        transnational=req.transnational,
        organised_group=req.organised_group,
        child_exploitation=req.child_exploitation,
        urgency=req.urgency,
        urgency_reason=req.urgency_reason,
        immunities=req.immunities,
        offence_in_issuing_state=req.offence_in_issuing_state,
        person_in_issuing_state=req.person_in_issuing_state,
        production_to_follow=req.production_to_follow,
        earlier_requests=req.earlier_requests,
        formalities=req.formalities,
        legal_remedies=req.legal_remedies,
        confidentiality=req.confidentiality,
        use_limits=req.use_limits,
        language=req.language,
    )


def checklist(
    req: MlaRequest, *, on: date | None = None, treaties: Mapping[str, str] | None = None
) -> tuple[checklists.ChecklistItem, ...]:
    """The pre-flight checklist of the request's legal basis (every item, done or not). Given
    the date `on`, a last item checks that the basis may be used on these facts (a basis
    chosen against the proposal is held to its own conditions)."""
    return checklists.checklist(
        request_facts(req), req.legal_basis, on=on, bilateral_treaty=_treaty(req, treaties)
    )
