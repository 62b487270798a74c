"""DDL that makes a ledger table append-only in the database itself (SQLite and PostgreSQL).

Used by migrations; the application never updates or deletes ledger rows, and these triggers
make sure nobody else does through the database either. Tampering that bypasses the database
(editing the file, dropping the triggers as the owner) is still caught by the hash chain.

SQLite: BEFORE UPDATE and BEFORE DELETE triggers, and a BEFORE INSERT trigger that refuses a
row whose primary key or any unique key is already taken. The last one is what stops `INSERT OR
REPLACE` / `REPLACE INTO`: REPLACE deletes the conflicting row without firing DELETE triggers
(unless `recursive_triggers` is on, which nobody can be made to set). `INSERT ... ON CONFLICT DO
UPDATE` fires the UPDATE trigger, and is refused by the INSERT trigger before that anyway.

PostgreSQL: a row trigger refusing UPDATE and DELETE (it also fires for `ON CONFLICT DO UPDATE`
and `MERGE`) and a statement trigger refusing TRUNCATE. The triggers stop mistakes; what stops
the application's own credentials from disabling them is that the runtime role does not own the
tables (docs/security.md, caseflow/migrations/roles.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The tables the database keeps append-only, as of the newest migration.
APPEND_ONLY_TABLES = (
    "audit_events",
    "custody_events",
    "evidence_items",
    "integrity_alarms",
    "ledger_tree_heads",
)


def make_append_only(table: str, *, refuse_rewrites: bool = True) -> None:
    """Refuse UPDATE, DELETE (and TRUNCATE) on `table`; with `refuse_rewrites` (the default
    for every new table) also refuse SQLite inserts that would replace an existing row.

    Revisions 0001 and 0005 pass `refuse_rewrites=False`: that is what they created, and
    revision 0008 added the rewrite guard to their tables."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
        if refuse_rewrites:
            make_rewrite_proof(table)
    elif dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{table} is append-only: % refused', TG_OP;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
        # The runtime role got DML on the new table by default privileges: take it back.
        from caseflow.migrations.roles import revoke_changes

        revoke_changes(op.get_bind(), table)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"append-only triggers not written for {dialect}")


def make_rewrite_proof(table: str) -> None:
    """SQLite: refuse any INSERT whose primary key or a unique key matches an existing row.

    The keys are read from the table as it stands, so the trigger covers every unique
    constraint and unique index. Plain inserts of new rows are unaffected (one index lookup
    per key); an insert that collides fails with the append-only message instead of the
    UNIQUE constraint's. PostgreSQL needs nothing: it has no REPLACE, and ON CONFLICT DO UPDATE
    fires the UPDATE trigger."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    conditions = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE "  # noqa: S608 - names from the schema
        + " AND ".join(f"{column} = NEW.{column}" for column in key)
        + ")"
        for key in _sqlite_unique_keys(bind, table)
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_rewrite BEFORE INSERT ON {table} WHEN {conditions} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
        f"INSERT over an existing row refused'); END"
    )


def drop_rewrite_proof(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_rewrite")


def _sqlite_unique_keys(bind: sa.Connection, table: str) -> list[tuple[str, ...]]:
    columns = bind.exec_driver_sql(f"PRAGMA table_info({table})").fetchall()
    primary: tuple[str, ...] = tuple(str(c[1]) for c in sorted(columns, key=lambda c: c[5]) if c[5])
    keys: list[tuple[str, ...]] = [primary] if primary else [("rowid",)]
    for index in bind.exec_driver_sql(f"PRAGMA index_list({table})").fetchall():
        _seq, name, unique, origin, partial = index[:5]
        if not unique or origin == "pk" or partial:
            continue  # a partial unique index cannot be checked without its WHERE clause
        info = bind.exec_driver_sql(f"PRAGMA index_info({name})").fetchall()
        key = tuple(str(c[2]) for c in sorted(info) if c[2] is not None)
        if len(key) != len(info):
            continue  # an expression index: no plain columns to compare
        if key and key not in keys:
            keys.append(key)
    return keys


def drop_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_rewrite")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
