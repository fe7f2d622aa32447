"""Concurrent writers in separate processes: nothing lost, nothing duplicated, no gaps, each
writer's order kept, stream versions contiguous, the chain verifies; and an expected-version
race where the losers get ``ConcurrencyConflict``.

The ledger lives on tmpfs (``/dev/shm``) when there is one: what is under test is the locking
(``BEGIN IMMEDIATE``, seq allocated under the lock), not the disk's fsync latency, which would
make 8,000 single-event commits take half a minute. ``DEFLEDGER_TEST_ON_DISK=1`` runs them on
the ordinary temporary directory instead.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import workers

from ledger.audit.verify import verify_ledger
from ledger.storage.store import EventStore

pytestmark = pytest.mark.slow
WRITERS = 8
APPENDS = 1000
RACE_ATTEMPTS = 200
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def fast_db(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if os.environ.get("DEFLEDGER_TEST_ON_DISK") or not shm.is_dir():
        yield tmp_path / "ledger.db"
        return
    directory = Path(tempfile.mkdtemp(prefix="defledger-", dir=shm))
    try:
        yield directory / "ledger.db"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_workers(
    target: Callable[..., None], args: list[tuple[Any, ...]]
) -> tuple[dict[int, Any], float]:
    """Start one spawned process per argument tuple, release them together, and collect each
    one's result (failing with the child's traceback if it raised). Returns results by writer
    and the seconds from the start signal to the last result."""
    go = SPAWN.Event()
    out = SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*a, go, out)) for a in args]
    for process in processes:
        process.start()
    results: dict[int, Any] = {}
    try:
        time.sleep(0.2)
        started = time.perf_counter()
        go.set()
        for _ in processes:
            status, writer, data = out.get(timeout=120)
            assert status == "ok", f"writer {writer} failed:\n{data}"
            results[writer] = data
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert all(p.exitcode == 0 for p in processes)
    return results, elapsed


def test_concurrency__8_processes_x_1000_appends_gapless_ordered_verified(fast_db: Path) -> None:
    with EventStore.open(str(fast_db), create=True) as store:
        args = [(str(fast_db), w, APPENDS, 5) for w in range(WRITERS)]
        acked, elapsed = run_workers(workers.append_writer, args)
        total = WRITERS * APPENDS
        print(f"\n{total} appends by {WRITERS} processes: {total / elapsed:,.0f} appends/s")

        events = list(store.read())
        assert [e.seq for e in events] == list(range(1, total + 1))  # contiguous, no gaps
        ids = {e.event_id for e in events}
        assert len(ids) == total  # no duplicates
        all_acked = sorted(seq for seqs in acked.values() for seq in seqs)
        assert all_acked == list(range(1, total + 1))  # every acknowledged append, once

        by_writer: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for event in events:
            writer, index = map(int, event.payload["description"].split(":"))
            by_writer[writer].append((event.seq, index))
        for writer, seqs in acked.items():
            assert [seq for seq, _ in by_writer[writer]] == seqs  # what was acked is what is there
            assert [index for _, index in by_writer[writer]] == list(range(APPENDS))  # in order

        versions: dict[str, list[int]] = defaultdict(list)
        for event in events:
            versions[event.stream].append(event.stream_version)
        assert len(versions) == WRITERS * 5
        for stream, seen in versions.items():
            assert seen == list(range(1, len(seen) + 1)), stream
        times = [e.recorded_at for e in events]
        assert times == sorted(times)
        report = verify_ledger(store)
        assert report.ok and report.checked == total


def test_concurrency__expected_version_race_losers_get_conflict(fast_db: Path) -> None:
    with EventStore.open(str(fast_db), create=True) as store:
        args = [(str(fast_db), w, RACE_ATTEMPTS) for w in range(WRITERS)]
        results, _ = run_workers(workers.race_writer, args)
        ok = sum(r[0] for r in results.values())
        conflicts = sum(r[1] for r in results.values())
        print(f"\nexpected-version race: {ok} won, {conflicts} lost to ConcurrencyConflict")
        assert ok + conflicts == WRITERS * RACE_ATTEMPTS
        assert conflicts > 0, "8 racing processes never collided: the race did not happen"

        events = list(store.read(stream=workers.RACE_STREAM))
        assert len(events) == ok == store.count()
        assert [e.stream_version for e in events] == list(range(1, ok + 1))
        assert [e.seq for e in events] == list(range(1, ok + 1))
        won = sorted(v for r in results.values() for v in r[2])
        assert won == list(range(1, ok + 1))  # each version won by exactly one writer
        for writer, (_, _, versions) in results.items():
            mine = [
                e.stream_version
                for e in events
                if e.payload["description"].startswith(f"{writer}:")
            ]
            assert mine == versions
        assert verify_ledger(store).ok
