"""Entities (selectors): the pure rules that normalize, validate and extract identifiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the entity pages and the entities' part of the graph rebuild."""
    from caseflow.entities import graph  # noqa: F401  (its snapshot provider)
    from caseflow.entities.views import bp

    app.register_blueprint(bp)
