"""/api/v1/cases/{case_id}/entities and /hits: a case's identifiers and its cross-case hits,
through caseflow.entities.services (the same calls as the Identifiers pages)."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import Page, operation, paginated
from caseflow.api.v1.serialize import added_json, entity_row_json, entity_view_json, hit_json
from caseflow.entities import services
from caseflow.entities.normalize import KINDS
from caseflow.extensions import db_session
from caseflow.web import now


@operation(
    "GET",
    "/cases/{case_id}/entities",
    summary="List a case's identifiers, newest first, optionally of one kind (?kind=wallet); "
    "victims masked for non-members",
    tag="entities",
    response=schemas.page_of(schemas.ENTITY_ROW),
    paginated=True,
    query={"kind": {"type": "string", "enum": sorted(KINDS)}},
)
def list_entities(
    actor: Actor, *, case_id: int, page: Page, kind: str | None = None
) -> dict[str, Any]:
    listing = services.list_case_entities(
        db_session(),
        actor,
        case_id,
        page=page.number,
        per_page=page.per_page,
        kind=kind,
        now=now(),
    )
    return paginated([entity_row_json(r) for r in listing.rows], listing.total, page)


@operation(
    "POST",
    "/cases/{case_id}/entities",
    summary="Add an identifier (normalized; persons need a role); returns any cross-case hits",
    tag="entities",
    request=schemas.ENTITY_CREATE,
    response=schemas.ENTITY_ADDED,
    status=201,
)
def add_entity(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in body.items() if k not in ("kind", "role", "note")}
    result = services.add_entity(
        db_session(),
        actor,
        case_id,
        body["kind"],
        fields,
        role=body.get("role"),
        note=body.get("note"),
        source="api",
        now=now(),
    )
    return added_json(result)


@operation(
    "GET",
    "/cases/{case_id}/entities/{entity_id}",
    summary="Read an identifier as seen in this case: links, sightings, cross-case hits",
    tag="entities",
    response=schemas.ENTITY_DETAIL,
)
def get_entity(actor: Actor, *, case_id: int, entity_id: int) -> dict[str, Any]:
    view = services.view_entity(db_session(), actor, case_id, entity_id, now=now())
    return entity_view_json(view)


@operation(
    "GET",
    "/cases/{case_id}/hits",
    summary="Cross-case hits: the other case's reference and its owner's contact, nothing more",
    tag="entities",
    response=schemas.HITS,
)
def list_hits(actor: Actor, *, case_id: int) -> dict[str, Any]:
    hits = services.cross_case_hits(db_session(), actor, case_id, now=now())
    return {"items": [hit_json(h) for h in hits]}
