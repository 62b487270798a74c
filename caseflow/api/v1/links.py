"""/api/v1/cases/{case_id}/links: typed links between a case's identifiers, with provenance;
retracted, never deleted (caseflow.entities.services)."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import Page, operation, paginated
from caseflow.api.v1.serialize import link_json
from caseflow.entities import services
from caseflow.extensions import db_session
from caseflow.web import now


@operation(
    "GET",
    "/cases/{case_id}/links",
    summary="List a case's links, active first, newest first",
    tag="links",
    response=schemas.page_of(schemas.LINK),
    paginated=True,
)
def list_links(actor: Actor, *, case_id: int, page: Page) -> dict[str, Any]:
    listing = services.list_case_links(
        db_session(), actor, case_id, offset=page.offset, limit=page.per_page, now=now()
    )
    return paginated([link_json(r) for r in listing.rows], listing.total, page)


@operation(
    "POST",
    "/cases/{case_id}/links",
    summary="Link two identifiers of the case (audited as a combination)",
    tag="links",
    request=schemas.LINK_CREATE,
    response=schemas.LINK,
    status=201,
)
def create_link(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    session = db_session()
    link = services.link_entities(
        session,
        actor,
        case_id,
        source_id=body["source_id"],
        target_id=body["target_id"],
        type=body["type"],
        confidence=body.get("confidence", "confirmed"),
        assessment=body.get("assessment", False),
        evidence_item_id=body.get("evidence_item_id"),
        note=body.get("note"),
        now=now(),
    )
    return _link(actor, case_id, link.id)


@operation(
    "POST",
    "/cases/{case_id}/links/{link_id}/retract",
    summary="Retract a link: it stays on record with retracted_at set",
    tag="links",
    response=schemas.LINK,
)
def retract_link(actor: Actor, *, case_id: int, link_id: int) -> dict[str, Any]:
    services.retract_link(db_session(), actor, case_id, link_id, now=now())
    return _link(actor, case_id, link_id)


def _link(actor: Actor, case_id: int, link_id: int) -> dict[str, Any]:
    """The link as the link page shows it (masking applied; audited "link.view")."""
    _case, row, _read_only = services.view_link(db_session(), actor, case_id, link_id, now=now())
    return link_json(row)
