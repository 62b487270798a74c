"""Account administration pages. Admins manage accounts; they see no case content."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the account administration pages."""
    from caseflow.admin.views import bp

    app.register_blueprint(bp)
