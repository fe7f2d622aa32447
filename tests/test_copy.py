"""``ledger.audit.replicate``: a ledger copied to another database (SQLite → PostgreSQL → SQLite)
keeps
every stored byte, so its chain, head hash and Merkle root are the source's; non-empty targets
are refused; an interrupted copy can be resumed; a tampered source does not verify as a copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest
from helpers import category, line, pending
from sqlalchemy import text

from ledger.audit.merkle import leaf_hash, root_from_leaf_hashes
from ledger.audit.replicate import check_copied, copy_ledger
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.intake.importers import import_text
from ledger.storage.meta import ensure_meta, ledger_id
from ledger.storage.store import EventStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.jsonl"


class StepClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1, microseconds=7)
        return self.now


def _fill(store: EventStore) -> None:
    """A ledger with every envelope field exercised: sources, reasons, keys, unicode, revisions."""
    import_text(store, EXAMPLE.read_text(encoding="utf-8"), actor="importer")
    store.append_events(
        [
            category("JP.REL.SPACE", name="宇宙関係経費 — space", description="“half” counts"),
            line("SPACE-1", "123456789.0123", "JP.REL.SPACE", reason="補正予算\nline two",
                 source={"title": "防衛白書", "url": "https://example.org/a?b=1", "page": "22"}),
            pending("TargetSet", target_id="nato", percent_of_gdp="3.5", by_fiscal_year=2035,
                    idempotency_key="target-nato-3.5", actor="監査院"),
        ]
    )  # fmt: skip
    for i in range(7):
        store.append_events([line(f"L{i}", str(i + 1), "JP.REL.SPACE")])


@pytest.fixture
def source(tmp_path: Path) -> Iterator[EventStore]:
    store = EventStore.open(str(tmp_path / "source.db"), create=True, clock=StepClock())
    _fill(store)
    yield store
    store.close()


def _rows(store: EventStore) -> list[tuple[object, ...]]:
    return [tuple(row) for row in store.read_chain()]


def _merkle_root(store: EventStore) -> bytes:
    return root_from_leaf_hashes(leaf_hash(row.hash) for row in store.read_chain())


def test_copy__to_each_backend_is_byte_for_byte(source: EventStore, backend_url: str) -> None:
    with EventStore.open(backend_url, create=True) as target:
        report = copy_ledger(source, target)
        assert report.ok
        check_copied(report)
        assert report.copied == source.count() > 10
        assert report.target_head_hash == source.head().hash  # type: ignore[union-attr]
        assert _rows(target) == _rows(source)
        assert [e.envelope() for e in target.read()] == [e.envelope() for e in source.read()]
        assert _merkle_root(target) == _merkle_root(source)
        assert target.stream_names("") == source.stream_names("")


def test_copy__sqlite_to_postgresql_and_back(
    source: EventStore, pg_url: str, tmp_path: Path
) -> None:
    on_pg = EventStore.open(pg_url, create=True)
    back = EventStore.open(str(tmp_path / "back.db"), create=True)
    try:
        there = copy_ledger(source, on_pg, batch_size=4)  # several transactions
        assert there.ok and there.verify.checked == source.count()
        again = copy_ledger(on_pg, back)
        assert again.ok
        assert again.target_head_hash == there.target_head_hash == source.head().hash  # type: ignore[union-attr]
        assert _rows(back) == _rows(on_pg) == _rows(source)
        # The copy is a working ledger: it appends after the copied chain.
        appended = back.append_events([category("JP.NEW")]).appended[0]
        assert appended.seq == source.count() + 1
        assert appended.prev_hash == source.head().hash  # type: ignore[union-attr]
    finally:
        on_pg.close()
        back.close()


def test_copy__non_empty_target_refused_and_untouched(source: EventStore, backend_url: str) -> None:
    with EventStore.open(backend_url, create=True) as target:
        target.append_events([category("OTHER")])
        before = _rows(target)
        with pytest.raises(InvalidInput, match="already holds 1 events"):
            copy_ledger(source, target)
        assert _rows(target) == before


def test_copy__resume_finishes_an_interrupted_copy(source: EventStore, backend_url: str) -> None:
    with EventStore.open(backend_url, create=True) as target:
        assert target.copy_rows(islice(source.read_chain(), 5)) == 5
        report = copy_ledger(source, target, resume=True, batch_size=3)
        assert report.ok
        assert (report.resumed_after, report.copied) == (5, source.count() - 5)
        assert _rows(target) == _rows(source)


def test_copy__resume_refuses_a_target_that_is_not_a_prefix(
    source: EventStore, backend_url: str
) -> None:
    with EventStore.open(backend_url, create=True) as target:
        target.append_events([category("OTHER")])
        with pytest.raises(InvalidInput, match="not an interrupted copy"):
            copy_ledger(source, target, resume=True)
        assert target.count() == 1


def test_copy_rows__must_continue_the_head(source: EventStore, backend_store: EventStore) -> None:
    rows = list(source.read_chain())
    with pytest.raises(InvalidInput, match="cannot copy seq 2 into a ledger that is empty"):
        backend_store.copy_rows(rows[1:])
    forged = rows[0]._replace(prev_hash=b"\x01" * 32)
    with pytest.raises(IntegrityFailure, match="prev_hash"):
        backend_store.copy_rows([forged])
    assert backend_store.count() == 0
    backend_store.copy_rows(rows[:3])
    with pytest.raises(InvalidInput, match="ends at seq 3"):
        backend_store.copy_rows(rows[:3])
    assert backend_store.count() == 3


def test_copy__tampered_source_is_copied_faithfully_and_fails_verification(
    source: EventStore, backend_url: str
) -> None:
    with source.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER events_no_update"))
        conn.execute(text("UPDATE events SET reason = 'mallory' WHERE seq = 4"))
    with EventStore.open(backend_url, create=True) as target:
        report = copy_ledger(source, target)
        assert not report.ok
        assert report.verify.first_bad_seq == 4
        with pytest.raises(IntegrityFailure, match="seq 4"):
            check_copied(report)
        assert target.get(4).reason == "mallory"  # the copy hides nothing


def test_copy__empty_source_gives_an_empty_verified_target(
    tmp_path: Path, backend_url: str
) -> None:
    with (
        EventStore.open(str(tmp_path / "empty.db"), create=True) as empty,
        EventStore.open(backend_url, create=True) as target,
    ):
        report = copy_ledger(empty, target)
        assert report.ok and report.copied == 0 and target.head() is None


def test_copy__carries_the_ledger_id(source: EventStore, backend_url: str) -> None:
    source_id = ledger_id(source)
    with EventStore.open(backend_url, create=True) as target:
        assert copy_ledger(source, target).ok
        assert ledger_id(target) == source_id


def test_copy__target_with_another_ledger_id_refused(source: EventStore, backend_url: str) -> None:
    ledger_id(source)
    with EventStore.open(backend_url, create=True) as target:
        ensure_meta(target, "ledger_id", "00000000-0000-0000-0000-000000000000")
        with pytest.raises(InvalidInput, match="ledger_meta ledger_id"):
            copy_ledger(source, target)
        assert target.count() == 0
