"""What the MLA services share: the workflow table, the request's editable fields, loading
a request with its access check, audit records. Must not import flask."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import jurisdictions, policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.cases.models import Case
from caseflow.cases.services import case_for
from caseflow.entities.errors import InvalidIdentifier
from caseflow.errors import ConflictError, NotFoundError, ValidationError
from caseflow.mla.models import MlaRequest

# Which status each workflow step starts from and leads to. Export and re-export are
# separate use cases (they build a packet); everything else moves along this table.
TRANSITIONS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "returned"), "submitted"),
    "approve": (("submitted",), "approved"),
    "return": (("submitted",), "returned"),
    # The packet is frozen at approval: to include later changes of the case, the request
    # is reopened (before it is sent), edited if need be, resubmitted and approved again.
    "reopen": (("approved", "exported"), "returned"),
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

# Every field of a request that an officer fills in, in the order the form shows them: the one
# list the services accept (anything else is refused) and the web form reads. Each is a fact
# of caseflow.mla.facts.RequestFacts under the same name (time_from/time_to make its range).
REQUEST_FIELDS = (
    "requested_state",
    "measure",
    "data_categories",
    "holder_kind",
    "holder_name",
    "holder_eu_presence",
    "holder_eu_state",
    "central_authority",
    "requesting_authority",
    "issuing_authority_type",
    "issuing_file_reference",
    "authority_address",
    "validating_authority",
    "validating_authority_type",
    "validating_file_reference",
    "conducting_authority",
    "contact_person",
    "contact_phone",
    "contact_email",
    "contact_24_7",
    "time_zone",
    "proceedings_stage",
    "time_from",
    "time_to",
    "summary_of_facts",
    "necessity",
    "persons_concerned",
    "probable_cause",
    "transnational",
    "organised_group",
    "child_exploitation",
    "offence_in_issuing_state",
    "person_in_issuing_state",
    "urgency",
    "urgency_reason",
    "immunities",
    "confidentiality",
    "use_limits",
    "formalities",
    "legal_remedies",
    "earlier_requests",
    "production_to_follow",
    "language",
)
# Still accepted from callers (scripts, the demo): the legacy list of types of assistance,
# turned into a measure and data categories (caseflow.mla.facts.LEGACY_TYPES).
LEGACY_FIELDS = ("request_types",)
# The fields that are not free text; each has its own check in drafting._apply.
CHECKED_FIELDS = frozenset(
    {
        "requested_state",
        "measure",
        "data_categories",
        "holder_kind",
        "holder_eu_presence",
        "holder_eu_state",
        "issuing_authority_type",
        "validating_authority_type",
        "proceedings_stage",
        "time_from",
        "time_to",
        "transnational",
        "organised_group",
        "child_exploitation",
        "offence_in_issuing_state",
        "person_in_issuing_state",
        "urgency",
        "production_to_follow",
    }
)
TEXT_FIELDS = tuple(name for name in REQUEST_FIELDS if name not in CHECKED_FIELDS)


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


def case_id_of_request(session: Session, request_id: int) -> int | None:
    """The case of a request, or None: for the audit record of a refused request
    (caseflow.web.refusals), never shown to the actor."""
    return session.scalar(sa.select(MlaRequest.case_id).where(MlaRequest.id == request_id))


def _load(session: Session, actor: Actor, request_id: int, *, write: bool = False) -> MlaRequest:
    req = session.get(MlaRequest, request_id)
    if req is None:
        raise NotFoundError("No such request, or you are not a member of its case.")
    case_for(session, actor, req.case_id, write=write)
    return req


def check_request_access(
    session: Session, actor: Actor, request_id: int, *, write: bool = False
) -> None:
    """Raise as the request's services would (404 for an outsider) before a form is even
    read: a refusal never depends on what the form holds."""
    _load(session, actor, request_id, write=write)


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
    "reopen": "reopened",
    "export": "exported",
    "send": "marked sent",
    "acknowledge": "marked acknowledged",
    "fulfil": "marked fulfilled",
    "refuse": "marked refused",
    "withdraw": "withdrawn",
}


def _editable(req: MlaRequest) -> None:
    if req.status not in EDITABLE_STATUSES:
        raise ConflictError(f"A request that is {req.status} cannot be changed.")
