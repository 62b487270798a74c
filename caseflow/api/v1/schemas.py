"""JSON Schemas (OpenAPI 3.1 / JSON Schema 2020-12) of the API's request and response bodies.

Request schemas are also what the handlers validate against (caseflow.api.v1.validation);
`title` is the label used in error messages.
"""

from __future__ import annotations

from typing import Any

from caseflow.cases.models import CASE_STATUSES, MEMBER_ROLES, PRIORITIES, TASK_KINDS, TASK_STATUSES

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
