"""PostgreSQL: the application's runtime role cannot rewrite, empty or unguard a ledger.

`caseflow db upgrade` runs as the owner (CASEFLOW_MIGRATION_DATABASE_URL) and grants the
runtime role (the user of CASEFLOW_DATABASE_URL) SELECT and INSERT only on the append-only
tables. The app then works as the runtime role, and every statement a forger holding the
app's credentials would try is refused by PostgreSQL itself.

The runtime role is made by .ci/run (`caseflow_runtime`); another one can be named with
CASEFLOW_TEST_RUNTIME_ROLE=name:password. Without it the test fails, unless
CASEFLOW_TEST_SKIP_RUNTIME_ROLE=1 says this PostgreSQL has no such role on purpose.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from caseflow import create_app
from caseflow.actor import Actor
from caseflow.evidence import services
from caseflow.extensions import db_session
from caseflow.migrations.append_only import APPEND_ONLY_TABLES
from caseflow.migrations.roles import append_only_tables, revoke_changes
from tests.dbs import PG_URL, PostgresTemplates
from tests.factories import make_case, make_evidence_item, make_user
from tests.helpers import app_config

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs CASEFLOW_TEST_DATABASE_URL (PostgreSQL)"),
]

RUNTIME = os.environ.get("CASEFLOW_TEST_RUNTIME_ROLE", "caseflow_runtime:caseflow-ci-runtime")


def _forbidden(table: str) -> list[str]:
    return [
        f"UPDATE {table} SET id = id",  # noqa: S608
        f"DELETE FROM {table}",  # noqa: S608
        f"TRUNCATE {table}",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} OWNER TO CURRENT_USER",
        f"DROP TRIGGER {table}_no_change ON {table}",
        f"DROP TABLE {table}",
        f"INSERT INTO {table} SELECT * FROM {table} ON CONFLICT (id) DO UPDATE SET id = excluded.id",  # noqa: S608, E501
    ]


@pytest.fixture
def two_role_app(tmp_path):
    """A fresh database migrated by `caseflow db upgrade` as the owner, and the app on it
    connected as the runtime role."""
    name, _, password = RUNTIME.partition(":")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
        if exists.first() is None:
            admin.dispose()
            if os.environ.get("CASEFLOW_TEST_SKIP_RUNTIME_ROLE") == "1":
                pytest.skip(f"no PostgreSQL role {name} (CASEFLOW_TEST_SKIP_RUNTIME_ROLE=1)")
            pytest.fail(
                f"PostgreSQL role {name} is missing: create it as .ci/run does "
                f"(CREATE ROLE {name} LOGIN PASSWORD '...'), or set "
                "CASEFLOW_TEST_RUNTIME_ROLE=name:password"
            )
    admin.dispose()
    templates = PostgresTemplates.__new__(PostgresTemplates)  # only its naming and dropping
    templates.admin_url = make_url(PG_URL)
    templates.admin = sa.create_engine(templates.admin_url, isolation_level="AUTOCOMMIT")
    database = f"{templates.admin_url.database}_roles_{os.getpid()}"
    templates._drop(database)
    with templates.admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    owner_url = templates.url_for(database)
    runtime_url = (
        make_url(owner_url)
        .set(username=name, password=password)
        .render_as_string(hide_password=False)
    )
    app = create_app(
        app_config(runtime_url, tmp_path, MIGRATION_DATABASE_URL=owner_url, GRAPH_SYNC="off")
    )
    try:
        yield app, owner_url, runtime_url
    finally:
        app.extensions["caseflow.engine"].dispose()
        templates._drop(database)
        templates.admin.dispose()


def test_the_runtime_role_may_only_insert_and_select_on_ledger_tables(two_role_app):
    app, owner_url, runtime_url = two_role_app
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"Runtime role {make_url(runtime_url).username}:" in result.output

    # The application works as the runtime role: cases, evidence, custody, audit, heads.
    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    make_evidence_item(app, officer, case_id, kind="physical")
    with app.app_context():
        session = db_session()
        signer = current_app.extensions["caseflow.ledger_signer"]
        now = app.config["CLOCK"]()
        services.sign_checkpoints(session, Actor.system("test"), now, signer=signer)
        session.commit()

    runtime = sa.create_engine(runtime_url)
    owner = sa.create_engine(owner_url)
    try:
        with owner.connect() as conn:
            ledgers = append_only_tables(conn)
            owners = dict(
                conn.execute(
                    sa.text(
                        "SELECT tablename, tableowner FROM pg_tables "
                        "WHERE schemaname = current_schema()"
                    )
                ).all()
            )
        assert set(APPEND_ONLY_TABLES) <= set(ledgers)
        runtime_name = make_url(runtime_url).username
        assert runtime_name not in owners.values()  # the runtime role owns nothing
        with runtime.connect() as conn:
            for table in ledgers:
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() >= 0  # noqa: S608
                conn.rollback()
                for statement in _forbidden(table):
                    with pytest.raises(sa.exc.DBAPIError, match=r"permission denied|must be owner"):
                        conn.exec_driver_sql(statement)
                    conn.rollback()
        # Nothing was changed: the ledgers verify and every table still has its rows.
        with owner.connect() as conn:
            for table in ("audit_events", "custody_events", "evidence_items", "ledger_tree_heads"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() > 0  # noqa: S608
        assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    finally:
        runtime.dispose()
        owner.dispose()


def test_a_later_table_gets_dml_by_default_and_loses_it_when_made_append_only(two_role_app):
    """What a later migration does: create a table (default privileges give the runtime role
    DML), then make it append-only (make_append_only takes UPDATE, DELETE, TRUNCATE back)."""
    app, owner_url, runtime_url = two_role_app
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    role = make_url(runtime_url).username
    owner = sa.create_engine(owner_url)
    try:
        with owner.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE later_ledger (id integer PRIMARY KEY)")

            def may(privilege: str) -> bool:
                return conn.execute(
                    sa.text("SELECT has_table_privilege(:r, 'later_ledger', :p)"),
                    {"r": role, "p": privilege},
                ).scalar_one()

            assert may("UPDATE") and may("DELETE") and may("INSERT")
            revoke_changes(conn, "later_ledger")
            assert not may("UPDATE") and not may("DELETE") and not may("TRUNCATE")
            assert may("INSERT") and may("SELECT")
    finally:
        owner.dispose()
