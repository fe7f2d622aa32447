"""Concurrent writers and a tailing reader, on both backends (issue 7; reliability.md §1.2, A7,
A19): 8 processes × 1,000 appends leave a contiguous seq with no duplicates and a verifying chain;
an expected-version race has exactly one winner per round; a reader tailing ``seq > last_seen``
while writers commit (one of them holding the append lock and sleeping) never skips an event;
and, deterministically, an append inserted but not yet committed makes later appends wait.

The appends/s of the 8-writer test are printed (``-s`` shows them); nothing asserts a time.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import category, pending

from ledger.audit.verify import verify_ledger
from ledger.errors import ConcurrencyConflict
from ledger.storage.records import StreamWrite, utc_now
from ledger.storage.store import EventStore

pytestmark = pytest.mark.slow

WRITERS = 8
# SQLite fsyncs every commit (synchronous=FULL): fewer there to keep the suite fast.
# DEFLEDGER_TEST_APPENDS=1000 runs the full 8 x 1,000 on both, to compare the rates.
APPENDS = {"postgresql": 1000, "sqlite": int(os.environ.get("DEFLEDGER_TEST_APPENDS", 250))}
RACE_ROUNDS = 15
_barrier: Any = None


def _init(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes forked with a shared barrier (fork: they inherit the test's imports)."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers, timeout=120)  # a failed worker breaks it, no hang
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(barrier,))


def _append_many(url: str, worker: int, count: int) -> tuple[float, float]:
    """Append ``count`` events to this worker's own stream, one transaction each, stating the
    expected version every time; return (start, end) on the shared monotonic clock."""
    store = EventStore.open(url)
    stream = f"category/W{worker}"
    _barrier.wait()
    start = time.perf_counter()
    for version in range(count):
        event = category(f"W{worker}", name=f"n{version}")
        store.append([StreamWrite(stream, version, [event])])
    end = time.perf_counter()
    store.close()
    return start, end


def test_concurrency__8_writers_contiguous_seq_and_chain(backend: str, backend_url: str) -> None:
    EventStore.open(backend_url, create=True).close()
    count = APPENDS[backend]
    with _pool(WRITERS) as pool:
        futures = [pool.submit(_append_many, backend_url, w, count) for w in range(WRITERS)]
        spans = [f.result(timeout=600) for f in futures]
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    total = WRITERS * count
    print(f"\n[{backend}] {WRITERS} writers x {count} appends: {total / elapsed:,.0f} appends/s")

    with EventStore.open(backend_url) as store:
        events = list(store.read())
        assert [e.seq for e in events] == list(range(1, total + 1))
        assert len({e.event_id for e in events}) == total
        for worker in range(WRITERS):
            versions = [e.stream_version for e in events if e.stream == f"category/W{worker}"]
            assert versions == list(range(1, count + 1))
        report = verify_ledger(store)
        assert report.ok, report.problems[:3]
        assert report.checked == total


def _race(url: str, rounds: int) -> list[bool]:
    """Each round: wait for everyone, then append at the version read before the barrier."""
    store = EventStore.open(url)
    won = []
    for round_ in range(rounds):
        seen = store.stream_version("target/JP/race")
        _barrier.wait()
        event = pending("TargetSet", target_id="race", percent_of_gdp="2", by_fiscal_year=2027,
                        actor=f"p{os.getpid()}", reason=f"round {round_}")  # fmt: skip
        try:
            store.append([StreamWrite("target/JP/race", seen, [event])])
            won.append(True)
        except ConcurrencyConflict:
            won.append(False)
        _barrier.wait()  # everyone has tried before the next round reads the version
    store.close()
    return won


def test_concurrency__expected_version_race_has_one_winner_per_round(backend_url: str) -> None:
    EventStore.open(backend_url, create=True).close()
    racers = 4
    with _pool(racers) as pool:
        futures = [pool.submit(_race, backend_url, RACE_ROUNDS) for _ in range(racers)]
        outcomes = [f.result(timeout=300) for f in futures]
    assert [sum(o[r] for o in outcomes) for r in range(RACE_ROUNDS)] == [1] * RACE_ROUNDS
    with EventStore.open(backend_url) as store:
        assert [e.stream_version for e in store.read()] == list(range(1, RACE_ROUNDS + 1))
        assert verify_ledger(store).ok


def _tail_writer(url: str, worker: int, count: int, slow: bool) -> int:
    """Append ``count`` events; the slow writer's clock sleeps, and the store reads the clock
    while it holds the append lock, so the others queue behind an open transaction."""

    def sleepy_clock() -> datetime:
        time.sleep(0.02)
        return utc_now()

    store = EventStore.open(url, clock=sleepy_clock if slow else utc_now)
    _barrier.wait()
    for i in range(count):
        store.append_events([category(f"T{worker}", name=f"n{i}")])
    store.close()
    return count


def test_concurrency__tailing_reader_never_skips(backend_url: str) -> None:
    EventStore.open(backend_url, create=True).close()
    plan = [(0, 40, True), (1, 120, False), (2, 120, False), (3, 120, False)]
    total = sum(count for _, count, _ in plan)
    reader = EventStore.open(backend_url)
    seen: list[tuple[int, str]] = []
    try:
        with _pool(len(plan)) as pool:
            futures = [pool.submit(_tail_writer, backend_url, *args) for args in plan]
            last = 0
            while len(seen) < total:
                for event in reader.read(start=last + 1):
                    assert event.seq == last + 1, f"the reader skipped from {last} to {event.seq}"
                    seen.append((event.seq, event.event_id))
                    last = event.seq
                if all(f.done() for f in futures) and reader.count() == len(seen):
                    break
            assert sum(f.result(timeout=300) for f in futures) == total
        final = [(e.seq, e.event_id) for e in reader.read()]
        assert seen == final
        assert len(final) == total
    finally:
        reader.close()


def test_concurrency__uncommitted_append_blocks_later_ones_reader_sees_no_gap(
    backend_url: str,
) -> None:
    """Two connections, deterministic: A has inserted seq 2 but not committed; B's append must
    wait (it cannot take seq 3 and commit first), and a reader sees neither until A commits."""
    base = EventStore.open(backend_url, create=True)
    base.append_events([category("BASE")])
    inside, release = threading.Event(), threading.Event()
    slow, fast = EventStore.open(backend_url), EventStore.open(backend_url)

    def insert_then_hold(cur: Any, writes: Any) -> Any:
        result = EventStore._append_locked(slow, cur, writes)
        inside.set()
        assert release.wait(timeout=60)
        return result

    slow._append_locked = insert_then_hold  # type: ignore[method-assign]
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(slow.append_events, [category("A")])
            assert inside.wait(timeout=60)
            second = pool.submit(fast.append_events, [category("B")])
            time.sleep(0.3)  # B has had every chance to jump ahead
            assert not second.done()
            assert [e.seq for e in base.read(start=2)] == []
            release.set()
            a_seq = first.result(timeout=60).appended[0].seq
            b_seq = second.result(timeout=60).appended[0].seq
        assert (a_seq, b_seq) == (2, 3)
        assert [(e.seq, e.stream) for e in base.read(start=2)] == [
            (2, "category/A"), (3, "category/B"),
        ]  # fmt: skip
        assert verify_ledger(base).ok
    finally:
        release.set()
        for store in (base, slow, fast):
            store.close()


IMPORTERS = 8
IMPORT_ROUNDS = 6
IMPORT_LINES = 1500
IMPORT_SPREADS = (0.15, 0.3, 0.6)  # seconds over which a round's importers start


def _lines_csv(path: Path, round_: int) -> None:
    rows = ["jurisdiction,fiscal_year,line_id,agency,category,amount,stage"]
    rows += [f"JP,2025,R{round_}-{i},MoD,RACE,{1000 + i},initial" for i in range(IMPORT_LINES)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _import_cli(url: str, path: str, delay: float) -> tuple[int, str]:
    """``defledger import`` of ``path`` (through the CLI, as a user runs it), started ``delay``
    seconds after every importer is ready: (exit code, stderr)."""
    from cli.app import cli as app

    runner = CliRunner()
    _barrier.wait()
    time.sleep(delay)
    result = runner.invoke(app, ["--db", url, "import", "-q", path])
    return result.exit_code, result.stderr


def test_concurrency__same_file_imported_by_8_processes_is_stored_once(
    backend_url: str, tmp_path: Path
) -> None:
    """Issue 12 item 8: 8 processes import one file into one ledger. Each round's importers
    start spread over about one import's duration, so that some check the file while another
    commits it; every one must succeed (the file is stored once, the others add nothing), and
    a repeat of every file afterwards adds nothing either."""
    store = EventStore.open(backend_url, create=True)
    store.append_events([category("RACE")])
    files = [tmp_path / f"round{r}.csv" for r in range(IMPORT_ROUNDS)]
    jitter = random.Random(12)
    try:
        with _pool(IMPORTERS) as pool:
            for round_, path in enumerate(files):
                _lines_csv(path, round_)
                spread = IMPORT_SPREADS[round_ % len(IMPORT_SPREADS)]
                delays = [jitter.uniform(0, spread) for _ in range(IMPORTERS)]
                futures = [pool.submit(_import_cli, backend_url, str(path), d) for d in delays]
                outcomes = [f.result(timeout=300) for f in futures]
                assert outcomes == [(0, "")] * IMPORTERS, f"round {round_}: {outcomes}"
                assert store.count() == 1 + IMPORT_LINES * (round_ + 1)
            retried = [pool.submit(_import_cli, backend_url, str(p), 0.0) for p in files] + [
                pool.submit(_import_cli, backend_url, str(files[0]), 0.0)
                for _ in range(IMPORTERS - len(files))
            ]
            assert [f.result(timeout=300) for f in retried] == [(0, "")] * IMPORTERS
        events = list(store.read())
        assert len(events) == 1 + IMPORT_LINES * IMPORT_ROUNDS
        streams = [e.stream for e in events]
        assert len(set(streams)) == len(streams)  # each line recorded exactly once
        report = verify_ledger(store)
        assert report.ok, report.problems[:3]
    finally:
        store.close()
