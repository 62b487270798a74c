"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when
CASEFLOW_TEST_DATABASE_URL is set. Each test gets its own database cloned from a template that
was migrated once, so commits are real and no test sees another's rows."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

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
        # Per process: engineers and CI jobs sharing one server must not drop each other's
        # template (a fixed name let one suite's migrations vanish under another's).
        self.template = f"{self.base}_tpl_{os.getpid()}"
        self.admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url_for(self.template))
        upgrade(engine)
        engine.dispose()

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def new(self, folder: Path) -> str:
        name = f"{self.base}_{os.getpid()}_{next(self._counter)}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url_for(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()
