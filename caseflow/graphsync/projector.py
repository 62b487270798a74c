"""The projector: applies outbox rows to Neo4j, idempotently, in id order, one applier at a
time (rows claimed with SKIP LOCKED on PostgreSQL, a lease on SQLite). Must not import flask.

Rows are marked applied only after Neo4j accepted them; a failure records the error and the
attempt count on the rows and leaves them pending, so nothing is ever lost: the next drain
(after the next commit, by the background thread, or `caseflow graph sync`) retries them.
Re-applying is safe because every graph operation is a MERGE by stable id.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from caseflow.clock import utcnow
from caseflow.graphsync.models import OutboxLease, OutboxRow
from graph.records import GraphOp, Inventory
from graph.store import GraphStore

log = logging.getLogger(__name__)

BATCH = 2000


@dataclass(frozen=True)
class DrainResult:
    applied: int
    backlog: int
    error: str | None = None


def backlog(session: Session) -> int:
    return (
        session.scalar(sa.select(sa.func.count(OutboxRow.id)).where(OutboxRow.applied_at.is_(None)))
        or 0
    )


LEASE_SECONDS = 300.0  # an applier that died holding the SQLite lease is replaced after this


def _holder() -> str:
    return f"{os.getpid()}/{threading.get_ident()}/{uuid.uuid4().hex[:8]}"


def drain(
    factory: sessionmaker[Session],
    store: GraphStore,
    *,
    batch: int = BATCH,
    limit: int | None = None,
    now: Callable[[], datetime] = utcnow,
    progress: Callable[[int], None] | None = None,
) -> DrainResult:
    """Apply pending rows in batches, in id order, until none are left (or `limit` rows were
    applied). One applier at a time: every projector thread of every process may call this,
    but each row is applied by one of them, once per attempt, and rows are applied in id
    order, so an entity's changes reach Neo4j in the order they were made.

    PostgreSQL: the batch is claimed with SELECT … FOR UPDATE SKIP LOCKED and its row locks
    are held while Neo4j applies it; a caller whose claim is not the oldest pending row (an
    applier is busy with earlier rows) leaves the rest to that applier. SQLite: the caller
    takes the outbox lease (graph_outbox_lease), or returns at once if another holds it; the
    lease is renewed per batch and lapses after LEASE_SECONDS if its holder died.
    """
    with factory() as session:
        dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _drain_claiming(factory, store, batch, limit, now, progress)
    holder = _holder()
    if not _take_lease(factory, holder, now()):
        return _result(factory, 0)
    try:
        return _drain_leased(factory, store, holder, batch, limit, now, progress)
    finally:
        _release_lease(factory, holder)


def _pending(batch: int) -> sa.Select[OutboxRow]:
    return (
        sa.select(OutboxRow)
        .where(OutboxRow.applied_at.is_(None))
        .order_by(OutboxRow.id)
        .limit(batch)
    )


def _result(factory: sessionmaker[Session], applied: int, error: str | None = None) -> DrainResult:
    with factory() as session:
        return DrainResult(applied, backlog(session), error)


@dataclass(frozen=True)
class _Claimed:
    id: int
    op: GraphOp


def _claimed(rows: Iterable[OutboxRow]) -> list[_Claimed]:
    return [_Claimed(r.id, GraphOp(r.op, r.payload)) for r in rows]


def _apply(
    session: Session, store: GraphStore, rows: list[_Claimed], now: Callable[[], datetime]
) -> str | None:
    """Apply `rows` to Neo4j and record the outcome on them (the caller commits). Only rows
    still pending are touched, so an applied row never gets an error message."""
    ids = [r.id for r in rows]
    pending = sa.update(OutboxRow).where(OutboxRow.id.in_(ids), OutboxRow.applied_at.is_(None))
    try:
        store.apply([r.op for r in rows])
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:2000]
        session.execute(pending.values(attempts=OutboxRow.attempts + 1, last_error=message))
        return message
    session.execute(
        pending.values(applied_at=now(), attempts=OutboxRow.attempts + 1, last_error=None)
    )
    return None


def _drain_claiming(
    factory: sessionmaker[Session],
    store: GraphStore,
    batch: int,
    limit: int | None,
    now: Callable[[], datetime],
    progress: Callable[[int], None] | None,
) -> DrainResult:
    applied = 0
    while limit is None or applied < limit:
        with factory() as session:
            rows = _claimed(session.scalars(_pending(batch).with_for_update(skip_locked=True)))
            if not rows:
                break
            oldest = session.scalar(
                sa.select(sa.func.min(OutboxRow.id)).where(OutboxRow.applied_at.is_(None))
            )
            if oldest is not None and oldest < rows[0].id:
                session.rollback()  # another applier holds earlier rows: it goes on in order
                break
            error = _apply(session, store, rows, now)
            session.commit()
            if error:
                return _result(factory, applied, error)
            applied += len(rows)
            if progress:
                progress(len(rows))
    return _result(factory, applied)


def _take_lease(factory: sessionmaker[Session], holder: str, moment: datetime) -> bool:
    with factory() as session:
        taken = session.execute(
            sa.update(OutboxLease)
            .where(
                OutboxLease.id == 1,
                sa.or_(
                    OutboxLease.holder.is_(None),
                    OutboxLease.holder == holder,
                    OutboxLease.expires_at < moment,
                ),
            )
            .values(holder=holder, expires_at=moment + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(getattr(taken, "rowcount", 0) == 1)


def _release_lease(factory: sessionmaker[Session], holder: str) -> None:
    with factory() as session:
        session.execute(
            sa.update(OutboxLease)
            .where(OutboxLease.id == 1, OutboxLease.holder == holder)
            .values(holder=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _drain_leased(
    factory: sessionmaker[Session],
    store: GraphStore,
    holder: str,
    batch: int,
    limit: int | None,
    now: Callable[[], datetime],
    progress: Callable[[int], None] | None,
) -> DrainResult:
    applied = 0
    while limit is None or applied < limit:
        with factory() as session:
            rows = _claimed(session.scalars(_pending(batch)))
            session.rollback()  # release the read (SQLite write lock) while Neo4j works
        if not rows:
            break
        if not _take_lease(factory, holder, now()):  # renewed; lost only if it lapsed
            break
        with factory() as session:
            error = _apply(session, store, rows, now)
            session.commit()
        if error:
            return _result(factory, applied, error)
        applied += len(rows)
        if progress:
            progress(len(rows))
    return _result(factory, applied)


# --- rebuild and check: what the graph should hold, computed from SQL -----------------------

# Each feature that projects into the graph registers a function yielding the GraphOps that
# recreate its part from the system of record (cases, entities, memberships, links).
SNAPSHOT_PROVIDERS: list[Callable[[Session], Iterable[GraphOp]]] = []


def snapshot_provider(
    fn: Callable[[Session], Iterable[GraphOp]],
) -> Callable[[Session], Iterable[GraphOp]]:
    SNAPSHOT_PROVIDERS.append(fn)
    return fn


def snapshot(session: Session) -> Iterator[GraphOp]:
    for provider in SNAPSHOT_PROVIDERS:
        yield from provider(session)


def expected_inventory(session: Session) -> Inventory:
    """The inventory Neo4j should have, from SQL: deletions and removals already applied."""
    entities: dict[str, set[int]] = {}
    cases: set[int] = set()
    memberships: set[tuple[int, int]] = set()
    links: dict[str, set[int]] = {}
    for op in snapshot(session):
        p = op.payload
        if op.op == "upsert_entity":
            entities.setdefault(p["kind"], set()).add(p["id"])
        elif op.op == "upsert_case":
            cases.add(p["id"])
        elif op.op == "add_membership":
            memberships.add((p["entity_id"], p["case_id"]))
        elif op.op == "upsert_link":
            links.setdefault(p["type"], set()).add(p["id"])
    return Inventory(
        entity_ids_by_kind={k: frozenset(v) for k, v in entities.items()},
        case_ids=frozenset(cases),
        memberships=frozenset(memberships),
        link_ids_by_type={k: frozenset(v) for k, v in links.items()},
    )


def compare(expected: Inventory, actual: Inventory) -> list[str]:
    """Differences between SQL and Neo4j, as lines a person can act on; empty when equal."""
    problems: list[str] = []

    def diff(label: str, want: frozenset, have: frozenset) -> None:
        missing, extra = want - have, have - want
        if missing:
            problems.append(f"{label}: {len(missing)} missing in Neo4j, e.g. {sorted(missing)[:5]}")
        if extra:
            problems.append(
                f"{label}: {len(extra)} in Neo4j but not in SQL, e.g. {sorted(extra)[:5]}"
            )

    for kind in sorted(set(expected.entity_ids_by_kind) | set(actual.entity_ids_by_kind)):
        diff(
            f"entities of kind {kind or '(endpoint only)'}",
            expected.entity_ids_by_kind.get(kind, frozenset()),
            actual.entity_ids_by_kind.get(kind, frozenset()),
        )
    diff("cases", expected.case_ids, actual.case_ids)
    diff("memberships", expected.memberships, actual.memberships)
    for kind in sorted(set(expected.link_ids_by_type) | set(actual.link_ids_by_type)):
        diff(
            f"links of type {kind}",
            expected.link_ids_by_type.get(kind, frozenset()),
            actual.link_ids_by_type.get(kind, frozenset()),
        )
    return problems


def rebuild(
    factory: sessionmaker[Session],
    store: GraphStore,
    *,
    progress: Callable[[int], None] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Recreate the whole graph from SQL. Pending outbox rows are marked applied: the
    snapshot already contains their effect."""
    with factory() as session:
        high_water = session.scalar(sa.select(sa.func.max(OutboxRow.id))) or 0
        ops = list(snapshot(session))
        session.rollback()
    store.clear()
    store.ensure_schema()
    for start in range(0, len(ops), BATCH):
        chunk = ops[start : start + BATCH]
        store.apply(chunk)
        if progress:
            progress(len(chunk))
    with factory() as session:
        session.execute(
            sa.update(OutboxRow)
            .where(OutboxRow.id <= high_water, OutboxRow.applied_at.is_(None))
            .values(applied_at=now(), last_error=None)
        )
        session.commit()
    return len(ops)


# --- the background drainer ------------------------------------------------------------------


class BackgroundProjector:
    """A daemon thread per process that drains the outbox when poked and every few seconds,
    so the graph catches up by itself when Neo4j comes back."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        store_factory: Callable[[], GraphStore | None],
        interval: float = 5.0,
    ) -> None:
        self._factory = factory
        self._store_factory = store_factory
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="caseflow-graph-projector", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                store = self._store_factory()
                if store is not None:
                    result = drain(self._factory, store)
                    if result.error:
                        log.warning(
                            "graph projection pending (%s rows): %s", result.backlog, result.error
                        )
            except Exception:
                log.exception("graph projector failed; will retry")
