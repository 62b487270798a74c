"""The JSON API: personal access tokens (models, services, settings page) and `/api/v1`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register `/api/v1` and the personal access token settings page."""
    from caseflow.api.v1 import bp as api_v1
    from caseflow.api.views import bp as tokens

    app.register_blueprint(api_v1)
    app.register_blueprint(tokens)
