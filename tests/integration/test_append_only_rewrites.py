"""A forger with write access to the database file cannot rewrite an existing ledger row.

UPDATE and DELETE are refused by triggers; these tests act as the forger who tries the other
ways of replacing a row: `INSERT OR REPLACE`, `REPLACE INTO` and `INSERT ... ON CONFLICT DO
UPDATE` (SQLite's REPLACE deletes the conflicting row without firing DELETE triggers). On
SQLite each statement goes through a raw `sqlite3` connection, as a forger with the file would
use it; on PostgreSQL through the owner's connection (ON CONFLICT DO UPDATE; PostgreSQL has no
REPLACE). Each must be refused and leave the row as it was.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from caseflow.actor import Actor
from caseflow.evidence import services
from caseflow.evidence.models import IntegrityAlarm
from caseflow.extensions import db_session
from caseflow.migrations.append_only import APPEND_ONLY_TABLES
from tests.factories import make_case, make_evidence_item

# A column each forgery changes (not part of any key), per append-only table.
FORGED_COLUMN = {
    "audit_events": "action",
    "custody_events": "tool",
    "evidence_items": "acquisition_method",
    "ledger_tree_heads": "key_name",
    "integrity_alarms": "detail",
}
# The unique keys of each table other than the primary key, for the "same key, new id" forgery.
OTHER_UNIQUE = {
    "audit_events": ("seq",),
    "custody_events": ("seq",),
    "evidence_items": ("reference",),
    "ledger_tree_heads": (),
    "integrity_alarms": (),
}


@pytest.fixture
def ledger_rows(app, officer, clock):
    """A case with an item (custody and audit rows), a signed head and an integrity alarm."""
    case_id = make_case(app, officer).id
    with app.app_context():
        session = db_session()
        now = clock()
        item = make_evidence_item(session, officer, case_id, kind="physical", now=now)
        signer = current_app.extensions["caseflow.ledger_signer"]
        services.sign_checkpoints(session, Actor.system("test"), now, signer=signer)
        session.add(
            IntegrityAlarm(
                case_id=case_id,
                item_id=item.id,
                kind="blob-missing",
                detail="synthetic alarm",
                raised_at=now,
                raised_by="test",
            )
        )
        session.commit()
    return app.config["DATABASE_URL"]


def test_every_ledger_table_is_covered():
    assert set(FORGED_COLUMN) == set(APPEND_ONLY_TABLES)


def _first_row(connection: Any, table: str, dialect: str) -> dict[str, Any]:
    if dialect == "sqlite":
        cursor = connection.execute(f"SELECT * FROM {table} ORDER BY id LIMIT 1")  # noqa: S608
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))
    row = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id LIMIT 1"))  # noqa: S608
    return dict(row.mappings().one())


def _all_rows(connection: Any, table: str, dialect: str) -> list[tuple]:
    query = f"SELECT * FROM {table} ORDER BY id"  # noqa: S608
    if dialect == "sqlite":
        return connection.execute(query).fetchall()
    return [tuple(r) for r in connection.execute(sa.text(query))]


def _forgeries(table: str, row: dict[str, Any], dialect: str) -> list[tuple[str, dict]]:
    """(statement, parameters) pairs, each trying to replace `row` with a forged copy."""
    column = FORGED_COLUMN[table]
    forged = dict(row, **{column: "forged"})
    names = ", ".join(forged)
    values = ", ".join(f":{n}" for n in forged)
    insert = f"INSERT INTO {table} ({names}) VALUES ({values})"  # noqa: S608
    upsert = f"{insert} ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}"
    statements = [(upsert, forged)]
    if dialect == "sqlite":
        statements += [
            (insert.replace("INSERT INTO", "INSERT OR REPLACE INTO", 1), forged),
            (insert.replace("INSERT INTO", "REPLACE INTO", 1), forged),
        ]
        for key in OTHER_UNIQUE[table]:
            # A new id with an existing unique key: REPLACE deletes the row holding that key.
            moved = dict(forged, id=row["id"] + 1000)
            statements.append((insert.replace("INSERT INTO", "REPLACE INTO", 1), moved))
            target = ", ".join(key.split())
            statements.append(
                (f"{insert} ON CONFLICT ({target}) DO UPDATE SET {column} = 'forged'", moved)
            )
    return statements


@pytest.mark.parametrize("table", sorted(FORGED_COLUMN))
def test_rewrites_of_an_existing_row_are_refused(ledger_rows, table):
    url = make_url(ledger_rows)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        try:
            row = _first_row(connection, table, "sqlite")
            before = _all_rows(connection, table, "sqlite")
            for statement, params in _forgeries(table, row, "sqlite"):
                with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                    connection.execute(statement, params)
            assert _all_rows(connection, table, "sqlite") == before
        finally:
            connection.close()
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            before = _all_rows(connection, table, "postgresql")
            names = list(_first_row(connection, table, "postgresql"))
            connection.rollback()
            column = FORGED_COLUMN[table]
            selected = ", ".join("'forged'" if n == column else n for n in names)
            keys = [("id",), *[k.split() for k in OTHER_UNIQUE[table]]]
            for key in keys:
                # The forger copies the first row with one field changed onto itself.
                statement = (
                    f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
                    f"SELECT {selected} FROM {table} WHERE id = (SELECT min(id) FROM {table}) "
                    f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {column} = excluded.{column}"
                )
                with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                    connection.execute(sa.text(statement))
                connection.rollback()
            assert _all_rows(connection, table, "postgresql") == before
    finally:
        engine.dispose()


def test_new_rows_are_still_appended(ledger_rows):
    """The guard refuses collisions only: the application keeps appending."""
    url = make_url(ledger_rows)
    if url.get_backend_name() != "sqlite":
        pytest.skip("the SQLite guard only; PostgreSQL appends are covered everywhere")
    connection = sqlite3.connect(url.database, isolation_level=None)
    try:
        row = _first_row(connection, "integrity_alarms", "sqlite")
        row = dict(row, id=None, detail="second alarm")
        names = ", ".join(row)
        values = ", ".join(f":{n}" for n in row)
        connection.execute(f"INSERT INTO integrity_alarms ({names}) VALUES ({values})", row)  # noqa: S608
        assert connection.execute("SELECT count(*) FROM integrity_alarms").fetchone() == (2,)
    finally:
        connection.close()


def test_every_append_only_table_keeps_its_triggers_at_head(database_url):
    """A later migration that rebuilds a table (SQLite batch mode copies it) must not drop
    its guards."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                names = set(
                    connection.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                    ).scalars()
                )
                suffixes = ("no_update", "no_delete", "no_rewrite")
            else:
                names = set(
                    connection.exec_driver_sql(
                        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                    ).scalars()
                )
                suffixes = ("no_change", "no_truncate")
    finally:
        engine.dispose()
    for table in APPEND_ONLY_TABLES:
        for suffix in suffixes:
            assert f"{table}_{suffix}" in names
