"""/api/v1/cases/{case_id}/evidence and /requests: read-only summaries of a case's evidence
items (with their hashes) and MLA requests, as the case page's panels show them."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import Page, operation, page_of
from caseflow.api.v1.serialize import evidence_json, mla_request_json
from caseflow.cases import services as case_services
from caseflow.evidence import services as evidence_services
from caseflow.extensions import db_session
from caseflow.mla import services as mla_services


@operation(
    "GET",
    "/cases/{case_id}/evidence",
    summary="List a case's evidence items in number order, with their hashes",
    tag="evidence",
    response=schemas.page_of(schemas.EVIDENCE_ITEM),
    paginated=True,
)
def list_evidence(actor: Actor, *, case_id: int, page: Page) -> dict[str, Any]:
    session = db_session()
    case = case_services.view_case(session, actor, case_id)  # access + consultation record
    items = evidence_services.items_for_case(session, actor, case.id)
    return page_of([evidence_json(i) for i in items], page)


@operation(
    "GET",
    "/cases/{case_id}/requests",
    summary="List a case's MLA requests: reference, state, legal basis, status",
    tag="requests",
    response=schemas.page_of(schemas.MLA_REQUEST),
    paginated=True,
)
def list_requests(actor: Actor, *, case_id: int, page: Page) -> dict[str, Any]:
    session = db_session()
    case = case_services.view_case(session, actor, case_id)  # access + consultation record
    requests = mla_services.case_requests(session, actor, case.id)
    return page_of([mla_request_json(mla_services.reference(case, r), r) for r in requests], page)
