"""What is particular to PostgreSQL: error classes by SQLSTATE, the bounded retry policy for
appends, and the SQL that sets up an application role that cannot rewrite history.

The store itself (``ledger.storage.store``) runs the same statements on both backends; this
module holds only the decisions that depend on PostgreSQL's error codes and privilege system.
See ``docs/postgres.md``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

from events.quoting import quoted
from ledger.errors import (
    AppendOnlyViolation,
    ConcurrencyConflict,
    ConnectionLost,
    DuplicateEvent,
    InvalidInput,
    LedgerError,
    ReadOnlyLedger,
    StorageFull,
    StoreBusy,
    StoreError,
)
from ledger.storage.db import APPEND_ONLY_TABLES, GUARDED_TABLES, INSERT_ONLY_CACHES

# 40001 serialization_failure, 40P01 deadlock_detected: the transaction did nothing and may be
# run again as is. A unique violation on a key the store derived itself under the append lock
# (seq, a stream, type or actor name) can only come from a writer that bypassed the lock; it is
# retried too.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
RETRY_CONSTRAINTS = frozenset(
    {"events_pkey", "streams_name_key", "event_types_name_key", "actors_name_key"}
)
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 0.02
BACKOFF_CAP_S = 0.5

# The server went away: SQLSTATE class 08 (connection exception) and these shutdown codes, or a
# psycopg ``OperationalError`` without a SQLSTATE (the driver itself found the socket closed).
LOST_SQLSTATES = {
    "57P01": "the server was shut down",
    "57P02": "the server stopped after another server process crashed",
    "57P03": "the server is starting up or shutting down",
    "57P04": "the database was dropped",
    "57P05": "the session was closed for being idle too long",
}

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error, also when wrapped by SQLAlchemy (``exc.orig``)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return None
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def constraint_of(exc: BaseException) -> str | None:
    """The name of the violated constraint, when the server reported one."""
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)
    return getattr(diag, "constraint_name", None) if diag is not None else None


def is_retryable(exc: BaseException) -> bool:
    """A failure after which the whole append transaction may be run again unchanged."""
    cause: BaseException | None = exc
    while cause is not None:
        state = sqlstate_of(cause)
        if state in RETRY_SQLSTATES:
            return True
        if state == "23505" and constraint_of(cause) in RETRY_CONSTRAINTS:
            return True
        cause = cause.__cause__
    return False


def backoff_delays(attempts: int = MAX_ATTEMPTS) -> Iterator[float]:
    """Jittered exponential delays (seconds) between ``attempts`` tries ("full jitter")."""
    for attempt in range(attempts - 1):
        yield random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


def gave_up(exc: BaseException, attempts: int) -> StoreBusy:
    """The error reported once the retries are spent."""
    state = sqlstate_of(exc)
    what = {"40001": "serialization failure", "40P01": "deadlock"}.get(
        state or "", "conflicting concurrent writer"
    )
    return StoreBusy(
        f"the append failed {attempts} times ({what}, SQLSTATE {state}); nothing was written, "
        "try again"
    )


def _is_psycopg(error: BaseException, name: str) -> bool:
    """A psycopg error of class ``name`` or a subclass (by class; psycopg itself need not be
    importable)."""
    return any(
        cls.__name__ == name and cls.__module__.startswith("psycopg") for cls in type(error).__mro__
    )


def _is_operational(error: BaseException) -> bool:
    """A psycopg ``OperationalError``."""
    return _is_psycopg(error, "OperationalError")


def lost_connection(exc: BaseException) -> str | None:
    """What happened, in a few words, when ``exc`` says the connection to the server broke
    (by SQLSTATE and exception class, not by the driver's message); None otherwise."""
    state = sqlstate_of(exc)
    if state is not None:
        if state in LOST_SQLSTATES:
            return f"{LOST_SQLSTATES[state]}, SQLSTATE {state}"
        if state.startswith("08"):
            return f"the connection failed, SQLSTATE {state}"
        return None
    if _is_operational(getattr(exc, "orig", None) or exc):
        return "the server closed the connection"
    return None


def connection_lost(what: str, during: str | None = None) -> ConnectionLost:
    """The one-line report of a lost server: what happened, what became of the command's
    write (``during`` is "write" before the commit was sent, "commit" while it was), and
    whether to retry."""
    head = "lost the connection to the database server"
    if during == "write":
        message = (
            f"{head} during the write ({what}): nothing of this write was stored (it was never "
            "committed); it is safe to retry once the server is back"
        )
    elif during == "commit":
        message = (
            f"{head} while committing ({what}): the write may or may not be stored; check with "
            "`defledger log` before retrying (an import is always safe to retry: it adds "
            "nothing already stored)"
        )
    else:
        message = f"{head} ({what}); nothing was written; try again once the server is back"
    return ConnectionLost(message, what)


def translate_pg(exc: BaseException, message: str) -> LedgerError | None:
    """A domain error for a PostgreSQL error, by SQLSTATE; None if it has none."""
    state = sqlstate_of(exc)
    if state is None:  # raised by the driver itself, not by the server
        orig = getattr(exc, "orig", None) or exc
        if not type(orig).__module__.startswith("psycopg"):
            return None
        if getattr(orig, "pgconn", None) is not None:  # set only on a failed connection attempt
            return StoreError(f"cannot connect to the database server: {message}")
        if _is_psycopg(orig, "DataError"):  # a value the driver cannot send (text with NUL)
            return InvalidInput(f"PostgreSQL cannot store this value: {message}")
        what = lost_connection(exc)
        return connection_lost(what) if what else None
    constraint = constraint_of(exc) or ""
    if state == "23000":  # integrity_constraint_violation: only the append-only triggers raise it
        return AppendOnlyViolation(message)
    if state == "23505":
        if constraint == "uq_stream_version":
            return ConcurrencyConflict("a concurrent append to the same stream won")
        if "idempotency_key" in constraint or constraint in ("uq_stream_key", "uq_caller_key"):
            return DuplicateEvent("idempotency key already used")
        if constraint in RETRY_CONSTRAINTS:
            return StoreBusy(f"a writer that bypassed the append lock took {constraint}: {message}")
        return StoreError(message)
    if state in RETRY_SQLSTATES or state in ("55P03", "57014"):
        return StoreBusy(f"the ledger is busy ({message}); try again")
    if state.startswith("53"):  # 53100 disk_full, 53200 out_of_memory, 53300 too_many_connections
        if state == "53100":
            return StorageFull("the database or disk is full; nothing of this write was stored")
        return StoreBusy(f"the database server is out of resources: {message}")
    if state == "25006":  # read_only_sql_transaction: a store opened read-only
        return ReadOnlyLedger(f"the ledger was opened read-only ({message}); nothing was written")
    if state == "42501":
        return StoreError(f"permission denied by the database: {message}")
    if state in ("42P01", "3F000"):
        return StoreError(f"cannot open the ledger: {message} (run `defledger init`)")
    what = lost_connection(exc)
    if what is not None:
        return connection_lost(what)
    if state.startswith("22"):  # data exceptions: a value out of range, an invalid encoding
        return InvalidInput(f"the database refused a value: {message}")
    return None


def check_role_name(role: str) -> str:
    """A role name safe to paste into SQL unquoted (lower case letters, digits, ``_``)."""
    if not _ROLE_NAME.fullmatch(role):
        raise InvalidInput(
            f"name {quoted(role)}: use lower-case letters, digits and _ "
            "(at most 63, no digit first)"
        )
    return role


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, double-quoted (for names such as a database's)."""
    if not name or "\x00" in name:
        raise InvalidInput("an identifier must be non-empty text")
    return '"' + name.replace('"', '""') + '"'


def database_of(url: str) -> str | None:
    """The database name of a PostgreSQL URL (None for another kind of URL)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    return parsed.database if parsed.get_backend_name() == "postgresql" else None


def grants_sql(
    role: str = "defledger_app", database: str | None = None, schema: str = "public"
) -> str:
    """SQL for an administrator: an application role that may read and append but never
    UPDATE, DELETE or TRUNCATE the ledger's history or its Merkle cache (the triggers refuse
    those too); the projection tables, rebuilt from the events, it may rewrite."""
    check_role_name(role)
    check_role_name(schema)
    tables = ", ".join(f"{schema}.{table}" for table in APPEND_ONLY_TABLES)
    caches = ", ".join(f"{schema}.{table}" for table in INSERT_ONLY_CACHES)
    lines = [
        "-- Run as the owner of the ledger's tables, after `defledger init` (as that owner).",
        "-- The application connects as this role: it can read and append, never rewrite.",
        f"CREATE ROLE {role} LOGIN PASSWORD 'change-me';  -- choose the password",
    ]
    if database:
        lines.append(f"GRANT CONNECT ON DATABASE {quote_ident(database)} TO {role};")
    lines += [
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        "-- History: read and append only.",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables} FROM {role}, PUBLIC;",
        f"GRANT SELECT, INSERT ON {tables} TO {role};",
        "-- The Merkle cache: read and add blocks only (a block never changes once derived).",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {caches} FROM {role}, PUBLIC;",
        f"GRANT SELECT, INSERT ON {caches} TO {role};",
        "-- streams.id, event_types.id and actors.id are serial columns: the first event of a",
        "-- new stream, type or actor takes the next value.",
        f"GRANT USAGE, SELECT ON SEQUENCE {schema}.streams_id_seq, {schema}.event_types_id_seq,"
        f" {schema}.actors_id_seq TO {role};",
        "-- Projection tables are rebuilt from the events, so the application may rewrite them.",
        "DO $$ DECLARE t text; BEGIN",
        "  FOR t IN SELECT tablename FROM pg_tables",
        f"           WHERE schemaname = '{schema}'",
        f"             AND tablename NOT IN ({', '.join(repr(t) for t in GUARDED_TABLES)})",
        "  LOOP EXECUTE format(",
        f"    'GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.%I TO {role}', t);",
        "  END LOOP; END $$;",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};",
        "-- The append-only triggers stay on: only the tables' owner or a superuser could",
        f"-- disable them, and {role} owns nothing.",
    ]
    return "\n".join(lines) + "\n"
