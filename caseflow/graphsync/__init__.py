"""The transactional outbox that projects the system of record into Neo4j, and the app's
connection to Neo4j (one driver per process, created on first use, never at import)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from graph.store import GraphStore


@dataclass(frozen=True)
class GraphStatus:
    available: bool
    backlog: int

    @property
    def current(self) -> bool:
        return self.available and self.backlog == 0


class GraphAccess:
    """Lazily connects to Neo4j; `store()` returns None while no password is configured."""

    def __init__(self, uri: str, user: str, password: str | None, database: str = "neo4j"):
        self.uri, self.user, self.password, self.database = uri, user, password, database
        self._driver: Any = None
        self._schema_ready = False
        self._lock = threading.Lock()

    def store(self) -> GraphStore | None:
        if not self.password:
            return None
        with self._lock:
            if self._driver is None:
                from neo4j import GraphDatabase

                self._driver = GraphDatabase.driver(
                    self.uri,
                    auth=(self.user, self.password),
                    connection_timeout=3.0,
                    max_transaction_retry_time=2.0,
                    connection_acquisition_timeout=5.0,
                    # "label does not exist" hints on an empty graph are not our problems.
                    notifications_min_severity="OFF",
                )
        store = GraphStore(self._driver, self.database)
        if not self._schema_ready and store.ping():
            # Constraints and indexes once per process, as soon as the server answers.
            store.ensure_schema()
            self._schema_ready = True
        return store

    def close(self) -> None:
        with self._lock:
            if self._driver is not None:
                self._driver.close()
                self._driver = None


def init_app(app: Any) -> None:
    """Wire the projector: after each commit that wrote outbox rows, drain them.

    CASEFLOW_GRAPH_SYNC: "thread" (default: a background thread per process drains and
    retries), "inline" (drain before the request returns; tests), "off" (only
    `caseflow graph sync`).
    """
    from caseflow.graphsync.models import OutboxRow
    from caseflow.graphsync.projector import BackgroundProjector, drain

    access = GraphAccess(
        app.config["NEO4J_URI"], app.config["NEO4J_USER"], app.config.get("NEO4J_PASSWORD")
    )
    app.extensions["caseflow.graph"] = access
    factory = app.extensions["caseflow.sessionmaker"]
    mode = app.config.get("GRAPH_SYNC", "thread")
    projector = BackgroundProjector(factory, access.store)
    app.extensions["caseflow.projector"] = projector

    @event.listens_for(factory, "before_flush")
    def _mark(session: Session, _ctx: Any, _instances: Any) -> None:
        if any(isinstance(obj, OutboxRow) for obj in session.new):
            session.info["graph_dirty"] = True

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        if not session.info.pop("graph_dirty", False) or mode == "off":
            return
        if mode == "inline":
            store = access.store()
            if store is not None:
                drain(factory, store)
        else:
            projector.poke()

    if mode == "thread":
        started = threading.Event()

        @app.before_request
        def _start_projector() -> None:
            # The first request a process serves starts the drainer, which drains what waits
            # in the outbox now and then every few seconds: a restart with Neo4j back (or at
            # a new address) catches up without anyone writing. Not at import or in CLI
            # commands, which create the app before the tables may exist.
            if not started.is_set():
                started.set()
                projector.poke()

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop("graph_dirty", None)


def graph_status(app: Any, session: Session) -> GraphStatus:
    from caseflow.graphsync.projector import backlog

    store = app.extensions["caseflow.graph"].store()
    return GraphStatus(available=bool(store and store.ping()), backlog=backlog(session))
