"""The database: declarative base, shared column types, engine and migrations.

SQLite is the embedded default, PostgreSQL (psycopg 3) the production database; the same
models and migrations serve both. Must not import flask.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from caseflow.clock import as_utc
from caseflow.files import private_file

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS = Path(__file__).parent / "migrations"
# Connection execution option of a read transaction (caseflow.uow.read_transaction).
READ_OPTION = "caseflow_read"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always handed back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: CaseFlow stores only UTC-aware times")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


intpk = Annotated[int, mapped_column(primary_key=True)]
utc_time = Annotated[datetime, mapped_column(UTCDateTime())]
hex64 = Annotated[str, mapped_column(sa.String(64))]


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, *, sqlite_immediate: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and serialized write transactions.

    `sqlite_immediate=False` gives plain deferred transactions, for read-mostly tools that
    must not hold the write lock while they look (tests, reports).
    """
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            # SQLite would create it with the umask's mode (0644): personal data, so 0600
            # (its -wal and -shm files take the same mode), in a 0700 folder.
            private_file(database)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, immediate=sqlite_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = sa.create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_sqlite(engine: Engine, *, immediate: bool = True) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over
    # (SQLAlchemy's documented recipe). BEGIN IMMEDIATE takes the write lock up front, so two
    # processes appending to a ledger are serialized instead of failing on lock upgrade.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # caseflow.uow.read_transaction asks for a read: a deferred BEGIN takes no lock, and
        # query_only makes SQLite refuse any write in it (each BEGIN sets the flag anew).
        read = bool(connection.get_execution_options().get(READ_OPTION))
        connection.exec_driver_sql(f"PRAGMA query_only = {int(read)}")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate and not read else "BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # caseflow.uow.read_transaction: PostgreSQL refuses any write in a read transaction.
        if connection.get_execution_options().get(READ_OPTION):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")


def insert_ignoring_conflicts(session: Session, model: type) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's dialect (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model).on_conflict_do_nothing()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head", *, runtime_role: str | None = None) -> None:
    """Apply Alembic migrations up to `revision`, connected as the owner (migration) role.

    `runtime_role` (PostgreSQL): the role the application connects as; it gets SELECT and
    INSERT only on the append-only tables and DML on the others (revision 0017, and again
    after every upgrade, so a runtime role introduced later is set up the same way)."""
    from alembic import command

    from caseflow.migrations.roles import grant_runtime_role

    with engine.begin() as connection:
        config = alembic_config(connection)
        config.attributes["caseflow.runtime_role"] = runtime_role
        command.upgrade(config, revision)
        if runtime_role:
            grant_runtime_role(connection, runtime_role)


def runtime_role_of(runtime_url: str, migration_url: str | None) -> str | None:
    """The runtime role when the application and the migrations connect as different
    PostgreSQL users (CASEFLOW_DATABASE_URL vs CASEFLOW_MIGRATION_DATABASE_URL), else None."""
    if not migration_url:
        return None
    runtime, migration = sa.engine.make_url(runtime_url), sa.engine.make_url(migration_url)
    if runtime.get_backend_name() != "postgresql" or runtime.username == migration.username:
        return None
    if (runtime.host, runtime.port, runtime.database) != (
        migration.host,
        migration.port,
        migration.database,
    ):
        raise ValueError(
            "CASEFLOW_MIGRATION_DATABASE_URL must name the same database as "
            "CASEFLOW_DATABASE_URL (only the role differs)"
        )
    return runtime.username


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_disk_full(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the disk under the database is full: SQLite's
    SQLITE_FULL, PostgreSQL's disk_full (53100), or ENOSPC / EDQUOT."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlite_errorcode", None) == 13:  # SQLITE_FULL
            return True
        if getattr(current, "sqlstate", None) == "53100":
            return True
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
        )
    return False
