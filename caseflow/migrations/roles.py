"""PostgreSQL privileges of the runtime role (docs/security.md, "Database roles").

Two roles: the **owner** (migration) role runs `caseflow db upgrade` and owns every table;
the **runtime** role, which the application connects as, owns nothing. It may SELECT and
INSERT on the append-only ledger tables and nothing more (no UPDATE, DELETE, TRUNCATE, and as
a non-owner no ALTER, DROP or DISABLE TRIGGER), and it has ordinary DML on the other tables.
So the application's credentials cannot rewrite the ledgers, nor switch off their triggers.

The append-only tables are found in the database itself: those carrying the triggers of
caseflow/migrations/append_only.py. A table created by a later migration gets DML through the
default privileges set here, and `make_append_only` takes UPDATE, DELETE and TRUNCATE back.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
APPEND_ONLY_TRIGGER_SUFFIX = "_no_change"  # see append_only.make_append_only


def append_only_tables(connection: sa.Connection) -> list[str]:
    """The tables of the current schema that carry the append-only row trigger."""
    return list(
        connection.execute(
            sa.text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT t.tgisinternal "
                "AND t.tgname = c.relname || :suffix ORDER BY c.relname"
            ),
            {"suffix": APPEND_ONLY_TRIGGER_SUFFIX},
        ).scalars()
    )


def grant_runtime_role(connection: sa.Connection, role: str) -> None:
    """Give `role` exactly the runtime privileges, on every table now and on later ones.

    Idempotent; run by revision 0017 and again by each `caseflow db upgrade` that names a
    runtime role, so a role introduced later is set up the same way."""
    if connection.dialect.name != "postgresql":
        return
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"runtime role: a plain lower-case PostgreSQL name, not {role!r}")
    owner = connection.execute(sa.text("SELECT current_user")).scalar_one()
    if owner == role:
        raise ValueError(
            f"runtime role {role!r} is the migration role: the application must connect as a "
            "role that does not own the tables (CASEFLOW_MIGRATION_DATABASE_URL)"
        )
    tables = list(
        connection.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
        ).scalars()
    )
    ledgers = set(append_only_tables(connection))
    run = connection.exec_driver_sql
    run(f"GRANT USAGE ON SCHEMA {_schema(connection)} TO {role}")
    for table in tables:
        run(f'REVOKE ALL ON TABLE "{table}" FROM {role}')
        if table in ledgers:
            run(f'GRANT SELECT, INSERT ON TABLE "{table}" TO {role}')
        elif table == "alembic_version":
            run(f'GRANT SELECT ON TABLE "{table}" TO {role}')
        else:
            run(f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "{table}" TO {role}')
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema(connection)} TO {role}")
    # Tables and sequences a later migration creates (make_append_only revokes again).
    run(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_schema(connection)} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
    )
    run(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_schema(connection)} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {role}"
    )


def revoke_changes(connection: sa.Connection, table: str) -> None:
    """Take UPDATE, DELETE and TRUNCATE on `table` from every role but its owner (a table
    made append-only after default privileges granted them)."""
    if connection.dialect.name != "postgresql":
        return
    grantees = connection.execute(
        sa.text(
            "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
            "WHERE table_schema = current_schema() AND table_name = :table "
            "AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') "
            "AND grantee <> (SELECT tableowner FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = :table)"
        ),
        {"table": table},
    ).scalars()
    for grantee in grantees:
        name = "PUBLIC" if grantee == "PUBLIC" else f'"{grantee}"'
        connection.exec_driver_sql(
            f'REVOKE UPDATE, DELETE, TRUNCATE ON TABLE "{table}" FROM {name}'
        )


def _schema(connection: sa.Connection) -> str:
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    return f'"{schema}"'
