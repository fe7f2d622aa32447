"""Connections to a SQLite ledger file through the standard library alone.

The store reads and writes through DB-API cursors (``ledger.storage.store``); on SQLite those
need nothing of SQLAlchemy, whose import costs a command a fifth of a second (``totals`` on the
demo ledger took 2× ``defledger --help``). ``SqlitePool`` hands out connections made and
configured as the SQLAlchemy engine's are (``configure_sqlite``, the same ``sqlite3.connect``
arguments its pysqlite dialect derives from the URL) and pools them as its ``QueuePool`` does:
a connection given back is rolled back and kept for the next user. The engine itself is still
made, on first use, for what needs SQLAlchemy (creating or migrating the schema).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any
from urllib.parse import parse_qsl, unquote

from ledger.storage.write_lock import DEFAULT_TIMEOUT_S, millis

SQLITE_URL = "sqlite:///"
# what SQLAlchemy's pysqlite dialect passes to ``sqlite3.connect`` rather than to the SQLite URI
_DRIVER_OPTIONS = ("uri", "timeout", "isolation_level", "detect_types", "check_same_thread",
                   "cached_statements")  # fmt: skip
IDLE = 5  # connections kept for reuse (QueuePool's pool_size)


def configure_sqlite(
    dbapi_connection: Any,
    _record: Any,
    busy_ms: int = millis(DEFAULT_TIMEOUT_S),
    write: bool = True,
) -> None:
    """The settings of every connection to a SQLite ledger (also the SQLAlchemy engine's
    ``connect`` listener, ``ledger.storage.db.make_engine``)."""
    dbapi_connection.isolation_level = None  # the store issues BEGIN IMMEDIATE itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
    if write:
        # 16 KiB pages for a new ledger (a no-op on an existing one): an event row is ~600
        # bytes, and a 4 KiB page holds six with ~500 bytes left over; 16 KiB pages waste a
        # tenth of that (780 -> 713 bytes per event measured, docs/performance.md). Must
        # precede the WAL switch.
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


def connect_target(url: str) -> tuple[str, bool] | None:
    """What ``sqlite3.connect`` opens for a SQLite file URL, as SQLAlchemy's pysqlite dialect
    derives it: (file name or URI, whether it is a URI). None for a URL this module does not
    take (another database, an in-memory one, driver options other than ``uri``): the
    SQLAlchemy engine opens those."""
    if not url.startswith(SQLITE_URL):
        return None
    database, _, query = url.removeprefix(SQLITE_URL).partition("?")
    database = unquote(database)  # SQLAlchemy's URL parser unquotes the database part once
    options = dict(parse_qsl(query, keep_blank_values=True))
    if not database or database == ":memory:":
        return None
    if not options:
        return os.path.abspath(database), False
    if options.pop("uri", "").lower() not in ("true", "1") or any(
        key in _DRIVER_OPTIONS for key in options
    ):
        return None
    if options:
        database += "?" + "&".join(f"{key}={options[key]}" for key in sorted(options))
    return database, True


class PooledConnection:
    """A pooled DB-API connection: what the store uses of SQLAlchemy's ``raw_connection()``."""

    def __init__(self, pool: SqlitePool, connection: sqlite3.Connection) -> None:
        self._pool = pool
        self.driver_connection: sqlite3.Connection | None = connection

    def _live(self) -> sqlite3.Connection:
        if self.driver_connection is None:
            raise sqlite3.ProgrammingError("the connection was given back to its pool")
        return self.driver_connection

    def cursor(self) -> sqlite3.Cursor:
        return self._live().cursor()

    def commit(self) -> None:
        self._live().commit()

    def rollback(self) -> None:
        self._live().rollback()

    def close(self) -> None:
        """Give the connection back (rolled back, as the pool's reset on return does)."""
        connection, self.driver_connection = self.driver_connection, None
        if connection is not None:
            self._pool.give_back(connection)

    def invalidate(self) -> None:
        """Close the connection for good (it is not pooled again)."""
        connection, self.driver_connection = self.driver_connection, None
        if connection is not None:
            connection.close()


class SqlitePool:
    """Configured connections to one SQLite ledger file, kept for reuse until ``dispose``."""

    def __init__(self, url: str, target: tuple[str, bool], *, busy_ms: int, write: bool) -> None:
        self.url = url  # the ledger's SQLAlchemy URL (``connect_target(url)`` is ``target``)
        self.target = target
        self.busy_ms = busy_ms
        self.write = write
        self._idle: list[sqlite3.Connection] = []

    def raw_connection(self) -> PooledConnection:
        try:
            connection = self._idle.pop()
        except IndexError:
            name, uri = self.target
            # a file's connections may move between threads, as the engine allows them to
            connection = sqlite3.connect(name, uri=uri, check_same_thread=False)
            try:
                configure_sqlite(connection, None, busy_ms=self.busy_ms, write=self.write)
            except BaseException:
                connection.close()
                raise
        return PooledConnection(self, connection)

    def give_back(self, connection: sqlite3.Connection) -> None:
        try:
            if connection.in_transaction:
                connection.rollback()
            connection.text_factory = str
        except sqlite3.Error:
            connection.close()
            return
        if len(self._idle) < IDLE:
            self._idle.append(connection)
        else:
            connection.close()

    def dispose(self) -> None:
        """Close the idle connections; the pool stays usable, as a disposed engine does."""
        while self._idle:
            self._idle.pop().close()
