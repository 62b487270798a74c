"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when
CASEFLOW_TEST_DATABASE_URL is set. Each test gets its own database cloned from a template that
was migrated once, so commits are real and no test sees another's rows."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from caseflow.db import make_engine, upgrade

PG_URL = os.environ.get("CASEFLOW_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class SqliteTemplates:
    def __init__(self, folder: Path) -> None:
        self.template = folder / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        upgrade(engine)
        engine.dispose()  # closing the last connection checkpoints the WAL into the file

    def new(self, folder: Path) -> str:
        target = folder / "caseflow.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        pass


class PostgresTemplates:
    _counter = itertools.count()

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.base = self.admin_url.database or "caseflow_test"
        # One template per test process: parallel runs on one server never share it.
        self.template = f"{self.base}_tpl_{os.getpid()}"
        self.admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self._drop(self.template)
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url_for(self.template))
        upgrade(engine)
        engine.dispose()

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def new(self, folder: Path) -> str:
        name = f"{self.base}_{os.getpid()}_{next(self._counter)}"
        self._drop(name)
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url_for(name)

    def drop(self, url: str) -> None:
        self._drop(make_url(url).database)

    def close(self) -> None:
        self._drop(self.template)
        self.admin.dispose()

    def _drop(self, name: str, patience: float = 30.0) -> None:
        """Drop a test database even while something still holds it.

        A plain DROP DATABASE stops an autovacuum worker by itself but refuses while a session
        of ours is connected (a live-server thread, a leaked pool). WITH (FORCE) ends those, but
        a role without pg_signal_backend may not end an autovacuum worker that started on the
        freshly written database in the meantime. Neither is permanent, so try both in turn
        until one succeeds."""
        deadline = time.monotonic() + patience
        statements = (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{name}"',
        )
        for attempt in itertools.count():
            try:
                with self.admin.connect() as conn:
                    conn.exec_driver_sql(statements[attempt % 2])
                return
            except DBAPIError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
