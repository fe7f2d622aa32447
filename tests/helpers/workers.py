"""Entry points for the processes spawned by test_concurrency.py and test_crash.py.

Each runs in a fresh interpreter (``multiprocessing`` spawn context), opens the ledger by path,
prepares its events before the start signal, and reports to the parent through a queue: either
``("ok", writer, data)`` or ``("error", writer, "<exception>")`` so that a failure in a child
fails the test with its message instead of hanging it.
"""

from __future__ import annotations

import random
import time
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

RACE_STREAM = "target/JP/race"


def target_event(target_id: str, description: str) -> Any:
    from events import Provenance, TargetSet
    from ledger.storage.records import PendingEvent

    event = TargetSet(
        target_id=target_id, percent_of_gdp="2", by_fiscal_year=2027, description=description
    )
    return PendingEvent(event, Provenance(actor="worker"))


def _report(out: Queue[Any], writer: int, action: Any) -> None:
    try:
        out.put(("ok", writer, action()))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        out.put(("error", writer, traceback.format_exc()))


def append_writer(
    db: str, writer: int, count: int, streams: int, go: Event, out: Queue[Any]
) -> None:
    """Append ``count`` events one by one, round-robin over this writer's own ``streams``;
    return the seq acknowledged for each, in order."""

    def run() -> list[int]:
        from ledger.storage.store import EventStore

        store = EventStore.open(db)
        events = [target_event(f"w{writer}-s{i % streams}", f"{writer}:{i}") for i in range(count)]
        go.wait(60)
        acked = [store.append_events([event]).appended[0].seq for event in events]
        store.close()
        return acked

    _report(out, writer, run)


def race_writer(db: str, writer: int, attempts: int, go: Event, out: Queue[Any]) -> None:
    """Read the shared stream's version, then append stating it; count wins and conflicts.
    Returns (ok, conflicts, versions won)."""

    def run() -> tuple[int, int, list[int]]:
        from ledger.errors import ConcurrencyConflict
        from ledger.storage.records import StreamWrite
        from ledger.storage.store import EventStore

        store = EventStore.open(db)
        events = [target_event("race", f"{writer}:{i}") for i in range(attempts)]
        ok, conflicts, won = 0, 0, []
        think = random.Random(writer)
        go.wait(60)
        for event in events:
            version = store.stream_version(RACE_STREAM)
            time.sleep(think.uniform(0, 0.001))  # a client decides what to write, then writes
            try:
                result = store.append([StreamWrite(RACE_STREAM, version, [event])])
            except ConcurrencyConflict:
                conflicts += 1
                continue
            ok += 1
            won.append(result.appended[0].stream_version)
        store.close()
        return ok, conflicts, won

    _report(out, writer, run)


def batch_importer(db: str, csv_text: str, ready: Event, go: Event) -> None:
    """Check a CSV of budget lines (reads only), say ready, wait, then append the whole batch in
    one transaction. The parent SIGKILLs this process at a random moment."""
    from ledger.intake.importers import iter_csv
    from ledger.intake.rules import Numbered, plan
    from ledger.storage.store import EventStore

    store = EventStore.open(db)
    items = []
    for line, parsed in iter_csv(csv_text, "lines", "crash-test"):
        assert not isinstance(parsed, str), parsed
        items.append(Numbered(line, parsed))
    checked = plan(store, items)
    assert not checked.problems, checked.problems
    ready.set()
    go.wait(60)
    store.append(checked.writes)
    store.close()
