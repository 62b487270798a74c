"""Flask extensions, created unbound and initialised by the app factory; the request-scoped
SQL session lives here too."""

from __future__ import annotations

from flask import current_app, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

login_manager = LoginManager()
csrf = CSRFProtect()


def db_session() -> Session:
    """The SQL session of the current request (or CLI command), closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["caseflow.sessionmaker"]()
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        # Anything not committed by a service is rolled back: views never commit.
        session.rollback()
        session.close()
