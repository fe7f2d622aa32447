"""Driver errors are classified by SQLite's result code and PostgreSQL's SQLSTATE, never by the
driver's wording (``ledger.storage.sqlite_errors``, ``ledger.storage.postgres``): each class is
provoked for real on a ledger and translated by ``ledger.storage.store.translate``, and a
message that says one thing while the code says another is classified by the code."""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import category, line

from ledger.errors import (
    AppendOnlyViolation,
    ConcurrencyConflict,
    ConnectionLost,
    DuplicateEvent,
    IntegrityFailure,
    InvalidInput,
    LedgerError,
    ReadOnlyLedger,
    StorageFull,
    StoreBusy,
    StoreError,
)
from ledger.storage.records import PendingEvent
from ledger.storage.store import OLD_SCHEMA, EventStore, translate

# Every events column; a copied row changes seq and event_id and whatever a case says.
COLUMNS = (
    "stream_id, stream_version, type_id, schema_version, payload, recorded_at, actor_id, "
    "reason, source, idempotency_key, hash"
)


def _copy_row(new_id: str, **changed: str) -> str:
    """SQL inserting a copy of seq 1 at seq 100, with another event id and ``changed``
    columns (each an SQL expression)."""
    values = ", ".join(changed.get(name, name) for name in COLUMNS.split(", "))
    return (
        f"INSERT INTO events (seq, event_id, {COLUMNS}) "
        f"SELECT 100, {new_id}, {values} FROM events WHERE seq = 1"
    )


def _history() -> list[PendingEvent]:
    return [category("A", idempotency_key="k1"), line("l1", "1", "A")]


def _one_line(error: LedgerError) -> str:
    text = str(error)
    assert text and "\n" not in text
    return text


# -- SQLite: each result code provoked on a real ledger file -------------------------------------


@pytest.fixture
def ledger_file(store: EventStore, db_path: Path) -> Path:
    """A SQLite ledger with two events, checkpointed into the main file and closed."""
    store.append_events(_history())
    store.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db_path


def _raw(path: Path | str, **options: Any) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, **options)


def _full(path: Path) -> None:
    conn = _raw(path)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    conn.execute("CREATE TABLE filler (x BLOB)")
    conn.execute("INSERT INTO filler VALUES (randomblob(200000))")


def _busy(path: Path) -> None:
    holder = _raw(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        _raw(path, timeout=0).execute("BEGIN IMMEDIATE")
    finally:
        holder.execute("ROLLBACK")


def _locked(path: Path) -> None:
    conn = _raw(path)
    conn.execute("CREATE TABLE scratch (x)")
    conn.executemany("INSERT INTO scratch VALUES (?)", [(i,) for i in range(10)])
    reading = conn.execute("SELECT x FROM scratch")
    reading.fetchone()
    conn.execute("DROP TABLE scratch")  # while this connection still reads it


def _read_only(path: Path) -> None:
    _raw(f"file:{path}?mode=ro", uri=True).execute("INSERT INTO actors (name) VALUES ('x')")


def _trigger(path: Path) -> None:
    _raw(path).execute("UPDATE events SET reason = 'rewritten'")


def _same_idempotency_key(path: Path) -> None:
    _raw(path).execute(_copy_row("randomblob(16)", stream_version="stream_version + 10"))


def _same_stream_version(path: Path) -> None:
    _raw(path).execute(_copy_row("randomblob(16)", idempotency_key="NULL"))


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")  # every page after the first (the schema's)
    data[page:] = b"\xff" * (len(data) - page)
    path.write_bytes(bytes(data))
    _raw(path).execute("SELECT count(*) FROM events").fetchall()


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"not a ledger at all " * 400)
    _raw(path).execute("SELECT count(*) FROM events").fetchall()


def _cannot_open(path: Path) -> None:
    _raw(path.parent)  # a directory


def _missing_table(path: Path) -> None:
    _raw(path).execute("SELECT * FROM proj_nothing")


def _old_schema(path: Path) -> None:
    old = path.with_name("old.db")  # a development version's ledger: no event_types table
    conn = _raw(old)
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT)")
    conn.execute("SELECT e.seq, t.name FROM events e JOIN event_types t ON t.id = e.type_id")


SQLITE_CASES: list[tuple[str, Callable[[Path], None], str, type[LedgerError], str]] = [
    # (name, provoke, SQLite's code name, class, words of our message)
    ("full", _full, "SQLITE_FULL", StorageFull, "nothing of this write was stored"),
    ("busy", _busy, "SQLITE_BUSY", StoreBusy, "--lock-timeout"),
    ("locked", _locked, "SQLITE_LOCKED", StoreBusy, "--lock-timeout"),
    ("read-only", _read_only, "SQLITE_READONLY", ReadOnlyLedger, "nothing was written"),
    ("trigger", _trigger, "SQLITE_CONSTRAINT_TRIGGER", AppendOnlyViolation, "append-only"),
    (
        "idempotency key",
        _same_idempotency_key,
        "SQLITE_CONSTRAINT_UNIQUE",
        DuplicateEvent,
        "idempotency key already used",
    ),
    (
        "stream version",
        _same_stream_version,
        "SQLITE_CONSTRAINT_UNIQUE",
        ConcurrencyConflict,
        "a concurrent append to the same stream won",
    ),
    ("corrupt", _corrupt, "SQLITE_CORRUPT", StoreError, "malformed"),
    ("not a database", _not_a_database, "SQLITE_NOTADB", StoreError, "not a database"),
    ("cannot open", _cannot_open, "SQLITE_CANTOPEN", StoreError, "cannot open the ledger"),
    ("missing table", _missing_table, "SQLITE_ERROR", StoreError, "cannot open the ledger"),
    ("old schema", _old_schema, "SQLITE_ERROR", StoreError, OLD_SCHEMA),
]


@pytest.mark.parametrize(
    ("provoke", "code_name", "expected", "words"),
    [case[1:] for case in SQLITE_CASES],
    ids=[case[0] for case in SQLITE_CASES],
)
def test_sqlite_errors__each_result_code_is_its_class(
    ledger_file: Path,
    provoke: Callable[[Path], None],
    code_name: str,
    expected: type[LedgerError],
    words: str,
) -> None:
    with pytest.raises(sqlite3.Error) as caught:
        provoke(ledger_file)
    assert caught.value.sqlite_errorname == code_name
    error = translate(caught.value)
    assert type(error) is expected
    assert words in _one_line(error)


def test_sqlite_errors__text_that_is_not_utf8_is_an_integrity_failure(ledger_file: Path) -> None:
    """The sqlite3 module's own decode error carries no SQLite code (SQLite returned the bytes)."""
    conn = _raw(ledger_file)
    conn.execute("CREATE TABLE scratch (x TEXT)")
    conn.execute("INSERT INTO scratch VALUES (CAST(x'ff' AS TEXT))")
    with pytest.raises(sqlite3.OperationalError) as caught:
        conn.execute("SELECT x FROM scratch").fetchall()
    error = translate(caught.value)
    assert type(error) is IntegrityFailure
    assert "not valid UTF-8" in _one_line(error)


def test_sqlite_errors__the_code_decides_not_the_words(ledger_file: Path) -> None:
    """A real SQLITE_FULL reworded stays StorageFull; words of another class under another code
    do not make that class."""
    with pytest.raises(sqlite3.Error) as caught:
        _full(ledger_file)
    full = caught.value
    full.args = ("something else entirely",)
    assert type(translate(full)) is StorageFull

    misleading = sqlite3.OperationalError("database or disk is full; database is locked")
    misleading.sqlite_errorcode = sqlite3.SQLITE_IOERR_READ
    error = translate(misleading)
    assert type(error) is StoreError
    assert str(error) == "database or disk is full; database is locked"


def test_sqlite_errors__through_the_store_and_the_cli(
    ledger_file: Path, cli: Callable[..., Result]
) -> None:
    """The classes reach the user as one line and the class's exit code."""
    store = EventStore.open(str(ledger_file))
    try:
        with pytest.raises(DuplicateEvent):  # a retry with the key of another event
            store.append_events([category("B", idempotency_key="k1")])
    finally:
        store.close()
    ledger_file.write_bytes(b"junk " * 2000)
    result = cli("log")
    assert result.exit_code == 1
    assert result.stderr == "Error: file is not a database\n"


# -- PostgreSQL: the SQLSTATEs a test server lets us provoke ---------------------------------------

psycopg = pytest.importorskip("psycopg")  # the `test` extra installs it


def _driver(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def pg_ledger(pg_url: str) -> Iterator[str]:
    """A PostgreSQL ledger with two events and a scratch table; its libpq URL."""
    store = EventStore.open(pg_url, create=True)
    store.append_events(_history())
    store.close()
    url = _driver(pg_url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE scratch (id int PRIMARY KEY, v int)")
        conn.execute("INSERT INTO scratch VALUES (1, 0), (2, 0)")
    yield url


def _pg(url: str) -> Any:
    return psycopg.connect(url, autocommit=True)


def _pg_unique(column: str) -> Callable[[str], None]:
    other_id = "'\\x00'::bytea || substr(event_id, 2)"
    changes = {
        "idempotency_key": {"stream_version": "stream_version + 10"},
        "stream_version": {"idempotency_key": "NULL"},
    }[column]

    def provoke(url: str) -> None:
        with _pg(url) as conn:
            conn.execute(_copy_row(other_id, **changes))

    return provoke


def _pg_trigger(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("UPDATE events SET reason = 'rewritten'")


def _pg_serialization(url: str) -> None:
    with _pg(url) as first, _pg(url) as second:
        first.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        first.execute("SELECT v FROM scratch WHERE id = 1").fetchall()
        second.execute("UPDATE scratch SET v = v + 1 WHERE id = 1")
        first.execute("UPDATE scratch SET v = v + 1 WHERE id = 1")


def _pg_deadlock(url: str) -> None:
    errors: list[BaseException] = []
    both_locked = threading.Barrier(2, timeout=10)

    def take(first: int, then: int) -> None:
        with _pg(url) as conn:
            conn.execute("SET deadlock_timeout = '50ms'")
            conn.execute("BEGIN")
            conn.execute("UPDATE scratch SET v = v + 1 WHERE id = %s", (first,))
            both_locked.wait()
            try:
                conn.execute("UPDATE scratch SET v = v + 1 WHERE id = %s", (then,))
            except psycopg.Error as exc:
                errors.append(exc)
            conn.execute("ROLLBACK")

    threads = [threading.Thread(target=take, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(errors) == 1, errors  # the server breaks the cycle by failing one of them
    raise errors[0]


def _pg_lock_not_available(url: str) -> None:
    with _pg(url) as holder, _pg(url) as waiter:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE scratch")
        waiter.execute("SET lock_timeout = '50ms'")
        waiter.execute("SELECT * FROM scratch FOR UPDATE")


def _pg_canceled(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("SET statement_timeout = '20ms'")
        conn.execute("SELECT pg_sleep(5)")


def _pg_terminated(url: str) -> None:
    with _pg(url) as victim, _pg(url) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
        victim.execute("SELECT 1")


def _pg_closed(url: str) -> None:
    """The driver finds the connection closed: no SQLSTATE, no connection attempt."""
    with _pg(url) as victim, _pg(url) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
        with pytest.raises(psycopg.errors.AdminShutdown):
            victim.execute("SELECT 1")
        victim.execute("SELECT 1")


def _pg_read_only(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("SET default_transaction_read_only = on")
        conn.execute("INSERT INTO scratch VALUES (3, 0)")


def _pg_missing_table(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("SELECT * FROM proj_nothing")


def _pg_old_schema(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("SELECT type_id FROM scratch")


def _pg_denied(url: str) -> None:
    role = "defledger_nobody"
    with _pg(url) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role}")
        conn.execute(f"SET ROLE {role}")
        try:
            conn.execute("SELECT * FROM events")
        finally:
            conn.execute("RESET ROLE")
            conn.execute(f"DROP ROLE {role}")


def _pg_bad_value(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("SELECT 'twelve'::int")


def _pg_nul(url: str) -> None:
    with _pg(url) as conn:
        conn.execute("SELECT %s::text", ("a\x00b",))


def _pg_refused(_url: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    psycopg.connect(f"postgresql://127.0.0.1:{port}/ledger", connect_timeout=5)


PG_CASES: list[tuple[str, Callable[[str], None], str | None, type[LedgerError], str]] = [
    # (name, provoke, SQLSTATE, class, words of our message)
    (
        "idempotency key",
        _pg_unique("idempotency_key"),
        "23505",
        DuplicateEvent,
        "idempotency key already used",
    ),
    (
        "stream version",
        _pg_unique("stream_version"),
        "23505",
        ConcurrencyConflict,
        "a concurrent append to the same stream won",
    ),
    ("trigger", _pg_trigger, "23000", AppendOnlyViolation, "append-only"),
    ("serialization", _pg_serialization, "40001", StoreBusy, "busy"),
    ("deadlock", _pg_deadlock, "40P01", StoreBusy, "busy"),
    ("lock not available", _pg_lock_not_available, "55P03", StoreBusy, "busy"),
    ("query canceled", _pg_canceled, "57014", StoreBusy, "busy"),
    ("terminated", _pg_terminated, "57P01", ConnectionLost, "SQLSTATE 57P01"),
    ("closed", _pg_closed, None, ConnectionLost, "the server closed the connection"),
    ("read-only", _pg_read_only, "25006", ReadOnlyLedger, "nothing was written"),
    ("missing table", _pg_missing_table, "42P01", StoreError, "defledger init"),
    ("old schema", _pg_old_schema, "42703", StoreError, OLD_SCHEMA),
    ("permission", _pg_denied, "42501", StoreError, "permission denied by the database"),
    ("bad value", _pg_bad_value, "22P02", InvalidInput, "the database refused a value"),
    ("nul", _pg_nul, None, InvalidInput, "NUL"),
    ("refused", _pg_refused, None, StoreError, "cannot connect to the database server"),
]


@pytest.mark.pg
@pytest.mark.parametrize(
    ("provoke", "sqlstate", "expected", "words"),
    [case[1:] for case in PG_CASES],
    ids=[case[0] for case in PG_CASES],
)
def test_postgres_errors__each_sqlstate_is_its_class(
    pg_ledger: str,
    provoke: Callable[[str], None],
    sqlstate: str | None,
    expected: type[LedgerError],
    words: str,
) -> None:
    with pytest.raises(psycopg.Error) as caught:
        provoke(pg_ledger)
    assert caught.value.sqlstate == sqlstate
    error = translate(caught.value)
    assert type(error) is expected
    assert words in _one_line(error)


def test_postgres_errors__the_sqlstate_decides_not_the_words() -> None:
    """No server needed: the classes hang on the SQLSTATE, whatever the message says."""
    worded = psycopg.errors.IntegrityConstraintViolation("something else entirely")
    assert type(translate(worded)) is AppendOnlyViolation  # 23000: only our triggers raise it
    misleading = psycopg.errors.UniqueViolation("events are append-only; disk is full")
    assert type(translate(misleading)) is StoreError  # 23505 on no constraint of ours


def test_driver_log_lines__never_reach_stderr(
    cli: Callable[..., Result], capsys: pytest.CaptureFixture[str]
) -> None:
    """psycopg logs "error ignored terminating Pipeline" as a server goes away; the one
    Error: line already says what happened, so a driver's own warnings stay off stderr."""
    import logging

    cli("init")
    capsys.readouterr()
    root = logging.getLogger()
    kept = root.handlers[:]
    root.handlers = []  # as outside pytest, whose own handler would catch the line
    try:
        logging.getLogger("psycopg").warning("error ignored terminating <Pipeline>: closed")
        logging.getLogger("sqlalchemy.engine").warning("a pool warning")
    finally:
        root.handlers = kept
    assert capsys.readouterr().err == ""
