"""/api/v1/cases/{case_id}/members: who works a case; the owner adds and removes members."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import Page, operation, page_of
from caseflow.api.v1.serialize import member_json
from caseflow.cases import services
from caseflow.extensions import db_session
from caseflow.web import now


@operation(
    "GET",
    "/cases/{case_id}/members",
    summary="List a case's current members",
    tag="members",
    response=schemas.page_of(schemas.MEMBER),
    paginated=True,
)
def list_members(actor: Actor, *, case_id: int, page: Page) -> dict[str, Any]:
    case = services.view_case(db_session(), actor, case_id)
    members = [member_json(m) for m in case.members if m.removed_at is None]
    return page_of(members, page)


@operation(
    "POST",
    "/cases/{case_id}/members",
    summary="Add a member (case owner only)",
    tag="members",
    request=schemas.MEMBER_CREATE,
    response=schemas.MEMBER,
    status=201,
)
def add_member(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    member = services.add_member(
        db_session(), actor, case_id, username=body["username"], role=body["role"], now=now()
    )
    return member_json(member)


@operation(
    "DELETE",
    "/cases/{case_id}/members/{member_id}",
    summary="End a membership (case owner only); the owner cannot be removed",
    tag="members",
    response=None,
    status=204,
)
def remove_member(actor: Actor, *, case_id: int, member_id: int) -> None:
    services.remove_member(db_session(), actor, case_id, member_id, now=now())
