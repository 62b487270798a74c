"""Cases: reference, status, jurisdictions, members (need-to-know), tasks and deadlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the case pages and the cases' part of the graph rebuild."""
    from caseflow.cases import graph  # noqa: F401  (its snapshot provider)
    from caseflow.cases.views import bp

    app.register_blueprint(bp)
