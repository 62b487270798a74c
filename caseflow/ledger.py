"""The append-only ledger mechanism shared by the audit log and the custody ledger.

A ledger is a table whose rows carry `seq`, `prev_hash` and `entry_hash`; each row's
canonical record (documented in docs/ledger.md) hashes to `entry_hash`, and each record
names the previous row's hash, so any change, deletion, insertion or reordering breaks the
chain. The database refuses UPDATE and DELETE (triggers, see migrations). The hashing and
checking rules live in exports/verify.py so that the offline verifier uses the same code.
Must not import flask.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from caseflow.clock import rfc3339
from exports.verify import GENESIS_HASH, entry_hash, first_chain_break


class LedgerMixin:
    """Columns and canonical record of a ledger row. Subclasses list LEDGER_FIELDS."""

    LEDGER_NAME: ClassVar[str]
    LEDGER_FIELDS: ClassVar[tuple[str, ...]]

    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def ledger_record(self) -> dict[str, Any]:
        """The canonical record: the listed fields plus `seq` and `prev_hash`."""
        record = {name: _plain(getattr(self, name)) for name in self.LEDGER_FIELDS}
        record["ledger"] = self.LEDGER_NAME
        record["seq"] = self.seq
        record["prev_hash"] = self.prev_hash
        return record


T = TypeVar("T", bound=LedgerMixin)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _lock(session: Session, name: str) -> None:
    """Serialize appends to one ledger across processes, until the transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite transactions already start
    with BEGIN IMMEDIATE (caseflow.db), which admits one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"caseflow-ledger:{name}".encode())
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def append(session: Session, entry: T) -> T:
    """Append `entry` to its ledger inside the caller's transaction (no commit here)."""
    model = type(entry)
    _lock(session, model.LEDGER_NAME)
    last = session.execute(
        sa.select(model.seq, model.entry_hash).order_by(model.seq.desc()).limit(1)
    ).first()
    entry.seq = 1 if last is None else last.seq + 1
    entry.prev_hash = GENESIS_HASH if last is None else last.entry_hash
    entry.entry_hash = entry_hash(entry.ledger_record())
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ledger: str
    entries: int
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(session: Session, model: type[LedgerMixin], batch: int = 5000) -> ChainReport:
    """Recompute every hash of a ledger table and name the first entry that does not hold."""
    count = 0
    result = session.scalars(
        sa.select(model).order_by(model.seq).execution_options(yield_per=batch)
    )

    def pairs() -> Iterator[tuple[dict[str, Any], str]]:
        nonlocal count
        for row in result:
            count += 1
            yield row.ledger_record(), row.entry_hash

    try:
        bad = first_chain_break(pairs())
    finally:
        result.close()  # the check may stop early; release the server-side cursor
    if bad is None:
        return ChainReport(model.LEDGER_NAME, count, None, None)
    rows = session.scalars(sa.select(model).order_by(model.seq).offset(bad).limit(1)).all()
    seq = rows[0].seq if rows else bad + 1
    return ChainReport(model.LEDGER_NAME, count, seq, _explain(rows[0] if rows else None, bad))


def _explain(row: LedgerMixin | None, index: int) -> str:
    if row is None:
        return f"entry {index + 1} is missing"
    if row.seq != index + 1:
        return f"sequence gap: expected seq {index + 1}, found {row.seq}"
    if entry_hash(row.ledger_record()) != row.entry_hash:
        return "content does not match its recorded hash (entry altered)"
    return "previous-hash link broken (an entry before it was removed, inserted or altered)"
