"""Cross-border (MLA / EIO / preservation) requests: drafting, legal basis, approval,
signed packets, clocks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the request pages (and their case-page and dashboard panels)."""
    from caseflow.mla.views import bp

    app.register_blueprint(bp)
