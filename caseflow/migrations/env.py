"""Alembic environment: runs on the connection CaseFlow hands it (see caseflow.db.upgrade),
or on CASEFLOW_DATABASE_URL when the `alembic` command is used directly."""

from __future__ import annotations

import os

from alembic import context

import caseflow.models  # noqa: F401  (registers every table on Base.metadata)
from caseflow.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("CASEFLOW_DATABASE_URL", "sqlite:///var/caseflow.db")
    engine = make_engine(url)
    with engine.begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=conn.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
