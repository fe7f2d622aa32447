"""Faults: a process killed with SIGKILL in the middle of a batch import, and a full disk.
Afterwards the ledger holds the whole batch or none of it, SQLite's integrity check passes, the
chain verifies, and the next write works."""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import os
import random
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import category, line, workers

import ledger.storage.sqlite_pool
from ledger.audit.verify import verify_ledger
from ledger.errors import StorageFull
from ledger.intake.importers import import_text
from ledger.storage.store import EventStore

TRIALS = 20
BATCH = 2000
AHEAD = 3  # children started ahead of their trial
# Children are forked from a fork server that has the ledger imported already: a fresh process
# without inherited threads or connections, started in milliseconds instead of a second.
CHILDREN = multiprocessing.get_context("forkserver")
CHILDREN.set_forkserver_preload(
    ["workers", "ledger.intake.importers", "ledger.intake.rules", "ledger.storage.store"]
)


def lines_csv(tag: str, count: int, category_code: str = "A") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["fiscal_year", "line_id", "agency", "program", "category", "amount", "stage"])
    for i in range(count):
        writer.writerow(
            [2025, f"{tag}-{i}", "MoD", f"program {i}", category_code, f"{i}.25", "initial"]
        )
    return buffer.getvalue()


def integrity_ok(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_crash__kill_9_mid_import_20_trials_all_or_nothing(db_path: Path) -> None:
    store = EventStore.open(str(db_path), create=True)
    store.append_events([category("A")])
    rng = random.Random(20250416)
    texts = [lines_csv(f"T{trial}", BATCH) for trial in range(TRIALS)]
    children: list[tuple[Any, Any, Any]] = []

    def start(trial: int) -> None:
        ready, go = CHILDREN.Event(), CHILDREN.Event()
        process = CHILDREN.Process(
            target=workers.batch_importer, args=(str(db_path), texts[trial], ready, go)
        )
        process.start()
        children.append((process, ready, go))

    outcomes: Counter[str] = Counter()
    reimported = set()
    try:
        for trial in range(min(AHEAD, TRIALS)):
            start(trial)
        for trial in range(TRIALS):
            process, ready, go = children[trial]
            assert ready.wait(60), "the child never got ready"
            before = store.count()
            go.set()
            delay = rng.uniform(0, 0.150)
            process.join(timeout=delay)
            with contextlib.suppress(ProcessLookupError):  # it may finish as we aim
                os.kill(process.pid, signal.SIGKILL)
            process.join(timeout=30)
            if trial + AHEAD < TRIALS:
                start(trial + AHEAD)

            after = store.count()
            assert after in (before, before + BATCH), f"trial {trial}: {after - before} of {BATCH}"
            outcome = "committed" if after == before + BATCH else "nothing"
            outcomes[outcome] += 1
            integrity_ok(db_path)
            assert [e.seq for e in store.read(start=before)] == list(range(before, after + 1))

            if outcome not in reimported:  # re-running the same import completes it, exactly
                reimported.add(outcome)
                report = import_text(store, texts[trial], actor="crash-test")
                assert report.appended == (BATCH if outcome == "nothing" else 0)
                assert store.count() == before + BATCH
        print(f"\nkill -9 outcomes over {TRIALS} trials: {dict(outcomes)}")
        assert sum(outcomes.values()) == TRIALS
        report = verify_ledger(store)
        assert report.ok, report.problems[:3]
        store.append_events([line("after-the-crashes", "1", "A")])
        assert verify_ledger(store).ok
    finally:
        for process, _, _ in children:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)
        store.close()


# -- disk full ----------------------------------------------------------------------------------


def page_limit(db_path: Path, extra_pages: int = 2) -> int:
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(conn.execute("PRAGMA page_count").fetchone()[0]) + extra_pages
    finally:
        conn.close()


def limit_pages(monkeypatch: pytest.MonkeyPatch, pages: int) -> None:
    """Make every new connection to a SQLite ledger (``ledger.storage.sqlite_pool``) refuse to
    grow the file beyond ``pages``."""
    configure = ledger.storage.sqlite_pool.configure_sqlite

    def limited(dbapi_connection: Any, record: Any, **options: Any) -> None:
        configure(dbapi_connection, record, **options)
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(ledger.storage.sqlite_pool, "configure_sqlite", limited)


@pytest.mark.slow  # a fault: fills the disk with 5,000-line imports
def test_disk_full__storage_full_nothing_partial_then_recovers(
    store: EventStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.append_events([category("A"), line("before", "1", "A")])
    before = [e.envelope() for e in store.read()]
    limit_pages(monkeypatch, page_limit(db_path))
    store.close()  # pooled connections predate the limit: drop them
    with pytest.raises(StorageFull, match="full; nothing of this write was stored"):
        import_text(store, lines_csv("big", 5000), actor="tester")
    assert [e.envelope() for e in store.read()] == before
    assert verify_ledger(store).ok
    integrity_ok(db_path)
    with pytest.raises(StorageFull):  # still full: still nothing
        store.append_events([line(f"x{i}", "1", "A") for i in range(3000)])
    assert store.count() == 2

    monkeypatch.undo()  # the disk gets space again
    store.close()
    store.append_events([line("small", "2", "A")])
    assert store.count() == 3
    assert import_text(store, lines_csv("big", 5000), actor="tester").appended == 5000
    assert verify_ledger(store).ok


@pytest.mark.slow  # a fault: fills the disk with 5,000-line imports
def test_disk_full__cli_one_line_exit_1(
    store: EventStore,
    db_path: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.append_events([category("A")])
    limit_pages(monkeypatch, page_limit(db_path))
    big = tmp_path / "lines.csv"
    big.write_text(lines_csv("big", 5000))
    result = cli("import", str(big))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the database or disk is full; nothing of this write was stored\n"
    )
    assert store.count() == 1
    assert verify_ledger(store).ok
    monkeypatch.undo()
    again = cli("import", str(big))
    assert again.exit_code == 0, again.stderr
    assert store.count() == 5001
