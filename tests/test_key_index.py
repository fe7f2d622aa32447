"""Idempotency keys: unique per stream (content keys), and across the ledger (caller keys); a
ledger made before that index, with one global unique key constraint, is converted when a
write opens it, and keeps every hash, digest, checkpoint and log line."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from cli.app import cli as app
from events import Provenance, parse_event
from ledger.errors import DuplicateEvent
from ledger.intake.importers import import_text
from ledger.storage.db import KEY_INDEXES
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

SETUP = (
    '{"type":"CategoryDefined","code":"A","name":"Core"}\n'
    '{"type":"CategoryDefined","code":"B","name":"Related"}\n'
)
LINES = "".join(
    f'{{"type":"BudgetLineRecorded","fiscal_year":2025,"line_id":"L{i}","agency":"MOD",'
    f'"program":"P","category":"A","amount":"{100 + i}","stage":"initial",'
    f'"source":{{"title":"Budget","url":"https://example.org/{i}"}}}}\n'
    for i in range(30)
)
# a caller's key (as a log carries event:<id>, or record --idempotency-key)
CALLER = '{"type":"GdpRecorded","fiscal_year":2025,"amount":"600","vintage":"v1","idempotency_key":"mine-1"}\n'  # noqa: E501

# The events table as ledgers made before the per-stream key index defined it (SQLite).
OLD_EVENTS_DDL = """CREATE TABLE events (
    seq INTEGER NOT NULL, event_id BLOB NOT NULL, stream_id INTEGER NOT NULL,
    stream_version INTEGER NOT NULL, type_id INTEGER NOT NULL, schema_version INTEGER NOT NULL,
    payload TEXT NOT NULL, recorded_at BIGINT NOT NULL, actor_id INTEGER NOT NULL,
    reason TEXT, source TEXT, idempotency_key TEXT, hash BLOB NOT NULL,
    PRIMARY KEY (seq), CONSTRAINT uq_stream_version UNIQUE (stream_id, stream_version),
    UNIQUE (event_id), FOREIGN KEY(stream_id) REFERENCES streams (id),
    FOREIGN KEY(type_id) REFERENCES event_types (id),
    FOREIGN KEY(actor_id) REFERENCES actors (id), UNIQUE (idempotency_key)
)"""


@pytest.fixture
def cli_at() -> Callable[[str], Callable[..., Result]]:
    """``defledger --db URL ARGS…`` for a URL given later."""

    def at(url: str) -> Callable[..., Result]:
        def invoke(*args: str) -> Result:
            return CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False)

        return invoke

    return at


def _fill(url: str) -> None:
    with EventStore.open(url, create=True) as store:
        import_text(store, SETUP, actor="tester")
        import_text(store, LINES, actor="tester")
        import_text(store, CALLER, actor="tester")


def _made_old(url: str, backend: str, tmp_path: Path) -> str:
    """A ledger holding the same rows under the old schema: SQLite, a new file made with the
    old DDL and the rows copied in; PostgreSQL, the new indexes swapped for the old
    constraint."""
    if backend == "postgresql":
        engine = create_engine(url)
        with engine.begin() as conn:
            for index in KEY_INDEXES:
                conn.execute(text(f"DROP INDEX {index}"))
            conn.execute(
                text(
                    "ALTER TABLE events ADD CONSTRAINT events_idempotency_key_key "
                    "UNIQUE (idempotency_key)"
                )
            )
        engine.dispose()
        return url
    new = url.removeprefix("sqlite:///")
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.execute("ATTACH DATABASE ? AS new", (new,))
    others = conn.execute(
        "SELECT name, sql FROM new.sqlite_master WHERE type = 'table' AND name <> 'events'"
    ).fetchall()
    for table, ddl in others:
        conn.execute(ddl)
        conn.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")  # noqa: S608
    conn.execute(OLD_EVENTS_DDL)
    conn.execute("INSERT INTO events SELECT * FROM new.events ORDER BY seq")
    for op in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events "
            f"BEGIN SELECT RAISE(ABORT, 'events are append-only: {op} is not allowed'); END"
        )
    conn.commit()
    conn.close()
    return f"sqlite:///{old}"


def _key_indexes(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        if url.startswith("sqlite"):
            query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE tablename = 'events'"
        names = {row[0] for row in conn.execute(text(query))}
    engine.dispose()
    return names & set(KEY_INDEXES)


def _outputs(invoke: Callable[..., Result]) -> tuple[str, ...]:
    results = [
        invoke("digest"),
        invoke("log", "--format", "jsonl"),
        invoke("checkpoint"),
        invoke("verify"),
    ]
    for result in results:
        assert result.exit_code == 0, result.output
    return tuple(r.stdout for r in results)


def test_old_key_schema__converted_on_write_with_the_same_digest_log_and_chain(
    backend: str, backend_url: str, tmp_path: Path, cli_at: Callable[[str], Callable[..., Result]]
) -> None:
    _fill(backend_url)
    before = _outputs(cli_at(backend_url))
    old_url = _made_old(backend_url, backend, tmp_path)
    assert _key_indexes(old_url) == set()
    assert _outputs(cli_at(old_url)) == before  # an old ledger reads as ever
    with EventStore.open(old_url, create=True) as store:  # a write opens it: converted
        assert _key_indexes(old_url) == set(KEY_INDEXES)
        again = import_text(store, SETUP + LINES + CALLER, actor="tester")
        assert (again.appended, again.skipped) == (0, 33)
    assert _outputs(cli_at(old_url)) == before
    if backend == "sqlite":
        conn = sqlite3.connect(old_url.removeprefix("sqlite:///"))
        (ddl,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()
        triggers = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            )
        }  # noqa: E501
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}  # noqa: E501
        conn.close()
        assert "UNIQUE (idempotency_key)" not in ddl
        assert triggers == {"events_no_update", "events_no_delete"}
        assert "events_before_key_index" not in tables


def test_keys__a_caller_key_is_unique_across_streams_a_content_key_within_its_stream(
    backend_store: EventStore,
) -> None:
    import_text(backend_store, SETUP + CALLER, actor="tester")
    reused = CALLER.replace('"fiscal_year":2025', '"fiscal_year":2024')  # another stream
    with pytest.raises(Exception, match="mine-1"):
        import_text(backend_store, reused, actor="tester")
    other = PendingEvent(
        parse_event({"type": "GdpRecorded", "fiscal_year": 2023, "amount": "1", "vintage": "v"}),
        Provenance(actor="tester", idempotency_key="mine-1"),
    )
    with pytest.raises(DuplicateEvent):
        backend_store.append_events([other])
    # the same content key in its own stream is a retry: skipped
    first = import_text(backend_store, LINES, actor="tester")
    second = import_text(backend_store, LINES, actor="tester")
    assert (first.appended, second.appended, second.skipped) == (30, 0, 30)
