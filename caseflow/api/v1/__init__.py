"""`/api/v1`: the JSON API, one module per resource; every route is declared with
`caseflow.api.v1._core.operation`, and `openapi.json` is built from those declarations."""

from __future__ import annotations

from flask import jsonify

from caseflow.api.v1 import (  # noqa: F401  (registers their operations)
    cases,
    entities,
    intake,
    links,
    members,
    records,
    tasks,
)
from caseflow.api.v1._core import bp
from caseflow.api.v1.openapi import document
from caseflow.web import public

__all__ = ["bp"]


@bp.get("/openapi.json")
@public
def openapi_json():
    """The API description; public, like the source it is generated from (no case data)."""
    return jsonify(document())
