"""Accounts, passwords, TOTP second factor, server-side sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the login, enrolment and session pages."""
    from caseflow.auth.views import bp

    app.register_blueprint(bp)
