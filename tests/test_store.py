"""The event store: append-only triggers, optimistic concurrency, atomic batches, idempotency,
filtered reads, time lookup and the never-decreasing transaction time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import category, line, pending
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.audit.verify import verify_ledger
from ledger.errors import (
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidInput,
    NotFound,
    StoreError,
)
from ledger.storage.records import PendingEvent, StreamWrite, format_time
from ledger.storage.store import EventStore

T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def target(target_id: str, percent: str = "2", **extra: object) -> PendingEvent:
    return pending(
        "TargetSet", target_id=target_id, percent_of_gdp=percent, by_fiscal_year=2027, **extra
    )


class StepClock:
    """A clock that returns the given moments in turn (the last one repeats)."""

    def __init__(self, moments: list[datetime]) -> None:
        self.moments = list(moments)

    def __call__(self) -> datetime:
        return self.moments.pop(0) if len(self.moments) > 1 else self.moments[0]


def _raw(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path, isolation_level=None)


@pytest.fixture
def filled(store: EventStore) -> EventStore:
    store.append_events([category("A"), category("B"), line("L1", "100", "A"), target("t1")])
    return store


# -- append-only ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET payload = '{}' WHERE seq = 1",
        "UPDATE events SET actor_id = 1",
        "DELETE FROM events WHERE seq = 4",
        "DELETE FROM events",
        "UPDATE streams SET name = 'x' WHERE id = 1",
        "DELETE FROM streams",
        "UPDATE event_types SET name = 'x'",
        "DELETE FROM event_types",
        "UPDATE actors SET name = 'mallory'",
        "DELETE FROM actors",
    ],
)
def test_store_append_only__raw_sql_update_and_delete_refused(
    filled: EventStore, db_path: Path, statement: str
) -> None:
    before = [e.envelope() for e in filled.read()]
    with _raw(db_path) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    with pytest.raises(Exception, match="append-only"), filled.engine.begin() as conn:
        conn.execute(text(statement))
    assert [e.envelope() for e in filled.read()] == before
    assert verify_ledger(filled).ok


def test_store_append_only__triggers_exist_for_both_tables(
    filled: EventStore, db_path: Path
) -> None:
    with _raw(db_path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {
        "events_no_update",
        "events_no_delete",
        "streams_no_update",
        "streams_no_delete",
    } <= names


def test_store_settings__wal_and_full_sync(store: EventStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_store_schema__money_has_no_numeric_column(store: EventStore, db_path: Path) -> None:
    with _raw(db_path) as conn:
        types = {r[1]: r[2].upper() for r in conn.execute("PRAGMA table_info(events)")}
    assert types["payload"] == "TEXT"
    assert not any(t in ("NUMERIC", "REAL", "FLOAT", "DECIMAL") for t in types.values())
    store.append_events([category("A"), line("L", "12345678901234567.89", "A")])
    assert store.get(2).payload["amount"] == "12345678901234567.89"
    assert str(store.get(2).model().amount) == "12345678901234567.89"  # type: ignore[attr-defined]


# -- optimistic concurrency and atomic batches ----------------------------------------------------


def test_store_append__wrong_expected_version_conflicts_and_writes_nothing(
    filled: EventStore,
) -> None:
    before = filled.count()
    stream = target("t1").stream
    assert filled.stream_version(stream) == 1
    for wrong in (0, 2, 7):
        with pytest.raises(ConcurrencyConflict, match="expected"):
            filled.append([StreamWrite(stream, wrong, [target("t1", "3")])])
    assert filled.count() == before
    assert filled.stream_version(stream) == 1
    result = filled.append([StreamWrite(stream, 1, [target("t1", "3")])])
    assert [(e.seq, e.stream_version) for e in result.appended] == [(before + 1, 2)]


def test_store_append__batch_all_or_nothing_when_a_later_write_conflicts(
    filled: EventStore,
) -> None:
    before = [e.envelope() for e in filled.read()]
    writes = [
        StreamWrite(target("new1").stream, 0, [target("new1")]),
        StreamWrite(target("new2").stream, 0, [target("new2")]),
        StreamWrite(target("t1").stream, 0, [target("t1", "9")]),  # t1 exists: conflict
    ]
    with pytest.raises(ConcurrencyConflict):
        filled.append(writes)
    assert [e.envelope() for e in filled.read()] == before
    assert filled.stream_names("target/") == ["target/JP/t1"]
    assert verify_ledger(filled).ok


def test_store_append__batch_all_or_nothing_on_duplicate_key(filled: EventStore) -> None:
    filled.append_events([target("k", idempotency_key="key-1")])
    before = filled.count()
    with pytest.raises(DuplicateEvent):
        filled.append_events(
            [target("x1"), target("x2"), target("k", "5", idempotency_key="key-1")]
        )
    assert filled.count() == before
    assert filled.stream_version(target("x1").stream) == 0


def test_store_append__event_on_the_wrong_stream_refused(store: EventStore) -> None:
    with pytest.raises(InvalidInput, match="belongs to stream"):
        store.append([StreamWrite("target/JP/other", None, [target("t1")])])
    assert store.count() == 0


def test_store_append__batch_gets_contiguous_seq_and_versions(store: EventStore) -> None:
    result = store.append(
        [
            StreamWrite(target("a").stream, 0, [target("a", str(i)) for i in range(1, 4)]),
            StreamWrite(target("b").stream, None, [target("b")]),
        ]
    )
    assert [(e.seq, e.stream, e.stream_version) for e in result.appended] == [
        (1, "target/JP/a", 1),
        (2, "target/JP/a", 2),
        (3, "target/JP/a", 3),
        (4, "target/JP/b", 1),
    ]
    assert len({e.recorded_at for e in result.appended}) == 1  # one transaction, one time
    assert [e.envelope() for e in store.read()] == [e.envelope() for e in result.appended]


# -- idempotency ----------------------------------------------------------------------------------


def test_store_idempotency__retry_with_same_key_adds_nothing(store: EventStore) -> None:
    first = store.append_events([target("t", idempotency_key="retry-1")])
    assert len(first.appended) == 1
    again = store.append_events([target("t", idempotency_key="retry-1")])
    assert again.appended == () and again.skipped == 1
    # a retry that states the version it saw the first time is not a conflict either
    stream = target("t").stream
    retried = store.append([StreamWrite(stream, 0, [target("t", idempotency_key="retry-1")])])
    assert retried.appended == () and retried.skipped == 1
    assert store.count() == 1


def test_store_idempotency__key_reused_for_other_content_is_duplicate(store: EventStore) -> None:
    store.append_events([target("t", idempotency_key="k")])
    with pytest.raises(DuplicateEvent, match="different event"):
        store.append_events([target("t", "3", idempotency_key="k")])
    with pytest.raises(DuplicateEvent):
        store.append_events([category("Z", idempotency_key="k")])
    assert store.count() == 1


def test_store_idempotency__provenance_is_kept(store: EventStore) -> None:
    stored = store.append_events(
        [target("t", reason="why", source={"title": "Doc", "url": "https://x.example/a"})]
    ).appended[0]
    again = store.get(stored.seq)
    assert again.reason == "why"
    assert again.source == {
        "title": "Doc",
        "url": "https://x.example/a",
        "page": None,
        "published": None,
        "hypothetical": False,
    }
    assert again.envelope() == stored.envelope()


# -- reads ----------------------------------------------------------------------------------------


@pytest.fixture
def history(db_path: Path) -> Iterator[EventStore]:
    clock = StepClock([T0 + timedelta(minutes=i) for i in range(20)])
    store = EventStore.open(str(db_path), create=True, clock=clock)
    for i in range(10):
        store.append_events([pending("TargetSet", actor=f"actor{i % 3}", target_id=f"t{i % 4}",
                                     percent_of_gdp=str(i + 1), by_fiscal_year=2027)])  # fmt: skip
    store.append_events([category("A"), category("B")])
    yield store
    store.close()


def _seqs(events: object) -> list[int]:
    return [e.seq for e in events]  # type: ignore[attr-defined]


def test_store_read__by_seq_range(history: EventStore) -> None:
    assert _seqs(history.read()) == list(range(1, 13))
    assert _seqs(history.read(start=3, stop=5)) == [3, 4, 5]
    assert _seqs(history.read(start=12)) == [12]
    assert _seqs(history.read(start=13)) == []
    assert _seqs(history.read(stop=0)) == []


def test_store_read__by_stream_and_prefix(history: EventStore) -> None:
    assert _seqs(history.read(stream="target/JP/t1")) == [2, 6, 10]
    assert [e.stream_version for e in history.read(stream="target/JP/t1")] == [1, 2, 3]
    assert _seqs(history.read(stream_prefix="category/")) == [11, 12]
    assert _seqs(history.read(stream_prefix="target/JP/t1")) == [2, 6, 10]
    assert _seqs(history.read(stream="target/JP/%")) == []
    assert _seqs(history.read(stream_prefix="target/JP/_")) == []


def test_store_read__by_type_and_actor(history: EventStore) -> None:
    assert _seqs(history.read(types=["CategoryDefined"])) == [11, 12]
    assert len(list(history.read(types=["TargetSet", "CategoryDefined"]))) == 12
    assert _seqs(history.read(actor="actor1")) == [2, 5, 8]
    assert _seqs(history.read(actor="actor1", stream="target/JP/t1")) == [2]
    assert _seqs(history.read(actor="' OR 1=1 --")) == []


def test_store_read__by_time(history: EventStore) -> None:
    at = [e.recorded_at for e in history.read()]
    assert at[0] == "2025-04-01T09:00:00.000000Z"
    assert _seqs(history.read(since=at[3], until=at[5])) == [4, 5, 6]
    assert _seqs(history.read(until=format_time(T0 - timedelta(seconds=1)))) == []
    assert _seqs(history.read(since=at[-1])) == [11, 12]  # one batch, one time


def test_store_read__streams_in_pages(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import ledger.storage.store as store_module

    monkeypatch.setattr(store_module, "READ_BATCH", 3)
    store.append_events([target(f"p{i}") for i in range(10)])
    assert _seqs(store.read()) == list(range(1, 11))
    assert _seqs(store.read(start=4, stop=9)) == list(range(4, 10))
    assert _seqs(store.read(types=["TargetSet"], start=2)) == list(range(2, 11))


def test_store_get__and_head_and_missing(history: EventStore) -> None:
    head = history.head()
    assert head is not None and head.seq == 12
    assert history.get(12).hash == head.hash
    with pytest.raises(NotFound, match="seq 13"):
        history.get(13)
    stored = history.get(5)
    assert history.seq_of_event_id(stored.event_id) == 5
    with pytest.raises(InvalidInput):
        history.seq_of_event_id("not-a-uuid")


def test_store_head__empty_ledger(store: EventStore) -> None:
    assert store.head() is None
    assert store.count() == 0
    assert list(store.read()) == []
    assert store.seq_at_time("2999-01-01T00:00:00.000000Z") == 0


# -- time -----------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.integers(-120, 120), min_size=1, max_size=25), probes=st.data())
def test_store_seq_at_time__binary_search_matches_a_scan(
    tmp_path_factory: pytest.TempPathFactory, steps: list[int], probes: st.DataObject
) -> None:
    moments, now = [], T0
    for step in steps:  # the clock jumps back and forth by whole seconds
        now += timedelta(seconds=step)
        moments.append(now)
    path = tmp_path_factory.mktemp("seq") / "ledger.db"
    with EventStore.open(str(path), create=True, clock=StepClock(moments)) as store:
        for i in range(len(steps)):
            store.append_events([target(f"t{i}")])
        rows = [(e.seq, e.recorded_at) for e in store.read()]
        candidates = [at for _, at in rows] + [
            format_time(T0 + timedelta(seconds=s)) for s in range(-3000, 3000, 250)
        ]
        for moment in probes.draw(st.lists(st.sampled_from(candidates), max_size=10)):
            expected = max((seq for seq, at in rows if at <= moment), default=0)
            assert store.seq_at_time(moment) == expected


def test_store_recorded_at__never_decreases_when_clock_goes_back_an_hour(db_path: Path) -> None:
    moments = [T0, T0 - timedelta(hours=1), T0 - timedelta(minutes=30), T0 + timedelta(seconds=1)]
    with EventStore.open(str(db_path), create=True, clock=StepClock(moments)) as store:
        for i in range(4):
            store.append_events([target(f"t{i}")])
        times = [e.recorded_at for e in store.read()]
        assert times == sorted(times)
        assert times[:3] == [format_time(T0)] * 3
        assert times[3] == format_time(T0 + timedelta(seconds=1))
        assert _seqs(store.read()) == [1, 2, 3, 4]
        assert verify_ledger(store).ok
        assert store.seq_at_time(format_time(T0)) == 3


def test_store_recorded_at__utc_with_microseconds(db_path: Path) -> None:
    tokyo = datetime(2025, 4, 1, 18, 0, 0, 5, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Tokyo")
    )
    with EventStore.open(str(db_path), create=True, clock=lambda: tokyo) as store:
        assert store.append_events([target("t")]).appended[0].recorded_at == (
            "2025-04-01T18:00:00.000005Z"
        )


def test_store_open__missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="defledger init"):
        EventStore.open(str(tmp_path / "absent.db"))
    assert not (tmp_path / "absent.db").exists()


def test_store_old_schema__one_clear_line(tmp_path: Path) -> None:
    """A ledger from the development schema (type, actor and prev_hash columns, no name tables)
    is refused with a line that says what to do, not a driver message."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE streams (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    conn.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id BLOB, stream_id INTEGER,"
        " stream_version INTEGER, type TEXT, schema_version INTEGER, payload TEXT,"
        " recorded_at TEXT, actor TEXT, reason TEXT, source TEXT, idempotency_key TEXT,"
        " prev_hash BLOB, hash BLOB)"
    )
    conn.close()
    with EventStore.open(str(path)) as store:
        with pytest.raises(StoreError, match="development version") as raised:
            list(store.read())
        assert "\n" not in str(raised.value)


def test_store_names__an_actor_added_by_a_rolled_back_append_is_not_remembered(
    store: EventStore,
) -> None:
    """The store caches type and actor ids; one inserted by a transaction that then rolls back
    must not be used by the next append (its row is gone)."""
    store.append_events([category("A")])
    conflict = StreamWrite(
        "category/B", 5, [pending("CategoryDefined", actor="new", code="B", name="B")]
    )
    with pytest.raises(ConcurrencyConflict):
        store.append([conflict])
    stored = store.append_events([pending("CategoryDefined", actor="new", code="C", name="C")])
    assert [e.actor for e in stored.appended] == ["new"]
    assert [e.actor for e in store.read()] == ["tester", "new"]
    assert verify_ledger(store).ok


@pytest.mark.parametrize("fails", [False, True])
def test_store_with__closes_the_store_however_the_block_ends(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    closed: list[EventStore] = []
    original = EventStore.close
    monkeypatch.setattr(EventStore, "close", lambda self: closed.append(self) or original(self))
    with pytest.raises(RuntimeError) if fails else nullcontext():  # the error passes through
        with EventStore.open(str(db_path), create=True) as store:
            store.append_events([category("A")])
            if fails:
                raise RuntimeError("in the block")
    assert closed == [store]
    with EventStore.open(str(db_path)) as again:  # what the block appended is there
        assert again.count() == 1
