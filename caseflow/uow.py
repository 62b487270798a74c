"""The unit of work: how a web request, an API request or a CLI command owns its transaction.

The boundary (caseflow.extensions for requests, caseflow.cli for commands) opens one SQL
session, passes it to the services, and ends the unit of work once: `commit` when the use case
succeeded, `rollback` on any exception. Services never commit (docs/style.md).

Two kinds of records outlive a rollback; services declare them, the boundary writes them:
- `after_rollback(session, write)`: a refusal or failure (a wrong TOTP code, an integrity
  alarm) that the service records and then raises. `write(session)` runs after the rollback,
  in its own short transaction; a unit with a refusal is always rolled back, even when the
  caller handled the error.
- `record_durably(session, write)`: a record written now that must survive a later rollback
  of the same unit (the use of an API token); written again after a rollback.

Work outside the database that the unit must take back if it is not committed (a blob an
upload just stored) is declared with `undo_on_rollback(session, action)`: `action()` runs
after the rollback, whether the use case raised or the commit itself failed (a full disk).

Slow work (packet builds, re-hashing, verification) runs outside write transactions: the
service reads what it needs in `read_transaction` (on SQLite a deferred transaction, which
takes no write lock), works with no transaction open, then records its result in a short
write that the boundary (or `write_transaction`) commits.

Must not import flask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from caseflow.db import READ_OPTION

log = logging.getLogger(__name__)

Writer = Callable[[Session], Any]

_REFUSALS = "caseflow.uow.refusals"  # written after the rollback of the unit
_DURABLE = "caseflow.uow.durable"  # written already; written again after a rollback
_READ_ONLY = "caseflow.uow.read_only"
_UNDO = "caseflow.uow.undo"  # non-database work to take back if the unit is not committed


class ReadOnlyTransactionError(RuntimeError):
    """A read transaction tried to write: a programming error, never user input."""


def after_rollback(session: Session, write: Writer) -> None:
    """Record a refusal or failure that must be kept whatever becomes of this unit of work.

    `write(session)` must load what it needs by id (objects of the rolled-back transaction
    are expired) and must not commit.
    """
    session.info.setdefault(_REFUSALS, []).append(write)


def record_durably(session: Session, write: Writer) -> None:
    """Write a record now and again after a rollback of this unit of work (e.g. token use)."""
    write(session)
    session.info.setdefault(_DURABLE, []).append(write)


def undo_on_rollback(session: Session, action: Callable[[], Any]) -> None:
    """Take back work done outside the database (a file stored for this unit) if the unit of
    work is rolled back or its commit fails; forgotten once the unit commits. `action` must
    not touch the session; a failure in it is logged, never raised."""
    session.info.setdefault(_UNDO, []).append(action)


def _undo(session: Session) -> None:
    for action in reversed(session.info.pop(_UNDO, [])):
        try:
            action()
        except Exception:
            log.exception("could not take back work of a rolled-back unit of work")


def commit(session: Session) -> None:
    """End the unit of work with one commit.

    A unit in which a service recorded a refusal (and raised) is rolled back instead, even
    when the caller handled the error: what the failed use case wrote before raising must
    not be committed with the rest.
    """
    if session.info.get(_REFUSALS):
        rollback(session)
        return
    session.commit()
    session.info.pop(_DURABLE, None)
    session.info.pop(_UNDO, None)


def rollback(session: Session) -> None:
    """Undo the unit of work, then keep its refusal and durable records in a short transaction.

    A failure while writing them is logged and does not hide the error being handled.
    """
    writers = session.info.pop(_DURABLE, []) + session.info.pop(_REFUSALS, [])
    session.rollback()
    _undo(session)
    if not writers:
        return
    try:
        for write in writers:
            write(session)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not keep %d refusal record(s) after a rollback", len(writers))


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit once when the block ends normally; roll back on any exception."""
    try:
        yield session
    except BaseException:
        rollback(session)
        raise
    commit(session)


@contextmanager
def read_transaction(session: Session) -> Iterator[Session]:
    """A short transaction that only reads: deferred on SQLite (no write lock, so writers on
    other cases go on) and read-only on both databases (SQLite query_only, PostgreSQL READ
    ONLY), so a write in it fails. Objects it loaded stay usable after the block (it ends by
    an empty commit, which expires nothing here)."""
    if session.in_transaction():
        raise RuntimeError("a read transaction must not start inside an open transaction")
    session.connection(execution_options={READ_OPTION: True})
    session.info[_READ_ONLY] = True
    try:
        yield session
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyTransactionError("a read transaction left changes to write")
    except BaseException:
        session.info.pop(_READ_ONLY, None)
        session.rollback()
        raise
    session.info.pop(_READ_ONLY, None)
    session.commit()  # nothing to write: ends the read transaction


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """A short write inside a longer use case (after slow work): commit at the end, roll back
    (keeping refusal records) on an exception. Only boundary-owned multi-step use cases use
    it, through the `Transactions` handed to them."""
    if session.in_transaction():
        raise RuntimeError("a write transaction must not start inside an open transaction")
    with unit_of_work(session):
        yield session


class Transactions:
    """What a boundary hands to a use case that must end its transactions itself (a packet
    export, a custody verification): short reads, slow work outside any transaction, and
    short writes, each committed as it ends."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self) -> Any:
        self._settle()
        return read_transaction(self.session)

    def write(self) -> Any:
        self._settle()
        return write_transaction(self.session)

    def _settle(self) -> None:
        # Reads the boundary did before handing over (access checks, page data) end here.
        if self.session.in_transaction():
            commit(self.session)


def install(factory: sessionmaker[Session]) -> None:
    """Refuse flushes inside read transactions for every session of `factory`, and forget
    undo_on_rollback actions once a transaction commits."""

    @event.listens_for(factory, "after_commit")
    def _forget_undo(session: Session) -> None:
        # Committed, whoever committed (a boundary, a short write, a test's arrange step):
        # the work outside the database is kept.
        session.info.pop(_UNDO, None)

    @event.listens_for(factory, "before_flush")
    def _refuse_writes(session: Session, _ctx: Any, _instances: Any) -> None:
        if session.info.get(_READ_ONLY) and (session.new or session.dirty or session.deleted):
            raise ReadOnlyTransactionError("a read transaction tried to write")
