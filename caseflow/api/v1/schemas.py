"""JSON Schemas (OpenAPI 3.1 / JSON Schema 2020-12) of the API's request and response bodies.

Request schemas are also what the handlers validate against (caseflow.api.v1.validation);
`title` is the label used in error messages.
"""

from __future__ import annotations

from typing import Any

from caseflow.cases.models import CASE_STATUSES, MEMBER_ROLES, PRIORITIES, TASK_KINDS, TASK_STATUSES
from caseflow.entities.inputs import KIND_FIELDS, field_label
from caseflow.entities.models import (
    CONFIDENCES,
    ENTITY_KINDS,
    ENTRY_SOURCES,
    INVOLVEMENT_ROLES,
    LINK_TYPES,
)
from caseflow.entities.normalize import MAX_AD_TEXT
from caseflow.entities.services import MAX_HITS_SHOWN
from caseflow.evidence.models import ITEM_KINDS
from caseflow.mla.models import REQUEST_STATUSES

Schema = dict[str, Any]

DATETIME: Schema = {"type": "string", "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date"}
ID: Schema = {"type": "integer", "minimum": 1}


def nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def page_of(item: Schema) -> Schema:
    """The paginated list envelope around `item`."""
    return obj(
        {
            "items": {"type": "array", "items": item},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "description": "URL of the next page"},
        }
    )


ERROR: Schema = obj(
    {
        "error": obj(
            {
                "code": {"type": "string", "description": "machine-readable, e.g. invalid"},
                "message": {"type": "string", "description": "for people: 'Title: required.'"},
                "field": {"type": ["string", "null"], "description": "the input at fault"},
            }
        )
    }
)

TITLE: Schema = {"type": "string", "title": "Title", "minLength": 1, "maxLength": 200}
SUMMARY: Schema = {"type": "string", "title": "Summary", "maxLength": 20000}
JURISDICTION: Schema = {
    "type": "string",
    "title": "Lead jurisdiction",
    "minLength": 2,
    "maxLength": 8,
    "description": "ISO 3166-1 code (alpha-2 or alpha-3), e.g. GB",
}

CASE: Schema = obj(
    {
        "id": ID,
        "reference": {"type": "string", "description": "CF-YYYY-NNNN"},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "status": {"type": "string", "enum": list(CASE_STATUSES)},
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "lead_jurisdiction": {"type": "string"},
        "involved_jurisdictions": {"type": "array", "items": {"type": "string"}},
        "owner": {"type": "string", "description": "the owner's username"},
        "created_at": DATETIME,
        "updated_at": DATETIME,
    }
)

CASE_CREATE: Schema = obj(
    {
        "title": TITLE,
        "summary": SUMMARY,
        "lead_jurisdiction": JURISDICTION,
        "involved_jurisdictions": {
            "type": "array",
            "title": "Involved jurisdictions",
            "items": {**JURISDICTION, "title": "Involved jurisdictions"},
            "maxItems": 50,
        },
        "priority": {"type": "string", "title": "Priority", "enum": list(PRIORITIES)},
    },
    required=["title", "lead_jurisdiction"],
)

CASE_UPDATE: Schema = obj(
    {
        "title": TITLE,
        "summary": SUMMARY,
        "status": {"type": "string", "title": "Status", "enum": list(CASE_STATUSES)},
        "priority": {"type": "string", "title": "Priority", "enum": list(PRIORITIES)},
    },
    required=[],
)

MEMBER: Schema = obj(
    {
        "id": ID,
        "user_id": ID,
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "role": {"type": "string", "enum": list(MEMBER_ROLES)},
        "added_at": DATETIME,
    }
)

MEMBER_CREATE: Schema = obj(
    {
        "username": {"type": "string", "title": "User", "minLength": 1, "maxLength": 64},
        "role": {
            "type": "string",
            "title": "Role in case",
            "enum": [r for r in MEMBER_ROLES if r != "owner"],
        },
    }
)

TASK: Schema = obj(
    {
        "id": ID,
        "title": {"type": "string"},
        "kind": {"type": "string", "enum": list(TASK_KINDS)},
        "status": {"type": "string", "enum": list(TASK_STATUSES)},
        "assignee": {"type": ["string", "null"], "description": "username"},
        "due_on": nullable(DATE),
        "created_at": DATETIME,
        "done_at": nullable(DATETIME),
    }
)

TASK_CREATE: Schema = obj(
    {
        "title": {**TITLE, "title": "Task"},
        "kind": {"type": "string", "title": "Kind", "enum": list(TASK_KINDS)},
        "assignee": {
            "type": ["string", "null"],
            "title": "Assignee",
            "maxLength": 64,
            "description": "username of a member of the case",
        },
        "due_on": {**nullable(DATE), "title": "Due date"},
    },
    required=["title"],
)


# --- entities, links, hits, ad intake ----------------------------------------------------------

ENTITY_ROW: Schema = obj(
    {
        "entity_id": ID,
        "kind": {"type": "string", "enum": list(ENTITY_KINDS)},
        "value": {"type": "string", "description": "canonical value; empty when masked"},
        "label": {"type": "string"},
        "jurisdiction": {"type": ["string", "null"]},
        "role": {"type": ["string", "null"], "enum": [*INVOLVEMENT_ROLES, None]},
        "source": {"type": "string", "enum": list(ENTRY_SOURCES)},
        "note": {"type": ["string", "null"]},
        "added_at": DATETIME,
        "masked": {
            "type": "boolean",
            "description": "a victim shown to a non-member: value, label, note withheld",
        },
    }
)

ENTITY_REF: Schema = obj(
    {
        "id": ID,
        "kind": {"type": "string", "enum": list(ENTITY_KINDS)},
        "value": {"type": "string"},
        "label": {"type": "string"},
        "jurisdiction": {"type": ["string", "null"]},
    }
)

HIT: Schema = obj(
    {
        "entity_id": ID,
        "entity_kind": {"type": "string", "enum": list(ENTITY_KINDS)},
        "entity_label": {"type": "string"},
        "case_reference": {"type": "string", "description": "the other case's reference only"},
        "owner_name": {"type": "string", "description": "who to call: the other case's owner"},
        "owner_contact": {"type": "string", "description": "organisation, e-mail, phone"},
        "match": {
            "type": "string",
            "enum": ["exact", "probable"],
            "description": "probable: the other case holds another value that may be the same",
        },
        "reason": {
            "type": ["string", "null"],
            "description": "why a probable match may be the same; null for exact hits",
        },
    }
)

HITS: Schema = obj(
    {
        "items": {
            "type": "array",
            "items": HIT,
            "description": f"at most {MAX_HITS_SHOWN}; each one shown is audited",
        }
    }
)

_TEXT: Schema = {"type": "string", "maxLength": 2000}
ENTITY_CREATE: Schema = obj(
    {
        "kind": {"type": "string", "title": "Kind", "enum": list(ENTITY_KINDS)},
        "value": {
            "type": "string",
            "title": "Value",
            "maxLength": 2100,
            "description": "phone, e-mail, URL, handle, address, name... (docs/entities.md)",
        },
        "role": {
            "type": ["string", "null"],
            "title": "Role",
            "enum": [*INVOLVEMENT_ROLES, None],
            "description": "required for persons",
        },
        "note": {**_TEXT, "title": "Note"},
        **{
            name: {
                **_TEXT,
                "title": field_label(name),
                "description": "for " + ", ".join(k for k, f in KIND_FIELDS.items() if name in f),
            }
            for name in sorted({f for fields in KIND_FIELDS.values() for f in fields})
            if name != "text"
        },
        "text": {
            "type": "string",
            "title": "Text",
            "maxLength": MAX_AD_TEXT,
            "description": "for ad",
        },
    },
    required=["kind", "value"],
)

ENTITY_ADDED: Schema = obj(
    {
        "entity": ENTITY_ROW,
        "created": {"type": "boolean", "description": "new in CaseFlow, not only in this case"},
        "already_in_case": {"type": "boolean", "description": "nothing changed"},
        "hits": {"type": "array", "items": HIT},
    }
)

LINK: Schema = obj(
    {
        "id": ID,
        "type": {"type": "string", "enum": list(LINK_TYPES)},
        "source": ENTITY_ROW,
        "target": ENTITY_ROW,
        "confidence": {"type": "string", "enum": list(CONFIDENCES)},
        "assessment": {"type": "boolean", "description": "an assessment, not a fact"},
        "evidence_item_id": {"type": ["integer", "null"]},
        "note": {"type": ["string", "null"]},
        "created_at": DATETIME,
        "created_by": {"type": ["string", "null"], "description": "username"},
        "retracted_at": nullable(DATETIME),
    }
)

LINK_CREATE: Schema = obj(
    {
        "source_id": {**ID, "maximum": 2**31 - 1, "title": "Source"},
        "target_id": {**ID, "maximum": 2**31 - 1, "title": "Target"},
        "type": {"type": "string", "title": "Type", "enum": list(LINK_TYPES)},
        "confidence": {"type": "string", "title": "Confidence", "enum": list(CONFIDENCES)},
        "assessment": {"type": "boolean", "title": "Assessment"},
        "evidence_item_id": {
            "type": ["integer", "null"],
            "title": "Evidence item",
            "description": "an evidence item of the same case (400 otherwise)",
            "minimum": 1,
            "maximum": 2**31 - 1,
        },
        "note": {**_TEXT, "title": "Note"},
    },
    required=["source_id", "target_id", "type"],
)

_NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
CAPTURE: Schema = obj(
    {
        "id": ID,
        "title": _NULLABLE_TEXT,
        "text": _NULLABLE_TEXT,
        "posted_at": nullable(DATETIME),
        "posted_at_offset": _NULLABLE_TEXT,
        "price_amount": {
            "type": ["string", "null"],
            "description": "the first price the text states, as a decimal string",
        },
        "price_currency": {"type": ["string", "null"], "description": "ISO 4217"},
        "price_unit": _NULLABLE_TEXT,
        "stated_age": {"type": ["integer", "null"], "description": "the lowest age stated"},
        "location": _NULLABLE_TEXT,
        "location_country": _NULLABLE_TEXT,
        "location_subdivision": {"type": ["string", "null"], "description": "ISO 3166-2"},
        "details": {
            "type": "object",
            "description": "everything read: prices, ages, wording to look at, places",
        },
        "captured_at": DATETIME,
        "captured_by": {"type": ["string", "null"], "description": "username"},
    }
)

ENTITY_DETAIL: Schema = obj(
    {
        "entity": ENTITY_ROW,
        "attributes": {"type": "object", "description": "derived facts; empty when masked"},
        "observations": {
            "type": "array",
            "items": obj(
                {
                    "observed_at": nullable(DATETIME),
                    "port": {"type": ["integer", "null"]},
                    "offset": {"type": ["string", "null"], "description": "as stated, +02:00"},
                }
            ),
        },
        "links": {"type": "array", "items": LINK},
        "hits": {"type": "array", "items": HIT},
        "read_only": {"type": "boolean"},
        "captures": {
            "type": "array",
            "items": CAPTURE,
            "description": "an ad's captures by this case only, newest first",
        },
    }
)

AD_TEXT: Schema = {"type": "string", "title": "Text of the ad", "minLength": 1,
                   "maxLength": MAX_AD_TEXT}  # fmt: skip
PLATFORM: Schema = {"type": ["string", "null"], "title": "Platform", "maxLength": 40}

PREVIEW_REQUEST: Schema = obj({"text": AD_TEXT, "platform": PLATFORM}, required=["text"])

CANDIDATE: Schema = obj(
    {
        "kind": {"type": "string", "enum": list(ENTITY_KINDS)},
        "raw": {"type": "string", "description": "as read in the text (de-obfuscated)"},
        "key": {
            "type": ["string", "null"],
            "description": "send it back in `selected` to create it; null when invalid",
        },
        "value": {"type": ["string", "null"], "description": "canonical value"},
        "label": {"type": ["string", "null"]},
        "error": {"type": ["string", "null"], "description": "why it is not valid"},
        "span": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "minItems": 2,
            "maxItems": 2,
            "description": "[start, end) in the text",
        },
        "check": {
            "type": ["string", "null"],
            "description": "why this probable value needs a human check; null when certain",
        },
        "how": {
            "type": "array",
            "items": {"type": "string"},
            "description": "obfuscations undone to read it (spelled, look-alike letters...)",
        },
    }
)

PREVIEW: Schema = obj(
    {
        "region": {"type": "string", "description": "phones were read with this region"},
        "platform": {"type": ["string", "null"]},
        "candidates": {"type": "array", "items": CANDIDATE},
    }
)

INTAKE_REQUEST: Schema = obj(
    {
        "value": {
            "type": "string",
            "title": "Ad",
            "maxLength": 2100,
            "description": "the ad's URL or id",
        },
        "platform": PLATFORM,
        "posted_at": {"type": ["string", "null"], "title": "Posted at", "maxLength": 40},
        "title": {"type": ["string", "null"], "title": "Title", "maxLength": 500},
        "text": AD_TEXT,
        "selected": {
            "type": "array",
            "title": "Identifiers",
            "items": {"type": "string", "maxLength": 2200},
            "maxItems": 500,
            "description": "candidate keys from the preview",
        },
        "posted_by": {
            "type": ["string", "null"],
            "title": "Posted by",
            "maxLength": 300,
            "description": "handle on the ad's platform, or platform:handle",
        },
    },
    required=["text"],
)

LINK_REF: Schema = obj(
    {
        "id": ID,
        "type": {"type": "string", "enum": list(LINK_TYPES)},
        "source_id": ID,
        "target_id": ID,
    }
)

INTAKE_RESULT: Schema = obj(
    {
        "ad": ENTITY_REF,
        "entities": {"type": "array", "items": ENTITY_REF},
        "links": {"type": "array", "items": LINK_REF},
        "capture_id": {"type": ["integer", "null"], "description": "this case's capture"},
        "hits": {
            "type": "array",
            "items": HIT,
            "description": "the new identifiers other cases already hold; each audited",
        },
    }
)

# --- evidence and MLA requests (read-only summaries) ---------------------------------------------

EVIDENCE_ITEM: Schema = obj(
    {
        "id": ID,
        "reference": {"type": "string", "description": "CF-YYYY-NNNN/E-NNNN"},
        "number": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": list(ITEM_KINDS)},
        "description": {"type": "string"},
        "acquired_by": {"type": "string"},
        "acquired_at": DATETIME,
        "filename": {"type": ["string", "null"]},
        "media_type": {"type": ["string", "null"]},
        "size": {"type": ["integer", "null"]},
        "sha256": {"type": ["string", "null"]},
        "sha1": {"type": ["string", "null"]},
        "md5": {"type": ["string", "null"]},
        "created_at": DATETIME,
    }
)

MLA_REQUEST: Schema = obj(
    {
        "id": ID,
        "reference": {"type": "string", "description": "CF-YYYY-NNNN/R-NN"},
        "status": {"type": "string", "enum": list(REQUEST_STATUSES)},
        "requested_state": {"type": "string"},
        "legal_basis": {"type": "string", "description": "empty until chosen"},
        "urgency": {"type": "string"},
        "created_at": DATETIME,
        "updated_at": DATETIME,
        "sent_at": nullable(DATETIME),
    }
)
