"""/api/v1/cases: list my cases, open one, read one, change one."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import Page, operation, paginated
from caseflow.api.v1.serialize import case_json
from caseflow.cases import services
from caseflow.extensions import db_session
from caseflow.web import now


@operation(
    "GET",
    "/cases",
    summary="List the cases I am a member of, most recently updated first",
    tag="cases",
    response=schemas.page_of(schemas.CASE),
    paginated=True,
)
def list_cases(actor: Actor, *, page: Page) -> dict[str, Any]:
    cases, total = services.list_cases(db_session(), actor, offset=page.offset, limit=page.per_page)
    return paginated([case_json(c) for c in cases], total, page)


@operation(
    "POST",
    "/cases",
    summary="Open a case; I become its owner",
    tag="cases",
    request=schemas.CASE_CREATE,
    response=schemas.CASE,
    status=201,
    permission="case.create",
)
def create_case(actor: Actor, *, body: dict[str, Any]) -> dict[str, Any]:
    case = services.open_case(
        db_session(),
        actor,
        title=body["title"],
        summary=body.get("summary", ""),
        lead_jurisdiction=body["lead_jurisdiction"],
        involved_jurisdictions=body.get("involved_jurisdictions", []),
        priority=body.get("priority", "normal"),
        now=now(),
    )
    return case_json(case)


@operation(
    "GET",
    "/cases/{case_id}",
    summary="Read a case (audited as a consultation)",
    tag="cases",
    response=schemas.CASE,
)
def get_case(actor: Actor, *, case_id: int) -> dict[str, Any]:
    return case_json(services.view_case(db_session(), actor, case_id))


@operation(
    "PATCH",
    "/cases/{case_id}",
    summary="Change a case's title, summary, status or priority (members only)",
    tag="cases",
    request=schemas.CASE_UPDATE,
    response=schemas.CASE,
)
def update_case(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    case = services.update_case(db_session(), actor, case_id, now=now(), **body)
    return case_json(case)
