"""/api/v1/cases/{case_id}/intake: an online ad's text -> candidate identifiers (preview,
writes nothing) -> the ad, the chosen identifiers and their links (one transaction)."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import operation
from caseflow.api.v1.serialize import intake_json, preview_json
from caseflow.entities import services
from caseflow.extensions import db_session
from caseflow.web import now


@operation(
    "POST",
    "/cases/{case_id}/intake/preview",
    summary="Extract candidate identifiers from an ad's text, with keys to confirm; writes nothing",
    tag="intake",
    request=schemas.PREVIEW_REQUEST,
    response=schemas.PREVIEW,
)
def preview_ad(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    preview = services.preview_ad(db_session(), actor, case_id, body["text"], body.get("platform"))
    return preview_json(preview)


@operation(
    "POST",
    "/cases/{case_id}/intake",
    summary="Create the ad, the selected identifiers and their links; all or nothing",
    tag="intake",
    request=schemas.INTAKE_REQUEST,
    response=schemas.INTAKE_RESULT,
    status=201,
)
def ingest_ad(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    result = services.ingest_ad(
        db_session(),
        actor,
        case_id,
        ad={k: body.get(k) for k in ("value", "platform", "posted_at", "title")},
        text=body["text"],
        selected=body.get("selected", []),
        posted_by=body.get("posted_by"),
        now=now(),
    )
    return intake_json(result)
