"""Taking a ledger's write lock: waiting for it, saying so, and giving up after the timeout.

One writer at a time: SQLite by ``BEGIN IMMEDIATE`` (the database's write lock), PostgreSQL by a
transaction-level advisory lock. A writer that finds the lock taken waits up to its lock timeout
(the CLI's ``--lock-timeout`` or ``DEFLEDGER_LOCK_TIMEOUT``; ``DEFAULT_TIMEOUT_S`` otherwise).
After ``NOTICE_AFTER_S`` of waiting it calls ``on_wait`` once (the CLI prints "waiting for
another writer…"), and when the timeout passes it gives up with ``StoreBusy`` naming how long it
waited and how to wait longer. Nothing has been written when it gives up.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from ledger.errors import StoreBusy

DEFAULT_TIMEOUT_S = 60.0
NOTICE_AFTER_S = 1.0
MAX_TIMEOUT_S = 1_000_000.0  # SQLite's busy_timeout is a 32-bit count of milliseconds
TIMEOUT_ENV = "DEFLEDGER_LOCK_TIMEOUT"
_SAVEPOINT = "defledger_lock_wait"


def millis(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def acquire(
    cursor: Any,
    *,
    sqlite: bool,
    key: int,
    timeout: float,
    on_wait: Callable[[], None] | None = None,
) -> None:
    """Begin the write transaction on ``cursor`` holding the lock (PostgreSQL: advisory lock
    ``key``), waiting as described above; ``StoreBusy`` when the timeout passes."""
    started = time.monotonic()
    take = _take_sqlite if sqlite else _take_pg
    quiet = min(NOTICE_AFTER_S, timeout)
    if take(cursor, key, quiet, timeout, True):
        return
    if timeout > quiet:
        if on_wait is not None:
            on_wait()
        if take(cursor, key, timeout - (time.monotonic() - started), timeout, False):
            return
    raise gave_up(time.monotonic() - started, timeout)


def gave_up(waited: float, timeout: float) -> StoreBusy:
    return StoreBusy(
        f"gave up after waiting {waited:.1f} s for another writer to finish (lock timeout "
        f"{timeout:g} s; wait longer with --lock-timeout SECONDS or {TIMEOUT_ENV}); "
        "nothing was written"
    )


def _take_sqlite(cursor: Any, _key: int, seconds: float, timeout: float, _first: bool) -> bool:
    # The connection waits ``timeout`` for every other lock (readers during a checkpoint); only
    # this BEGIN waits in two steps, so that the wait can be announced.
    cursor.execute(f"PRAGMA busy_timeout = {millis(seconds)}")
    try:
        cursor.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {millis(timeout)}")


def _take_pg(cursor: Any, key: int, seconds: float, _timeout: float, first: bool) -> bool:
    if first:  # first try: no wait at all when nobody holds it (one round trip)
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,))
        if cursor.fetchone()[0]:
            return True
    wait = millis(seconds)
    if wait <= 0:  # lock_timeout 0 would mean "wait forever"
        return False
    # A lock_timeout error aborts the transaction: wait inside a savepoint, so that giving up
    # on this step leaves the transaction usable for the next one.
    cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", (f"{wait}ms",))
    try:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
    except Exception as exc:
        # imported here: ledger.storage.postgres imports ledger.storage.db, which imports this
        # module
        from ledger.storage.postgres import sqlstate_of

        if sqlstate_of(exc) != "55P03":  # lock_not_available
            raise
        cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        return False
    cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    return True
