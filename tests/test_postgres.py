"""``ledger.storage.postgres`` and the store's PostgreSQL paths: errors by SQLSTATE, the bounded
retry of
serialization failures and deadlocks, reads that hold no transaction between pages, and an
application role (``db grants``) that can append but never rewrite history."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers import category
from helpers.backends import with_database

import ledger.storage.store as store_module
from events import Provenance
from ledger.audit import checkpoints
from ledger.errors import (
    AppendOnlyViolation,
    ConnectionLost,
    InvalidInput,
    ReadOnlyLedger,
    StorageFull,
    StoreBusy,
    StoreError,
)
from ledger.storage import db as dbmod
from ledger.storage import postgres as pg
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore, translate

psycopg = pytest.importorskip("psycopg")  # the `test` extra installs it


def _driver(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# -- errors by SQLSTATE (no server needed) --------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.SerializationFailure, StoreBusy),
        (psycopg.errors.DeadlockDetected, StoreBusy),
        (psycopg.errors.LockNotAvailable, StoreBusy),
        (psycopg.errors.DiskFull, StorageFull),
        (psycopg.errors.InsufficientPrivilege, StoreError),
        (psycopg.errors.UndefinedTable, StoreError),
        (psycopg.errors.AdminShutdown, ConnectionLost),
        (psycopg.errors.CharacterNotInRepertoire, InvalidInput),
    ],
)
def test_postgres_translate__by_sqlstate(error: type[Exception], expected: type) -> None:
    translated = translate(error("boom\nDETAIL: more"))
    assert type(translated) is expected
    assert "\n" not in str(translated)


@pytest.mark.parametrize(
    ("error", "what"),
    [
        (psycopg.errors.AdminShutdown, "the server was shut down, SQLSTATE 57P01"),
        (psycopg.errors.CrashShutdown, "another server process crashed, SQLSTATE 57P02"),
        (psycopg.errors.CannotConnectNow, "starting up or shutting down, SQLSTATE 57P03"),
        (psycopg.errors.ConnectionFailure, "the connection failed, SQLSTATE 08006"),
        (psycopg.OperationalError, "the server closed the connection"),  # no SQLSTATE
    ],
)
def test_postgres_translate__a_lost_server_by_class_and_sqlstate(
    error: type[Exception], what: str
) -> None:
    """Issue 12 item 13: one line of our own words, whatever the driver said."""
    lost = translate(error("consuming input failed: server closed the connection unexpectedly"))
    assert isinstance(lost, ConnectionLost)
    assert what in lost.what
    assert str(lost).startswith("lost the connection to the database server (")
    assert "consuming" not in str(lost) and "\n" not in str(lost)
    during = str(pg.connection_lost(lost.what, "write"))
    assert "nothing of this write was stored" in during and "safe to retry" in during
    assert "may or may not be stored" in str(pg.connection_lost(lost.what, "commit"))


def test_postgres_translate__a_failed_connect_is_not_a_lost_connection() -> None:
    """Neither has a SQLSTATE: psycopg attaches ``pgconn`` only to the error of a connection
    attempt. A refused connect (through the store, wrapped by SQLAlchemy) is "cannot connect";
    the same error class mid-session is a lost connection."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = EventStore.open(f"postgresql+psycopg://nobody@127.0.0.1:{port}/ledger")
    try:
        with pytest.raises(StoreError) as refused:
            store.count()
    finally:
        store.close()
    assert type(refused.value) is StoreError
    assert str(refused.value).startswith("cannot connect to the database server: connection")
    assert isinstance(translate(psycopg.OperationalError("connection failed")), ConnectionLost)


def test_postgres_translate__write_in_a_read_only_session() -> None:
    refused = translate(psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"))
    assert isinstance(refused, ReadOnlyLedger)
    assert "read-only" in str(refused)


def test_postgres_translate__append_only_trigger_by_its_sqlstate() -> None:
    exc = psycopg.errors.IntegrityConstraintViolation(  # 23000, as the triggers raise it
        "events are append-only: UPDATE is not allowed"
    )
    assert isinstance(translate(exc), AppendOnlyViolation)


def test_postgres_retryable__only_serialization_and_deadlock() -> None:
    def wrapped(error: Exception) -> Exception:
        outer = StoreBusy("x")
        outer.__cause__ = error
        return outer

    assert pg.is_retryable(wrapped(psycopg.errors.SerializationFailure()))
    assert pg.is_retryable(wrapped(psycopg.errors.DeadlockDetected()))
    assert not pg.is_retryable(wrapped(psycopg.errors.UniqueViolation()))
    assert not pg.is_retryable(wrapped(psycopg.errors.DiskFull()))
    assert not pg.is_retryable(StoreBusy("no cause"))


def test_postgres_backoff__bounded_and_jittered() -> None:
    delays = list(pg.backoff_delays())
    assert len(delays) == pg.MAX_ATTEMPTS - 1
    assert all(0 <= d <= pg.BACKOFF_CAP_S for d in delays)


@pytest.mark.parametrize(
    "role", ["", "App", "1app", "app;drop", "a b", "x" * 64, "ａｐｐ", "app\n", "app\nDROP"]
)
def test_postgres_grants__unsafe_role_names_refused(role: str) -> None:
    with pytest.raises(InvalidInput):
        pg.grants_sql(role)


def test_postgres_grants__revokes_rewrites_and_grants_append() -> None:
    sql = pg.grants_sql("ledger_app", database='my"db')
    tables = "public.events, public.streams, public.event_types, public.actors, public.ledger_meta"
    assert f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables}" in sql
    assert f"GRANT SELECT, INSERT ON {tables} TO ledger_app;" in sql
    cache = "public.merkle_blocks"
    assert f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {cache} FROM" in sql
    assert f"GRANT SELECT, INSERT ON {cache} TO ledger_app;" in sql
    assert "'ledger_meta', 'merkle_blocks')" in sql  # not among the rewritable projections
    assert 'GRANT CONNECT ON DATABASE "my""db" TO ledger_app;' in sql
    assert "streams_id_seq" in sql and "actors_id_seq" in sql


def test_postgres_database_of__url_kinds() -> None:
    assert pg.database_of("postgresql+psycopg://u:p@h:5432/ledger") == "ledger"
    assert pg.database_of("sqlite:////tmp/x.db") is None
    assert pg.database_of("not a url") is None


# -- against a server -----------------------------------------------------------------------------


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[EventStore]:
    store = EventStore.open(pg_url, create=True)
    yield store
    store.close()


def _flaky(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception], failures: int
) -> dict[str, int]:
    """Make the first ``failures`` append transactions fail with ``error`` after writing."""
    calls = {"n": 0}
    real = EventStore._append_locked

    def append_locked(self: EventStore, cur: object, writes: object) -> object:
        result = real(self, cur, writes)  # type: ignore[arg-type]
        calls["n"] += 1
        if calls["n"] <= failures:
            raise error("injected")
        return result

    monkeypatch.setattr(EventStore, "_append_locked", append_locked)
    return calls


@pytest.mark.pg
@pytest.mark.parametrize(
    "error", [psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected]
)
def test_postgres_append__retried_then_succeeds_once(
    pg_store: EventStore, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    calls = _flaky(monkeypatch, error, failures=2)
    result = pg_store.append_events([category("A")])
    assert calls["n"] == 3
    assert [e.seq for e in result.appended] == [1]
    assert [e.seq for e in pg_store.read()] == [1]  # the failed attempts left nothing


@pytest.mark.pg
def test_postgres_append__gives_up_after_bounded_attempts(
    pg_store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _flaky(monkeypatch, psycopg.errors.SerializationFailure, failures=100)
    with pytest.raises(
        StoreBusy, match=r"failed 5 times \(serialization failure, SQLSTATE 40001\)"
    ):
        pg_store.append_events([category("A")])
    assert calls["n"] == pg.MAX_ATTEMPTS
    assert pg_store.count() == 0


@pytest.mark.pg
def test_postgres_append__other_errors_are_not_retried(
    pg_store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _flaky(monkeypatch, psycopg.errors.DiskFull, failures=100)
    with pytest.raises(StorageFull):
        pg_store.append_events([category("A")])
    assert calls["n"] == 1


@pytest.mark.pg
def test_postgres_read__no_transaction_held_between_pages(
    pg_store: EventStore, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_store.append_events([category(f"C{i}") for i in range(10)])
    monkeypatch.setattr(store_module, "READ_BATCH", 3)
    reader = pg_store.read()
    assert [next(reader).seq for _ in range(4)] == [1, 2, 3, 4]  # into the second page
    with psycopg.connect(_driver(pg_url)) as conn:
        open_transactions = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
        ).fetchone()
    assert open_transactions == (0,)
    assert [e.seq for e in reader] == list(range(5, 11))


@pytest.mark.pg
def test_postgres_init__concurrent_inits_on_a_new_database_all_succeed(pg_url: str) -> None:
    """Without the lock around the DDL, racing CREATE TABLEs fail on PostgreSQL's catalog."""
    barrier = threading.Barrier(4)

    def init() -> int:
        store = EventStore(dbmod.make_engine(pg_url))
        try:
            barrier.wait(timeout=30)
            store.init()
            return store.count()
        finally:
            store.close()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda _: init(), range(4))) == [0, 0, 0, 0]
    with EventStore.open(pg_url, create=True) as store:
        store.append_events([category("A")])
        assert store.count() == 1


@pytest.mark.pg
def test_postgres_text__nul_refused_clearly_and_nothing_written(pg_store: EventStore) -> None:
    # The models refuse NUL (tests/test_events.py); this checks the store's own translation
    # for a provenance built without validation.
    unchecked = Provenance.model_construct(
        actor="nul\x00here", reason=None, source=None, idempotency_key=None
    )
    event = PendingEvent(category("A").event, unchecked)
    with pytest.raises(InvalidInput, match="NUL"):
        pg_store.append_events([category("B"), event])
    assert pg_store.count() == 0


@pytest.fixture
def app_role(pg_url: str, pg_store: EventStore) -> Iterator[str]:
    """The URL of an application role set up with ``grants_sql`` on an initialised ledger."""
    role = f"defledger_app_{uuid.uuid4().hex[:8]}"
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(_driver(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE projection_demo (k text PRIMARY KEY, v text)")
        conn.execute(pg.grants_sql(role, database=database))
    from sqlalchemy import make_url

    url = make_url(pg_url).set(username=role, password="change-me")
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(_driver(pg_url), autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.pg
def test_postgres_grants__app_role_appends_but_cannot_rewrite(
    app_role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EventStore.open(app_role, create=True) as app:  # `init` as the app role changes nothing
        app.append_events([category("A"), category("B")])
        assert [e.seq for e in app.read()] == [1, 2]
        with psycopg.connect(_driver(app_role)) as conn:
            for statement in (
                "UPDATE events SET reason = 'x'",
                "DELETE FROM events",
                "TRUNCATE events",
                "DELETE FROM streams",
                "UPDATE actors SET name = 'x'",
                "TRUNCATE event_types CASCADE",
                "ALTER TABLE events DISABLE TRIGGER events_no_change",
                "UPDATE merkle_blocks SET root = last_hash",
                "DELETE FROM merkle_blocks",
                "TRUNCATE merkle_blocks",
                "ALTER TABLE merkle_blocks DISABLE TRIGGER merkle_blocks_no_change",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
                conn.rollback()
            conn.execute("INSERT INTO projection_demo VALUES ('a', '1')")
            conn.execute("UPDATE projection_demo SET v = '2'")  # projections may be rewritten
        assert app.count() == 2
        # The app role adds Merkle cache blocks (INSERT) as it makes checkpoints.
        monkeypatch.setattr(checkpoints, "BLOCK", 1)
        assert checkpoints.tree_head(app).size == 2
        with psycopg.connect(_driver(app_role)) as conn:
            assert conn.execute("SELECT COUNT(*) FROM merkle_blocks").fetchone() == (2,)


@pytest.mark.pg
def test_postgres_url__password_never_in_messages(pg_admin_url: str) -> None:
    from click.testing import CliRunner

    from cli.app import cli as app

    url = with_database(pg_admin_url, "no_such_database_here").replace(
        "postgres@", "postgres:s3cret-pw@"
    )
    result = CliRunner().invoke(app, ["--db", url, "log"])
    assert result.exit_code == 1
    assert "no_such_database_here" in result.stderr
    assert "s3cret-pw" not in result.stderr


@pytest.mark.pg
def test_postgres_unique_violations__seq_retryable_stream_version_is_a_conflict(
    pg_store: EventStore, pg_url: str
) -> None:
    pg_store.append_events([category("A")])
    columns = "stream_id, type_id, schema_version, payload, recorded_at, actor_id, hash"
    insert = f"INSERT INTO events (seq, event_id, stream_version, {columns}) SELECT "
    other_id = "'\\x00'::bytea || substr(event_id, 2)"
    duplicate_seq = f"{insert} seq, {other_id}, stream_version + 1, {columns} FROM events"
    duplicate_version = f"{insert} seq + 1, {other_id}, stream_version, {columns} FROM events"
    with psycopg.connect(_driver(pg_url)) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation) as seq_clash:
            conn.execute(duplicate_seq)
        conn.rollback()
        with pytest.raises(psycopg.errors.UniqueViolation) as version_clash:
            conn.execute(duplicate_version)
    assert pg.is_retryable(seq_clash.value)
    assert isinstance(translate(seq_clash.value), StoreBusy)
    assert not pg.is_retryable(version_clash.value)
    assert type(translate(version_clash.value)).__name__ == "ConcurrencyConflict"


@pytest.mark.pg
def test_postgres_init__prints_the_url_without_its_password(pg_url: str) -> None:
    from click.testing import CliRunner

    from cli.app import cli as app

    url = pg_url.replace("postgres@", "postgres:s3cret-pw@")
    result = CliRunner().invoke(app, ["--db", url, "init"])
    assert result.exit_code == 0, result.stderr
    assert "s3cret-pw" not in result.stderr
    assert "postgres:***@" in result.stderr
