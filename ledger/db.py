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

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from ledger import tables
from ledger.errors import StoreError

DEFAULT_DB = "defledger.db"
BUSY_TIMEOUT_MS = 60_000

# Insert-only tables: the events and the names they refer to (an edited name would rewrite
# every event that uses it), and the ledger's own facts.
APPEND_ONLY_TABLES = ("events", "streams", "event_types", "actors", "ledger_meta")
# The Merkle tree cache is insert-only too: a block, once derived from the events, never changes,
# so nothing may rewrite it (``ledger.checkpoints`` still checks it against the events).
INSERT_ONLY_CACHES = ("merkle_blocks",)
GUARDED_TABLES = APPEND_ONLY_TABLES + INSERT_ONLY_CACHES

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} are append-only: {op} is not allowed'); END"""
    for table in GUARDED_TABLES
    for op in ("UPDATE", "DELETE")
]

PG_LOCK_KEY = 0x64656664  # "defd": one advisory lock serialises appends (and DDL) to a ledger

# Created only when missing, so that an application role without ownership can run `init`
# (and commands that open with create=True) against a ledger its owner set up.
_PG_TRIGGERS = [
    """DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'defledger_append_only'
                   AND pronamespace = current_schema()::regnamespace) THEN
        CREATE FUNCTION defledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN RAISE EXCEPTION '% are append-only: % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation'; END $f$;
    END IF; END $$""",
    *[
        f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_no_{kind}'
                       AND tgrelid = '{table}'::regclass) THEN
            CREATE TRIGGER {table}_no_{kind} BEFORE {ops} ON {table}
            FOR EACH {each} EXECUTE FUNCTION defledger_append_only();
        END IF; END $$"""
        for table in GUARDED_TABLES
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
    # 16 KiB pages for a new ledger (a no-op on an existing one): an event row is ~600 bytes,
    # and a 4 KiB page holds six with ~500 bytes left over; 16 KiB pages waste a tenth of that
    # (780 -> 713 bytes per event measured, docs/performance.md). Must precede the WAL switch.
    cursor.execute("PRAGMA page_size = 16384")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # Throughput at scale, not durability: the unique index on idempotency keys (content hashes)
    # takes each batch's keys at random pages; a 32 MiB page cache keeps those pages in memory,
    # and checkpointing every 160 MiB of WAL (10,000 pages of 16 KiB) writes a page changed by
    # many commits back into the file once. Measured: 2x append throughput at 300k events
    # (docs/performance.md).
    cursor.execute("PRAGMA cache_size = -32768")
    cursor.execute("PRAGMA wal_autocheckpoint = 10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for a ledger URL, with the connection settings the store relies on."""
    if url.startswith("sqlite"):
        # Pooled (SQLAlchemy's QueuePool for a file): opening a connection costs ~0.7 ms (the
        # PRAGMAs below and SQLite's schema parse), more than reading a stream or appending one
        # event; ``EventStore.close`` disposes of the pool.
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite)

        @event.listens_for(engine, "begin")
        def _begin(
            conn: Any,
        ) -> None:  # SQLAlchemy's documented pysqlite transaction recipe
            conn.exec_driver_sql("BEGIN")

        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        # READ COMMITTED whatever the server's default: the append reads the head in a
        # statement that starts after the advisory lock is granted, so it sees the previous
        # holder's commit (a snapshot taken before the lock wait would not).
        return create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    except ImportError as exc:
        raise StoreError(
            f"cannot use {safe_url(url)}: {exc} "
            "(install the driver: pip install 'defledger[postgres]')"
        ) from exc
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"cannot use database URL {safe_url(url)}: {exc}") from exc


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return url.split("@")[-1]


def create_schema(engine: Engine) -> None:
    """Create every table (idempotent) and the triggers that refuse UPDATE and DELETE (and, on
    PostgreSQL, TRUNCATE). On PostgreSQL all of it is one transaction under the append lock, so
    concurrent ``init`` runs do not race."""
    assert tables.EventRow.__tablename__ == "events"
    if is_sqlite(engine):
        SQLModel.metadata.create_all(engine)
        with engine.begin() as conn:
            for statement in _SQLITE_TRIGGERS:
                conn.execute(text(statement))
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        SQLModel.metadata.create_all(conn)
        for statement in _PG_TRIGGERS:
            conn.execute(text(statement))
