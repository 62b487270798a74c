"""Flask extensions, created unbound and initialised by the app factory, and the unit of work
of each request (or CLI command): one SQL session, ended once by the boundary.

A request's unit of work commits when its view answers with a status below 400, and rolls
back when the view raised or answered with an error status (refusal records kept: see
caseflow.uow). A view that catches a service's error to show it calls `rollback_unit()`
first. CLI commands end theirs with caseflow.cli's `unit_of_work` decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from caseflow import uow

login_manager = LoginManager()
csrf = CSRFProtect()


def db_session() -> Session:
    """The SQL session of the current request (or CLI command), closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["caseflow.sessionmaker"]()
    return g.db_session


def transactions() -> uow.Transactions:
    """The request's session for a use case that ends its own short transactions (slow work
    outside any transaction: uploads, serving files, packet exports, verification)."""
    return uow.Transactions(db_session())


def rollback_unit() -> None:
    """A view caught a service's error and will show it: undo the use case now (refusal
    records are written), so nothing it wrote before raising is committed with the page."""
    session = g.get("db_session")
    if session is not None:
        uow.rollback(session)


def write_apart(write: Callable[[Session], Any]) -> None:
    """A short unit of work of its own, beside the request's (an operator alarm after the
    request's unit failed to commit): `write(session)` is committed at once."""
    session = current_app.extensions["caseflow.sessionmaker"]()
    try:
        with uow.unit_of_work(session):
            write(session)
    finally:
        session.close()


def end_request_unit(response: Response) -> Response:
    """after_request: commit the request's unit of work once, or roll it back on an error
    status. A failing commit rolls back and raises, so the client gets an error, never a
    success for something not stored."""
    session = g.get("db_session")
    if session is None or g.get("unit_ended"):
        return response
    g.unit_ended = True
    if response.status_code >= 400:
        uow.rollback(session)
        return response
    try:
        uow.commit(session)
    except Exception:
        uow.rollback(session)
        raise
    return response


def close_db_session(_exc: BaseException | None = None) -> None:
    """teardown_appcontext: whatever was not committed by the boundary is rolled back."""
    session = g.pop("db_session", None)
    if session is not None:
        uow.rollback(session)
        session.close()
