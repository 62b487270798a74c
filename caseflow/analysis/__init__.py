"""Link analysis pages: the case graph, neighbourhoods, paths, ad clusters, jurisdictions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the link analysis pages."""
    from caseflow.analysis.views import bp

    app.register_blueprint(bp)
