"""One contract, two backends: the store, the chain and the core CLI behave the same on SQLite
and on PostgreSQL (each test runs once per backend; PostgreSQL skips with a visible reason when
no server is reachable)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from helpers import category, line, pending
from sqlalchemy import text

import ledger.storage.store as store_module
from ledger.audit.verify import verify_ledger
from ledger.errors import (
    AppendOnlyViolation,
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidInput,
    NotFound,
)
from ledger.storage.records import PendingEvent, StreamWrite
from ledger.storage.store import EventStore, translate

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.jsonl"
T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def target(target_id: str, percent: str = "2", **extra: object) -> PendingEvent:
    return pending(
        "TargetSet", target_id=target_id, percent_of_gdp=percent, by_fiscal_year=2027, **extra
    )


def _execute(store: EventStore, statement: str) -> None:
    """Run raw SQL through the store's engine, as an attacker with SQL access would."""
    with store.engine.begin() as conn:
        conn.execute(text(statement))


def _drop_update_trigger(store: EventStore) -> None:
    if store.sqlite:
        _execute(store, "DROP TRIGGER events_no_update")
    else:
        _execute(store, "DROP TRIGGER events_no_change ON events")


# -- appending ------------------------------------------------------------------------------------


def test_contract_append__contiguous_seq_versions_and_links(backend_store: EventStore) -> None:
    first = backend_store.append_events([category("A"), category("B"), line("L1", "100", "A")])
    second = backend_store.append([StreamWrite("category/A", 1, [category("A", name="A2")])])
    stored = list(backend_store.read())
    assert [e.seq for e in stored] == [1, 2, 3, 4]
    assert [(e.stream, e.stream_version) for e in stored] == [
        ("category/A", 1), ("category/B", 1), ("line/JP/FY2025/L1", 1), ("category/A", 2),
    ]  # fmt: skip
    assert stored[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    assert [e.envelope() for e in (*first.appended, *second.appended)] == [
        e.envelope() for e in stored
    ]
    assert backend_store.head() is not None and backend_store.head().seq == 4  # type: ignore[union-attr]
    assert backend_store.count() == 4


def test_contract_append__expected_version_conflict_writes_nothing(
    backend_store: EventStore,
) -> None:
    backend_store.append_events([category("A")])
    with pytest.raises(ConcurrencyConflict, match="at version 1, expected 0"):
        backend_store.append([StreamWrite("category/A", 0, [category("A", name="again")])])
    with pytest.raises(ConcurrencyConflict):
        backend_store.append([StreamWrite("category/A", 2, [category("A", name="ahead")])])
    assert backend_store.count() == 1
    assert backend_store.stream_version("category/A") == 1


def test_contract_append__batch_is_all_or_nothing(backend_store: EventStore) -> None:
    backend_store.append_events([category("A")])
    with pytest.raises(ConcurrencyConflict):
        backend_store.append(
            [
                StreamWrite("category/B", 0, [category("B")]),
                StreamWrite("category/A", 0, [category("A", name="late")]),
            ]
        )
    assert [e.stream for e in backend_store.read()] == ["category/A"]
    assert backend_store.stream_names("category/") == ["category/A"]


def test_contract_idempotency__same_key_skips_other_content_refused(
    backend_store: EventStore,
) -> None:
    backend_store.append_events([target("t1", idempotency_key="k1")])
    again = backend_store.append_events([target("t1", idempotency_key="k1")])
    assert (len(again.appended), again.skipped) == (0, 1)
    with pytest.raises(DuplicateEvent, match="k1"):
        backend_store.append_events([target("t1", "3", idempotency_key="k1")])
    assert backend_store.count() == 1
    assert backend_store.stored_idempotency_keys([("x", "k1"), ("x", "k2")]) == {"k1"}


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({"stream_version": "stream_version + 1"}, DuplicateEvent),  # same idempotency key
        ({"idempotency_key": "NULL"}, ConcurrencyConflict),  # same stream version
    ],
)
def test_contract_unique_violations__translated_by_constraint(
    backend_store: EventStore, changed: dict[str, str], expected: type
) -> None:
    """A row that bypasses the store still hits the database's own constraints."""
    backend_store.append_events([target("t1", idempotency_key="k1")])
    columns = (
        "stream_id, stream_version, type_id, schema_version, payload, recorded_at, actor_id, "
        "reason, source, idempotency_key, hash"
    )
    values = ", ".join(changed.get(name, name) for name in columns.split(", "))
    other_id = "randomblob(16)" if backend_store.sqlite else "'\\x00'::bytea || substr(event_id, 2)"
    copy_row = (
        f"INSERT INTO events (seq, event_id, {columns}) "
        f"SELECT seq + 1, {other_id}, {values} FROM events"
    )
    with pytest.raises(Exception) as caught:
        _execute(backend_store, copy_row)
    assert type(translate(caught.value)) is expected
    assert backend_store.count() == 1


def test_contract_append__text_round_trips_exactly(backend_store: EventStore) -> None:
    reason = "改訂: 補正予算を含む — “quotes”, emoji 🛰️, tab\tand newline\nkept"
    stored = backend_store.append_events(
        [
            target("t1", "3.50", reason=reason, source={"title": "防衛白書", "page": "p.22"}),
            pending("CategoryDefined", actor="監査院", code="JP.REL.SPACE", name="宇宙"),
        ]
    ).appended
    assert [e.envelope() for e in backend_store.read()] == [e.envelope() for e in stored]
    assert backend_store.get(1).reason == reason
    assert backend_store.get(2).actor == "監査院"
    assert verify_ledger(backend_store).ok


# -- append-only, enforced by the database --------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor_id = 1",
        "DELETE FROM events WHERE seq = 2",
        "UPDATE streams SET name = 'x'",
        "DELETE FROM streams",
        "UPDATE event_types SET name = 'x'",
        "DELETE FROM event_types",
        "UPDATE actors SET name = 'mallory'",
        "DELETE FROM actors",
        "UPDATE ledger_meta SET value = 'other'",
        "DELETE FROM ledger_meta",
    ],
)
def test_contract_triggers__update_and_delete_refused(
    backend_store: EventStore, statement: str
) -> None:
    backend_store.append_events([category("A"), category("B")])
    _execute(backend_store, "INSERT INTO ledger_meta (key, value) VALUES ('ledger_id', 'x')")
    before = [e.envelope() for e in backend_store.read()]
    with pytest.raises(Exception) as caught:
        _execute(backend_store, statement)
    assert isinstance(translate(caught.value), AppendOnlyViolation)
    assert "append-only" in str(translate(caught.value))
    assert [e.envelope() for e in backend_store.read()] == before


def test_contract_triggers__truncate_refused_on_postgresql(backend_store: EventStore) -> None:
    if backend_store.sqlite:
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is refused above)")
    backend_store.append_events([category("A")])
    for statement in ("TRUNCATE events", "TRUNCATE streams CASCADE", "TRUNCATE ledger_meta"):
        with pytest.raises(Exception) as caught:
            _execute(backend_store, statement)
        assert isinstance(translate(caught.value), AppendOnlyViolation), statement
    assert backend_store.count() == 1


def test_contract_verify__detects_an_edit_after_the_trigger_is_dropped(
    backend_store: EventStore, backend_cli: Callable[..., Result]
) -> None:
    backend_store.append_events([category("A"), line("L1", "100", "A"), line("L2", "5", "A")])
    assert verify_ledger(backend_store).ok
    _drop_update_trigger(backend_store)
    _execute(
        backend_store,
        "UPDATE events SET payload = replace(payload, '\"100\"', '\"900\"') WHERE seq = 2",
    )
    assert '"900"' in backend_store.get(2).payload_json
    report = verify_ledger(backend_store)
    assert report.first_bad_seq == 2
    assert [p.kind for p in report.problems] == ["hash-mismatch"]
    result = backend_cli("verify")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: verification failed at seq 2")


# -- reading --------------------------------------------------------------------------------------


class StepClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def history(backend_url: str) -> EventStore:
    store = EventStore.open(backend_url, create=True, clock=StepClock(T0))
    for i in range(10):
        store.append_events(
            [pending("TargetSet", actor=f"actor{i % 3}", target_id=f"t{i % 4}",
                     percent_of_gdp=str(i + 1), by_fiscal_year=2027)]
        )  # fmt: skip
    store.append_events([category("a"), category("B"), category("b.x")])
    return store


def test_contract_read__filters(history: EventStore) -> None:
    seqs = lambda events: [e.seq for e in events]  # noqa: E731
    assert seqs(history.read(start=3, stop=5)) == [3, 4, 5]
    assert seqs(history.read(stream="target/JP/t1")) == [2, 6, 10]
    assert seqs(history.read(stream_prefix="category/")) == [11, 12, 13]
    assert seqs(history.read(types=["CategoryDefined"], start=12)) == [12, 13]
    assert seqs(history.read(actor="actor2")) == [3, 6, 9]
    since, until = "2025-04-01T09:03:00.000000Z", "2025-04-01T09:05:00.000000Z"
    assert seqs(history.read(since=since, until=until)) == [3, 4, 5]
    assert history.seq_at_time("2025-04-01T09:04:30Z") == 4
    assert history.seq_at_time("2000-01-01") == 0
    event = history.get(7)
    assert history.seq_of_event_id(event.event_id) == 7
    with pytest.raises(NotFound):
        history.get(99)
    assert history.stream_versions(["target/JP/t1", "nope"]) == {"target/JP/t1": 3, "nope": 0}
    assert history.first_seq_of_stream_version("target/JP/t1", 2) == 6


def test_contract_read__byte_order_of_names_on_both_backends(history: EventStore) -> None:
    """Upper case sorts before lower case (byte order), whatever the database's collation."""
    assert history.stream_names("category/") == ["category/B", "category/a", "category/b.x"]


def test_contract_read__pages_see_every_event_once(
    history: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "READ_BATCH", 4)
    assert [e.seq for e in history.read()] == list(range(1, 14))
    assert [r.seq for r in history.read_chain(start=2, stop=9)] == list(range(2, 10))
    assert verify_ledger(history).ok


# -- errors ---------------------------------------------------------------------------------------


def test_contract_errors__uninitialised_database_is_one_clear_line(
    backend: str, backend_url: str, backend_cli: Callable[..., Result]
) -> None:
    result = backend_cli("log")
    assert result.exit_code in (1, 2)
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    if backend == "postgresql":
        assert "defledger init" in result.stderr


def test_contract_errors__wrong_stream_refused(backend_store: EventStore) -> None:
    with pytest.raises(InvalidInput):
        backend_store.append([StreamWrite("category/B", None, [category("A")])])
    assert backend_store.count() == 0


# -- the CLI --------------------------------------------------------------------------------------


def test_contract_cli__init_import_log_show_verify(
    backend_url: str, backend_cli: Callable[..., Result]
) -> None:
    assert backend_cli("init").exit_code == 0
    assert backend_cli("init").exit_code == 0  # harmless when it exists
    imported = backend_cli("import", str(EXAMPLE))
    assert imported.exit_code == 0, imported.stderr
    again = backend_cli("import", str(EXAMPLE))
    assert "added 0 events" in again.stderr
    log = json.loads(backend_cli("log", "--format", "json").stdout)
    count = len(EXAMPLE.read_text(encoding="utf-8").splitlines())
    assert [e["seq"] for e in log["events"]] == list(range(1, count + 1))
    assert log["events"][0]["type"] == "CategoryDefined"
    shown = json.loads(backend_cli("show", "2", "--format", "json").stdout)
    assert "JP.REL.JCG" in json.dumps(shown)
    verified = backend_cli("verify")
    assert verified.exit_code == 0
    assert verified.stdout.startswith(f"ok: {count} events verified")
    digest = backend_cli("digest").stdout
    assert backend_cli("verify", "--digest", digest).exit_code == 0


def test_contract_cli__log_round_trips_through_import(
    backend_cli: Callable[..., Result], tmp_path: Path
) -> None:
    backend_cli("import", str(EXAMPLE))
    exported = backend_cli("log", "--format", "jsonl").stdout
    copy = tmp_path / "copy.db"
    from click.testing import CliRunner

    from cli.app import cli as app

    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(copy), "import", "-"], input=exported)
    assert result.exit_code == 0, result.stderr
    again = runner.invoke(app, ["--db", str(copy), "log", "--format", "jsonl"]).stdout
    strip = ("seq", "event_id", "recorded_at", "prev_hash", "hash")
    rows = [{k: v for k, v in json.loads(x).items() if k not in strip} for x in again.splitlines()]
    assert rows == [
        {k: v for k, v in json.loads(x).items() if k not in strip} for x in exported.splitlines()
    ]


def test_contract_cli__bad_row_writes_nothing(
    backend_cli: Callable[..., Result], tmp_path: Path
) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:3], '{"type": "Nope"}', *lines[3:]]) + "\n", "utf-8")
    backend_cli("init")
    result = backend_cli("import", str(bad))
    assert result.exit_code == 2
    assert "line 4" in result.stderr
    assert json.loads(backend_cli("log", "--format", "json").stdout)["events"] == []
