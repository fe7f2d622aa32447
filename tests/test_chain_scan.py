"""The parallel chain check (``ledger.audit.scan``) gives exactly the problems of one pass:
edits inside each range and at the range boundary are named at their seq, in seq order."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import category, line

from ledger.audit import scan as chain_scan
from ledger.audit.verify import verify_ledger
from ledger.storage.chain import MAX_PROBLEMS, check_chain
from ledger.storage.store import EventStore

N = 120


@pytest.fixture
def ledger(store: EventStore) -> EventStore:
    """120 events: 2 categories, then 118 budget lines."""
    store.append_events([category("A"), category("B")])
    store.append_events([line(f"L{k}", str(k), "A") for k in range(3, N + 1)])
    assert store.count() == N
    return store


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the parallel path (two ranges) whatever the machine."""
    monkeypatch.setattr(chain_scan, "PARALLEL_MIN_EVENTS", 10)
    monkeypatch.setattr(chain_scan, "default_workers", lambda: 2)


def _tamper(db_path: Path, *statements: str) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def _one_pass(store: EventStore) -> list[tuple[int, str, str]]:
    return [(p.seq, p.kind, p.message) for p in check_chain(store.read_chain())]


def test_chain_scan_bounds__cover_every_seq_once() -> None:
    assert chain_scan.chunk_bounds(120, 2) == [(1, 60), (61, None)]
    assert chain_scan.chunk_bounds(7, 3) == [(1, 3), (4, 6), (7, None)]


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__clean_ledger_ok(ledger: EventStore, parallel: None) -> None:
    report = verify_ledger(ledger)
    assert report.ok and report.checked == N


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__worker_checks_its_range_from_any_folder(
    ledger: EventStore,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker (started without ``site``) runs and reports its range's problems: this
    process checks only its own range, which it would check again if the worker failed."""
    _tamper(db_path, "UPDATE events SET payload = '{}' WHERE seq = 100")
    checked_here: list[tuple[int, int | None]] = []
    in_process = chain_scan.verify_range

    def counted(path: str, start: int, stop: int | None, limit: int = MAX_PROBLEMS) -> list[Any]:
        checked_here.append((start, stop))
        return in_process(path, start, stop, limit)

    monkeypatch.setattr(chain_scan, "verify_range", counted)
    monkeypatch.chdir(tmp_path)
    problems = chain_scan.parallel_problems(str(db_path), N, workers=2)
    assert checked_here == [(1, 60)]
    assert [(p.seq, p.kind) for p in problems] == [(100, "hash-mismatch")]


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__edit_in_each_range_and_at_boundary(
    ledger: EventStore, db_path: Path, parallel: None
) -> None:
    # ranges are 1..60 and 61..: edit 20 (first range), 60 and 61 (the boundary), 100 (second)
    _tamper(
        db_path,
        *(
            f"UPDATE events SET reason = 'edited' WHERE seq = {seq}"  # noqa: S608
            for seq in (20, 60, 61, 100)
        ),
    )
    report = verify_ledger(ledger)
    expected = _one_pass(ledger)
    assert [p.seq for p in report.problems] == [20, 60, 61, 100]
    assert [(p.seq, p.kind, p.message) for p in report.problems] == expected
    assert all(p.kind == "hash-mismatch" for p in report.problems)


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__broken_link_across_boundary(
    ledger: EventStore, db_path: Path, parallel: None
) -> None:
    # seq 60 (the first range's last row) gets a new hash: seq 61, the second range's first row,
    # is still chained to the original, which only the row before the range can tell
    _tamper(db_path, "UPDATE events SET hash = zeroblob(32) WHERE seq = 60")
    report = verify_ledger(ledger)
    assert [(p.seq, p.kind) for p in report.problems] == [
        (60, "hash-mismatch"),
        (61, "broken-link"),
    ]
    assert [(p.seq, p.kind, p.message) for p in report.problems] == _one_pass(ledger)


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__deleted_boundary_row_is_a_gap(
    ledger: EventStore, db_path: Path, parallel: None
) -> None:
    _tamper(db_path, "DELETE FROM events WHERE seq = 60")
    report = verify_ledger(ledger)
    kinds = [(p.seq, p.kind) for p in report.problems if p.kind != "stream-version-gap"]
    assert kinds == [(60, "seq-gap"), (61, "broken-link")]
    assert report.problems[0].message == "seq 60 is missing"
    assert [(p.seq, p.kind, p.message) for p in report.problems][:2] == _one_pass(ledger)


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__cap_kept_in_seq_order(
    ledger: EventStore, db_path: Path, parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chain_scan, "MAX_PROBLEMS", 8)
    _tamper(db_path, "UPDATE events SET reason = 'edited' WHERE seq % 10 = 0")
    problems = chain_scan.parallel_problems(str(db_path), N, workers=2)
    assert [p.seq for p in problems] == [10, 20, 30, 40, 50, 60, 70, 80]  # both ranges, capped
    assert MAX_PROBLEMS == 100


def test_chain_scan_check_rows__same_as_check_chain(ledger: EventStore, db_path: Path) -> None:
    _tamper(db_path, "UPDATE events SET payload = '{}' WHERE seq = 7")
    found = chain_scan.check_rows(ledger.chain_pages())
    assert [(p.seq, p.kind, p.message) for p in found] == _one_pass(ledger)
    assert [p.seq for p in found] == [7]


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__time_regression_carried_across_the_boundary(
    ledger: EventStore, db_path: Path, parallel: None
) -> None:
    """Seq 60 (the first range's last row) moved a year later: seq 61, the second range's first
    row, is then earlier than the row before it, which only the time carried over can tell."""
    _tamper(db_path, "UPDATE events SET recorded_at = recorded_at + 31536000000000 WHERE seq = 60")
    report = verify_ledger(ledger)
    assert [(p.seq, p.kind) for p in report.problems] == [
        (60, "hash-mismatch"),
        (61, "time-regression"),
    ]
    assert report.problems[1].message.startswith("seq 61: recorded_at ")
    assert "is earlier than" in report.problems[1].message
    assert [(p.seq, p.kind, p.message) for p in report.problems] == _one_pass(ledger)


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__non_canonical_in_each_range(
    ledger: EventStore, db_path: Path, parallel: None
) -> None:
    _tamper(
        db_path,
        *(
            f"UPDATE events SET payload = replace(payload, ',', ', ') WHERE seq = {seq}"  # noqa: S608
            for seq in (20, 61)
        ),
        'UPDATE events SET source = \'{"title":"x","title":"y"}\' WHERE seq = 100',
    )
    report = verify_ledger(ledger)
    assert [(p.seq, p.kind) for p in report.problems] == [
        (20, "non-canonical"),
        (20, "hash-mismatch"),
        (61, "non-canonical"),
        (61, "hash-mismatch"),
        (100, "non-canonical"),
        (100, "hash-mismatch"),
    ]
    assert report.problems[4].message == 'seq 100: the stored source has the key "title" twice'
    assert [(p.seq, p.kind, p.message) for p in report.problems] == _one_pass(ledger)


@pytest.mark.slow  # worker processes
def test_chain_scan_parallel__gap_across_the_boundary_named_once(
    ledger: EventStore, db_path: Path, parallel: None
) -> None:
    _tamper(db_path, "DELETE FROM events WHERE seq BETWEEN 58 AND 63")
    report = verify_ledger(ledger)
    assert [(p.seq, p.kind, p.message) for p in report.problems] == [
        (58, "seq-gap", "seqs 58..63 are missing"),
        (
            64,
            "broken-link",
            "seq 64: not chained to the hash of seq 57, the event stored before it",
        ),
    ]
    assert [(p.seq, p.kind, p.message) for p in report.problems] == _one_pass(ledger)


def test_chain_scan_one_pass__source_null_text_is_not_a_null_source(
    ledger: EventStore, db_path: Path
) -> None:
    """A source is an object or SQL NULL; the text 'null' hashes like NULL but is neither."""
    _tamper(db_path, "UPDATE events SET source = 'null' WHERE seq = 5")
    found = chain_scan.check_rows(ledger.chain_pages())
    assert [(p.seq, p.kind, p.message) for p in found] == [
        (5, "non-canonical", "seq 5: the stored source is not a JSON object")
    ]
    assert [(p.seq, p.kind, p.message) for p in found] == _one_pass(ledger)


def test_chain_scan_sources__remembered_ones_are_only_canonical_and_bounded(
    store: EventStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan remembers canonical sources (a ledger cites a few many times) in a bounded set:
    a non-canonical source is never remembered, so it is named wherever it appears, and
    clearing the set when full changes nothing."""
    monkeypatch.setattr(chain_scan, "KNOWN_SOURCES", 2)
    sources = [{"title": f"Budget book {k % 3}", "url": "https://www.mof.go.jp/"} for k in range(9)]
    store.append_events([line(f"L{k}", "1", source=s) for k, s in enumerate(sources)])
    assert chain_scan.check_rows(store.chain_pages()) == []
    _tamper(db_path, "UPDATE events SET source = replace(source, '\":\"', '\": \"') WHERE seq = 7")
    found = chain_scan.check_rows(store.chain_pages())
    assert [(p.seq, p.kind) for p in found] == [(7, "non-canonical"), (7, "hash-mismatch")]
    assert [(p.seq, p.kind, p.message) for p in found] == _one_pass(store)
