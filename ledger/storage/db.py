"""Engines, connection settings, schema and the append-only triggers, for SQLite and PostgreSQL.

SQLite: WAL, ``synchronous=FULL`` (an audit record must not lose acknowledged commits),
``busy_timeout``, and Python's implicit transactions switched off so that the store issues
``BEGIN IMMEDIATE`` itself (a deferred read-then-write upgrade would fail with SQLITE_BUSY
without waiting). PostgreSQL: psycopg 3 through the same SQLModel tables.

A ledger this process cannot write (read-only media, a write-protected directory or file, or one
opened for reading on purpose) is opened read-only: see ``read_only_url``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ledger.errors import ReadOnlyLedger, StoreError
from ledger.storage import write_lock
from ledger.storage.sqlite_pool import configure_sqlite, connect_target
from ledger.storage.write_lock import DEFAULT_TIMEOUT_S, millis

if TYPE_CHECKING:  # imported where used: a SQLite read needs no SQLAlchemy (sqlite_pool)
    from sqlalchemy import URL, Connection, Engine, MetaData

DEFAULT_DB = "defledger.db"
OPENED_READ_ONLY = "opened for reading only"

# Insert-only tables: the events and the names they refer to (an edited name would rewrite
# every event that uses it), and the ledger's own facts.
APPEND_ONLY_TABLES = ("events", "streams", "event_types", "actors", "ledger_meta")
# The Merkle tree cache is insert-only too: a block, once derived from the events, never changes,
# so nothing may rewrite it (``ledger.audit.checkpoints`` still checks it against the events).
INSERT_ONLY_CACHES = ("merkle_blocks",)
GUARDED_TABLES = APPEND_ONLY_TABLES + INSERT_ONLY_CACHES

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} are append-only: {op} is not allowed'); END"""
    for table in GUARDED_TABLES
    for op in ("UPDATE", "DELETE")
]

# Every table of the models (``ledger.storage.tables``; tests/test_lazy_imports.py checks the
# list against them). With these, the triggers and the key indexes in place, a SQLite ledger's
# schema is complete: ``EventStore.init`` then has nothing to create and loads no SQLAlchemy.
SCHEMA_TABLES = (
    "streams", "event_types", "actors", "events", "ledger_meta", "merkle_blocks",
    "proj_checkpoints", "proj_lines", "proj_sums", "proj_categories", "proj_definition_versions",
    "proj_definition_categories", "proj_gdp", "proj_targets", "proj_rates", "proj_snapshots",
)  # fmt: skip


def sqlite_schema_complete(cursor: Any) -> bool:
    """Whether a SQLite ledger holds every table, append-only trigger and key index that
    ``create_schema`` makes (it would add nothing: it never alters what exists)."""
    wanted = {("table", name) for name in SCHEMA_TABLES}
    wanted |= {("trigger", f"{t}_no_{op}") for t in GUARDED_TABLES for op in ("update", "delete")}
    wanted |= {("index", name) for name in KEY_INDEXES}
    cursor.execute("SELECT type, name FROM sqlite_master")
    return wanted <= {(str(kind), str(name)) for kind, name in cursor.fetchall()}


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


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite ledger URL as ``resolve_url`` makes it; None for any other URL."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def read_only_reason(path: Path) -> str | None:
    """Why this process cannot write the SQLite ledger at ``path`` (an existing file), or None
    if it can. Writing needs the file and its directory, where SQLite keeps the ``-wal`` and
    ``-shm`` files beside it. ``os.access`` answers for this process: False on a read-only
    mount and for an immutable (``chattr +i``) file or directory even for root, who otherwise
    ignores permission bits (so, as root, a ``chmod -w`` directory is writable: it is)."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return None
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "on a read-only file system"
    except OSError:
        pass
    return "its file or directory cannot be written by this user"


def _sqlite_uri(path: Path, options: str) -> str:
    # SQLAlchemy unquotes the database part of its URL once; SQLite decodes the %-escapes of
    # its own URI (a path may hold "?", "#", "%" or spaces): so quoted twice.
    return f"sqlite:///file:{quote(quote(str(path)))}?{options}&uri=true"


def _opens(url: str) -> bool:
    import sqlite3

    target = connect_target(url)
    assert target is not None  # a URL _sqlite_uri made
    try:  # the URI's file part only, as SQLAlchemy's URL.database gives it
        connection = sqlite3.connect(target[0].partition("?")[0], uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return True


def read_only_url(path: Path) -> str:
    """A URL that opens the SQLite ledger at ``path`` for reading only.

    ``mode=ro`` when SQLite can share the ledger's write-ahead log with writers: it needs the
    ``-shm`` file, which it creates beside the ledger, or finds there with the ``-wal`` file.
    Otherwise (read-only media or directory without them), ``immutable=1``: SQLite then takes no
    locks and ignores the ``-wal`` file, which is safe only when no writer can exist and every
    commit is in the main file. Both hold here: this process cannot create the ``-shm`` file, so
    the ledger cannot be written through this directory (on read-only media, by nobody); and
    there is no ``-wal`` file with content, so no writer has the ledger open (a WAL writer keeps
    that file while it has the database open) and no commit waits there to be copied into the
    main file. (A writer that could still write the directory, say its owner, changes the main
    file only when it checkpoints its log; the ledger is append-only, so a read meanwhile can
    miss the newest events, not see a rewritten one.) A ``-wal`` file with content and no
    ``-shm`` cannot be read without writing: refused with a clear error rather than read stale.
    """
    read_only = _sqlite_uri(path, "mode=ro")
    if os.access(path.parent, os.W_OK) or _opens(read_only):
        return read_only
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ReadOnlyLedger(
            f"cannot read the ledger at {path} on read-only storage: its latest commits are in "
            f"{wal.name}, which SQLite cannot read there without {path.name}-shm; copy the "
            "ledger (with its -wal file) to writable storage, or checkpoint it before making it "
            "read-only"
        )
    return _sqlite_uri(path, "mode=ro&immutable=1")


def make_engine(
    url: str, *, lock_timeout: float = DEFAULT_TIMEOUT_S, read_only: bool = False
) -> Engine:
    """An engine for a ledger URL, with the connection settings the store relies on. SQLite
    connections wait up to ``lock_timeout`` for a lock; ``read_only`` engines never write (a
    SQLite ``read_only_url``, PostgreSQL sessions whose transactions are READ ONLY)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite"):
        # Pooled (SQLAlchemy's QueuePool for a file): opening a connection costs ~0.7 ms (the
        # PRAGMAs below and SQLite's schema parse), more than reading a stream or appending one
        # event; ``EventStore.close`` disposes of the pool.
        engine = create_engine(url)
        configure = partial(configure_sqlite, busy_ms=millis(lock_timeout), write=not read_only)
        event.listen(engine, "connect", configure)

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
        engine = create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    except ImportError as exc:
        raise StoreError(
            f"cannot use {safe_url(url)}: {exc} "
            "(install the driver: pip install 'defledger[postgres]')"
        ) from exc
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(f"cannot use database URL {safe_url(url)}: {exc}") from exc
    if read_only:
        event.listen(engine, "connect", _read_only_session)
    return engine


def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    dbapi_connection.commit()


def location(url: str | URL) -> str:
    """Where a ledger is, for messages: a SQLite file's path (also behind a ``file:`` URI), or
    the URL with its password masked."""
    from sqlalchemy import URL, make_url

    parsed = url if isinstance(url, URL) else make_url(url)
    database = parsed.database or ""
    if parsed.drivername.startswith("sqlite") and database.startswith("file:"):
        return unquote(database.removeprefix("file:"))
    if parsed.drivername.startswith("sqlite") and database:
        return database
    return parsed.render_as_string(hide_password=True)


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return url.split("@")[-1]


def _metadata() -> MetaData:
    """The schema of the table models (``ledger.storage.tables``), imported on first use: only
    making or migrating a schema needs them, and importing SQLModel costs every command that
    merely reads a ledger a tenth of a second."""
    from ledger.storage import tables

    return tables.EventRow.metadata


def create_schema(
    engine: Engine,
    lock_timeout: float = DEFAULT_TIMEOUT_S,
    on_wait: Callable[[], None] | None = None,
) -> None:
    """Create every table (idempotent) and the triggers that refuse UPDATE and DELETE (and, on
    PostgreSQL, TRUNCATE). On PostgreSQL, a schema that is complete is left alone without
    waiting for anything; otherwise all of it is one transaction under the append lock (taken
    as a write takes it: ``ledger.storage.write_lock``), so concurrent ``init`` runs do not race."""
    from sqlalchemy import text
    from sqlalchemy.schema import CreateIndex

    from ledger.storage import tables

    assert tables.EventRow.__tablename__ == "events"
    if is_sqlite(engine):
        _metadata().create_all(engine)
        with engine.begin() as conn:
            for statement in _SQLITE_TRIGGERS:
                conn.execute(text(statement))
        if not _has_key_indexes(engine):
            _sqlite_key_migration(engine, lock_timeout, on_wait)
        return
    with engine.begin() as conn:
        if _pg_schema_complete(conn):
            return
        write_lock.acquire(
            conn.connection.cursor(),
            sqlite=False,
            key=PG_LOCK_KEY,
            timeout=lock_timeout,
            on_wait=on_wait,
        )
        _metadata().create_all(conn)
        # a ledger made before the per-stream key index: its global unique key constraint
        # goes, the two key indexes come (the rows, and so every hash, stay as they are)
        conn.exec_driver_sql(f"ALTER TABLE events DROP CONSTRAINT IF EXISTS {_PG_OLD_KEY}")
        for index in _metadata().tables["events"].indexes:  # tables.EventRow's
            conn.execute(CreateIndex(index, if_not_exists=True))
        for statement in _PG_TRIGGERS:
            conn.execute(text(statement))


# The indexes on idempotency keys (``tables.EventRow``); ledgers made before them had one
# global unique constraint on the key (SQLite: inline in the table, PostgreSQL: this name).
KEY_INDEXES = ("uq_stream_key", "uq_caller_key")
_PG_OLD_KEY = "events_idempotency_key_key"


def _has_key_indexes(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
            f"AND name IN {KEY_INDEXES!r}"
        ).scalar()
    return found == len(KEY_INDEXES)


def _sqlite_key_migration(
    engine: Engine, lock_timeout: float, on_wait: Callable[[], None] | None
) -> None:
    """Give a ledger made before the per-stream key index its two key indexes, in one write
    transaction. Its table's inline ``UNIQUE (idempotency_key)`` cannot be dropped in SQLite:
    the table is copied, row for row and byte for byte (same seq, ids, payload text, hashes),
    into one made with today's definition, and the append-only triggers are set again. The
    copy is never seen half done: it commits whole or not at all."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    event_table = _metadata().tables["events"]  # tables.EventRow's
    columns = ", ".join(column.name for column in event_table.columns)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        write_lock.acquire(
            cursor, sqlite=True, key=PG_LOCK_KEY, timeout=lock_timeout, on_wait=on_wait
        )
        try:
            if _has_key_indexes(engine):  # another process migrated it while this one waited
                cursor.execute("ROLLBACK")
                return
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'")
            made = cursor.fetchone()
            if made is not None and "UNIQUE (idempotency_key)" in made[0]:
                cursor.execute("ALTER TABLE events RENAME TO events_before_key_index")
                cursor.execute(str(CreateTable(event_table).compile(engine)))
                cursor.execute(
                    f"INSERT INTO events ({columns}) "  # noqa: S608 - the model's own names
                    f"SELECT {columns} FROM events_before_key_index ORDER BY seq"
                )
                cursor.execute("DROP TABLE events_before_key_index")  # its triggers with it
                for statement in _SQLITE_TRIGGERS:
                    cursor.execute(statement)
            for index in event_table.indexes:
                cursor.execute(str(CreateIndex(index, if_not_exists=True).compile(engine)))
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        raw.close()


def _pg_schema_complete(conn: Connection) -> bool:
    from sqlalchemy import text

    names = sorted(_metadata().tables)
    triggers = [f"{t}_no_{kind}" for t in APPEND_ONLY_TABLES for kind in ("change", "truncate")]
    row = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = ANY(:tables)), (SELECT count(*) FROM pg_trigger g JOIN pg_class c "
            "ON c.oid = g.tgrelid WHERE c.relnamespace = current_schema()::regnamespace "
            "AND g.tgname = ANY(:triggers)), (SELECT count(*) FROM pg_indexes "
            "WHERE schemaname = current_schema() AND indexname = ANY(:indexes))"
        ),
        {"tables": names, "triggers": triggers, "indexes": list(KEY_INDEXES)},
    ).one()
    return (int(row[0]), int(row[1]), int(row[2])) == (
        len(names),
        len(triggers),
        len(KEY_INDEXES),
    )
