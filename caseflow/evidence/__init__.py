"""Evidence intake and storage: content-addressed blobs and their hashes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the evidence and custody pages (and their case-page panel)."""
    from caseflow.evidence.views import bp

    app.register_blueprint(bp)
