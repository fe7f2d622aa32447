"""Engines, connection settings, schema and the append-only triggers, for SQLite and PostgreSQL.

SQLite: WAL, ``synchronous=FULL`` (an audit record must not lose acknowledged commits),
``busy_timeout``, and Python's implicit transactions switched off so that the store issues
``BEGIN IMMEDIATE`` itself (a deferred read-then-write upgrade would fail with SQLITE_BUSY
without waiting). PostgreSQL: psycopg 3 through the same SQLModel tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from ledger import tables
from ledger.errors import StoreError

DEFAULT_DB = "defledger.db"
BUSY_TIMEOUT_MS = 60_000

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} are append-only: {op} is not allowed'); END"""
    for table in ("events", "streams", "ledger_meta")
    for op in ("UPDATE", "DELETE")
]

_PG_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION defledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% are append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation'; END $$""",
    *[
        f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_no_{kind}') THEN
            CREATE TRIGGER {table}_no_{kind} BEFORE {ops} ON {table}
            FOR EACH {each} EXECUTE FUNCTION defledger_append_only();
        END IF; END $$"""
        for table in ("events", "streams", "ledger_meta")
        for kind, ops, each in (
            ("change", "UPDATE OR DELETE", "ROW"),
            ("truncate", "TRUNCATE", "STATEMENT"),
        )
    ],
]


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """A database URL from ``--db``/``DEFLEDGER_DB``: a URL as given, or a SQLite file path."""
    value = str(db) if db else os.environ.get("DEFLEDGER_DB") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the store issues BEGIN IMMEDIATE itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for a ledger URL, with the connection settings the store relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool)
        event.listen(engine, "connect", _configure_sqlite)

        @event.listens_for(engine, "begin")
        def _begin(
            conn: Any,
        ) -> None:  # SQLAlchemy's documented pysqlite transaction recipe
            conn.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        return create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc


def create_schema(engine: Engine) -> None:
    """Create every table (idempotent) and the triggers that refuse UPDATE and DELETE."""
    assert tables.EventRow.__tablename__ == "events"
    SQLModel.metadata.create_all(engine)
    statements = _SQLITE_TRIGGERS if is_sqlite(engine) else _PG_TRIGGERS
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
