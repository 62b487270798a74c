"""Model rows to the JSON shapes declared in caseflow.api.v1.schemas (the only place that maps)."""

from __future__ import annotations

from typing import Any

from caseflow.cases.models import Case, CaseMember, CaseTask
from caseflow.clock import rfc3339
from caseflow.entities.extract import Candidate
from caseflow.entities.models import CaseEntity, Entity, Link
from caseflow.entities.services import (
    AddResult,
    AdPreview,
    AdResult,
    Capture,
    EntityRow,
    EntityView,
    Hit,
    LinkRow,
    candidate_key,
)
from caseflow.evidence.models import EvidenceItem
from caseflow.mla.models import MlaRequest


def case_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "title": case.title,
        "summary": case.summary,
        "status": case.status,
        "priority": case.priority,
        "lead_jurisdiction": case.lead_jurisdiction,
        "involved_jurisdictions": case.involved_codes,
        "owner": case.owner.username,
        "created_at": rfc3339(case.created_at),
        "updated_at": rfc3339(case.updated_at),
    }


def member_json(member: CaseMember) -> dict[str, Any]:
    return {
        "id": member.id,
        "user_id": member.user_id,
        "username": member.user.username,
        "display_name": member.user.display_name,
        "role": member.role,
        "added_at": rfc3339(member.added_at),
    }


def task_json(task: CaseTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "kind": task.kind,
        "status": task.status,
        "assignee": task.assignee.username if task.assignee else None,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "created_at": rfc3339(task.created_at),
        "done_at": rfc3339(task.done_at) if task.done_at else None,
    }


def _maybe(moment: Any) -> str | None:
    return rfc3339(moment) if moment is not None else None


def entity_row_json(row: EntityRow) -> dict[str, Any]:
    """A case's entity as the service shaped it (a masked victim stays masked)."""
    return {
        "entity_id": row.entity_id,
        "kind": row.kind,
        "value": row.value,
        "label": row.label,
        "jurisdiction": row.jurisdiction,
        "role": row.role,
        "source": row.source,
        "note": row.note,
        "added_at": rfc3339(row.added_at),
        "masked": row.masked,
    }


def added_json(result: AddResult) -> dict[str, Any]:
    """What add_entity returned. The adder is a member working the case (the service
    required write access), who sees victims: nothing here is masked."""
    ce: CaseEntity = result.involvement
    entity = result.entity
    row = EntityRow(
        entity.id, entity.kind, entity.value, entity.label, entity.jurisdiction, ce.role,
        ce.source, ce.note, ce.added_at,
    )  # fmt: skip
    return {
        "entity": entity_row_json(row),
        "created": result.created,
        "already_in_case": result.already_in_case,
        "hits": [hit_json(h) for h in result.hits],
    }


def entity_ref_json(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "kind": entity.kind,
        "value": entity.value,
        "label": entity.label,
        "jurisdiction": entity.jurisdiction,
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """Only the other case's reference and its owner's name and contact: never its id,
    title or anything else it holds."""
    return {
        "entity_id": hit.entity_id,
        "entity_kind": hit.entity_kind,
        "entity_label": hit.entity_label,
        "case_reference": hit.case_reference,
        "owner_name": hit.owner_name,
        "owner_contact": hit.owner_contact,
        "match": hit.match,
        "reason": hit.reason,
    }


def link_json(row: LinkRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "source": entity_row_json(row.source),
        "target": entity_row_json(row.target),
        "confidence": row.confidence,
        "assessment": row.assessment,
        "evidence_item_id": row.evidence_item_id,
        "note": row.note,
        "created_at": rfc3339(row.created_at),
        "created_by": row.created_by,
        "retracted_at": _maybe(row.retracted_at),
    }


def capture_json(c: Capture) -> dict[str, Any]:
    """One capture of an ad by the case asked about (never another case's)."""
    return {
        "id": c.id,
        "title": c.title,
        "text": c.text,
        "posted_at": _maybe(c.posted_at),
        "posted_at_offset": c.posted_at_offset,
        "price_amount": None if c.price_amount is None else str(c.price_amount),
        "price_currency": c.price_currency,
        "price_unit": c.price_unit,
        "stated_age": c.stated_age,
        "location": c.location,
        "location_country": c.location_country,
        "location_subdivision": c.location_subdivision,
        "details": c.details,
        "captured_at": rfc3339(c.captured_at),
        "captured_by": c.captured_by,
    }


def entity_view_json(view: EntityView) -> dict[str, Any]:
    return {
        "entity": entity_row_json(view.entity),
        "attributes": view.attributes,
        "observations": [
            {"observed_at": _maybe(o.observed_at), "port": o.port, "offset": o.offset}
            for o in view.observations
        ],
        "links": [link_json(link) for link in view.links],
        "hits": [hit_json(h) for h in view.hits],
        "read_only": view.read_only,
        "captures": [capture_json(c) for c in view.captures],
    }


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    normalized = candidate.normalized
    return {
        "kind": candidate.kind,
        "raw": candidate.raw,
        "key": candidate_key(candidate),
        "value": normalized.value if normalized else None,
        "label": normalized.label if normalized else None,
        "error": candidate.error,
        "span": list(candidate.span),
        "check": candidate.check,
        "how": list(candidate.how),
    }


def preview_json(preview: AdPreview) -> dict[str, Any]:
    return {
        "region": preview.region,
        "platform": preview.platform,
        "candidates": [candidate_json(c) for c in preview.candidates],
    }


def link_ref_json(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "type": link.type,
        "source_id": link.source_id,
        "target_id": link.target_id,
    }


def intake_json(result: AdResult) -> dict[str, Any]:
    return {
        "ad": entity_ref_json(result.ad),
        "entities": [entity_ref_json(e) for e in result.entities],
        "links": [link_ref_json(link) for link in result.links],
        "capture_id": result.capture.id if result.capture is not None else None,
        "hits": [hit_json(h) for h in result.hits],
    }


def evidence_json(item: EvidenceItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "reference": item.reference,
        "number": item.number,
        "kind": item.kind,
        "description": item.description,
        "acquired_by": item.acquired_by,
        "acquired_at": rfc3339(item.acquired_at),
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "sha1": item.sha1,
        "md5": item.md5,
        "created_at": rfc3339(item.created_at),
    }


def mla_request_json(reference: str, req: MlaRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "reference": reference,
        "status": req.status,
        "requested_state": req.requested_state,
        "legal_basis": req.legal_basis,
        "urgency": req.urgency,
        "created_at": rfc3339(req.created_at),
        "updated_at": rfc3339(req.updated_at),
        "sent_at": _maybe(req.sent_at),
    }
