"""What ``totals`` asks of a SQLite ledger is answered through indexes: no statement walks the
events table (a scan, or a range of seqs open at the bottom), so a warm ``totals`` costs the
same on a ledger of any size. Checked on SQLite's own query plans, not on timings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from ledger.queries.totals import TotalsRequest, totals_table
from ledger.storage.store import EventStore


def _walks_events(detail: str) -> bool:
    """A plan step that reads the events table other than by key: a scan, or a search of the
    primary key bounded only above (every seq up to it)."""
    words = detail.split()
    if len(words) < 2 or words[1] not in ("e", "events", "p"):
        return False
    return words[0] == "SCAN" or detail.endswith("(rowid<?)")


def _statements(store: EventStore, ask: Callable[[], object]) -> list[str]:
    """The SELECT statements ``ask()`` sends through the store's (pooled) connection."""
    seen: list[str] = []
    raw = store.raw_connection()
    connection: sqlite3.Connection = raw.driver_connection
    connection.set_trace_callback(seen.append)
    raw.close()  # back to the pool: the next read takes this connection
    try:
        ask()
    finally:
        connection.set_trace_callback(None)
    return [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]


def test_warm_totals_reads_no_range_of_events(cli: Callable[..., Result], db_path: Path) -> None:
    assert cli("demo").exit_code == 0
    with EventStore.open(str(db_path)) as store:
        request = TotalsRequest(years="FY2025")
        totals_table(store, request)  # catches the projections up
        statements = _statements(store, lambda: totals_table(store, request))
        assert any("FROM streams s CROSS JOIN events e" in sql for sql in statements)
        walking = {}
        with sqlite3.connect(db_path) as check:
            for sql in statements:
                if sql.rstrip().endswith("LIMIT 1"):  # the head: the last row of the key
                    continue
                plan = [row[3] for row in check.execute(f"EXPLAIN QUERY PLAN {sql}")]
                if any(_walks_events(step) for step in plan):
                    walking[sql] = plan
        assert walking == {}


def test_the_check_sees_a_walk_of_the_events() -> None:
    """The plan of the query as it was (events joined first) is what the test refuses."""
    assert _walks_events("SEARCH e USING INTEGER PRIMARY KEY (rowid<?)")
    assert _walks_events("SCAN events")
    assert not _walks_events("SEARCH e USING INDEX sqlite_autoindex_events_1 (stream_id=?)")
    assert not _walks_events("SEARCH events USING INTEGER PRIMARY KEY (rowid=?)")
    assert not _walks_events("SCAN proj_sums")
