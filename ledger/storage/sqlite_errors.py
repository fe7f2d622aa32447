"""What is particular to SQLite's errors: their classes by result code, as ``postgres.py`` has
PostgreSQL's by SQLSTATE.

Python's ``sqlite3`` (3.11+) puts SQLite's extended result code on every error SQLite returns
(``sqlite_errorcode``; its low byte is the primary code). The driver's wording is kept only as
the message a user reads, and in the two places where SQLite has no finer code: which columns
a ``UNIQUE`` constraint names (SQLite reports columns, never an index name) and which object a
generic ``SQLITE_ERROR`` ("no such table: …") misses.
"""

from __future__ import annotations

import sqlite3

from ledger.errors import (
    AppendOnlyViolation,
    ConcurrencyConflict,
    DuplicateEvent,
    LedgerError,
    ReadOnlyLedger,
    StorageFull,
    StoreBusy,
    StoreError,
)

_UNIQUE = (sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)


def sqlite_code(exc: BaseException) -> int | None:
    """SQLite's extended result code of ``exc`` (also when SQLAlchemy wraps it, ``exc.orig``);
    None for an error that did not come from SQLite."""
    code = getattr(getattr(exc, "orig", None) or exc, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def not_decodable(exc: BaseException) -> bool:
    """The ``sqlite3`` module's own error for a stored TEXT value that is not UTF-8: SQLite
    returned the bytes without error (so there is no result code), the module failed to decode
    them. Its wording is fixed by the module, not by SQLite."""
    orig = getattr(exc, "orig", None) or exc
    return (
        isinstance(orig, sqlite3.OperationalError)
        and sqlite_code(orig) is None
        and str(orig).startswith("Could not decode to UTF-8")
    )


def missing_object(exc: BaseException) -> str | None:
    """ "table" or "column" when a statement named one the database does not have (SQLite's
    generic ``SQLITE_ERROR``, with no finer code: "no such table: x"); None otherwise."""
    if sqlite_code(exc) != sqlite3.SQLITE_ERROR:
        return None
    message = str(getattr(exc, "orig", None) or exc)
    for kind in ("table", "column"):
        if message.startswith(f"no such {kind}: "):
            return kind
    return None


def translate_sqlite(exc: BaseException, message: str, busy: str) -> LedgerError | None:
    """A domain error for a SQLite error, by result code; None if ``exc`` has no code. ``busy``
    is the message for a lock held beyond the timeout."""
    code = sqlite_code(exc)
    if code is None:
        return None
    primary = code & 0xFF
    if primary == sqlite3.SQLITE_READONLY:
        return ReadOnlyLedger(f"the ledger is read-only ({message}); nothing was written")
    if primary == sqlite3.SQLITE_FULL:
        return StorageFull("the database or disk is full; nothing of this write was stored")
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(busy)
    if code == sqlite3.SQLITE_CONSTRAINT_TRIGGER:  # only the append-only triggers RAISE
        return AppendOnlyViolation(message)
    if code in _UNIQUE:
        columns = message.partition(" constraint failed: ")[2].split(", ")
        if "events.idempotency_key" in columns:
            return DuplicateEvent("idempotency key already used")
        if "events.stream_version" in columns:
            return ConcurrencyConflict("a concurrent append to the same stream won")
    if primary == sqlite3.SQLITE_CANTOPEN:
        return StoreError(f"cannot open the ledger: {message}")
    # SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR and the rest: the driver's words, as they are
    return StoreError(message)
