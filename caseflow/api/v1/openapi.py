"""The OpenAPI 3.1 document, assembled only from the operation registry (never by hand)."""

from __future__ import annotations

from typing import Any

from caseflow.api.v1 import schemas
from caseflow.api.v1._core import (
    DEFAULT_PER_PAGE,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    OPERATIONS,
    PURPOSE_HEADER,
    Operation,
)

_REASONS = {
    400: "Invalid input: the error names the field",
    401: "Missing, invalid, expired or revoked token",
    403: "Not allowed: role, read-only token, or a supervisor's purpose is required",
    404: "No such object, or not a member of its case",
    413: "Body too large",
    415: "Body is not application/json",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for name in op.path_params
    ]
    if op.paginated:
        params += [
            {
                "name": "page",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            },
            {
                "name": "per_page",
                "in": "query",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PER_PAGE,
                    "default": DEFAULT_PER_PAGE,
                },
            },
        ]
    params += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in op.query.items()
    ]
    if "case_id" in op.path_params:
        params.append(
            {
                "name": PURPOSE_HEADER,
                "in": "header",
                "description": "Supervisors reading a case they are not a member of: why "
                "(at least 10 characters; audited). Ignored for other roles.",
                "schema": {"type": "string", "minLength": 10, "maxLength": 500},
            }
        )
    return params


def _operation(op: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "OK"}
    if op.response is not None:
        success["content"] = _json(op.response)
    else:
        success["description"] = "Done, no content"
    responses: dict[str, Any] = {str(op.status): success}
    for status in op.error_statuses:
        responses[str(status)] = {
            "description": _REASONS[status],
            "content": _json({"$ref": "#/components/schemas/Error"}),
        }
    doc: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "responses": responses,
        "security": [{"bearer": ["write" if op.writes else "read"]}],
    }
    if op.request is not None:
        doc["requestBody"] = {"required": True, "content": _json(op.request)}
    return doc


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CaseFlow API",
            "version": "1",
            "description": "Cases, members, tasks, identifiers, links, cross-case hits, ad "
            "intake, evidence and MLA requests. Authenticate with a personal access token: "
            "`Authorization: Bearer cfp_...`. See docs/api.md.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": schemas.ERROR},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Personal access token (scopes: read, write)",
                }
            },
        },
        "security": [{"bearer": []}],
    }
