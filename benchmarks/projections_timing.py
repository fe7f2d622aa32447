"""Timings of the stored projections against their goals: rebuild, catch-up after one new
event, ``totals`` warm and ``--as-of``, on ledgers of the ``workload.py`` shape built through
the real import path.

    python benchmarks/projections_timing.py [N ...]        (default: 10000 100000)

Prints one JSON object per N: ``first_catch_up_s`` (folding every event into empty projection
tables, as the first read of an old ledger does), ``rebuild_s`` (``defledger rebuild``: refold
into fresh tables and compare), ``catch_up_one_event_ms`` (a read after one new event; most of it
is the COMMIT's fsync), ``totals_warm_ms`` and ``totals_as_of_ms`` (``totals --fy FY2025`` at the
head and as of a random seq), medians of 11. The ledgers are cached under
$TMPDIR/defledger-proj-bench/ (delete the folder to rebuild them). To be folded into
``benchmarks/run.py``.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import ACTOR, batches, setup_events, stream_name, to_jsonl  # noqa: E402

from events import BudgetLineRevised, Provenance  # noqa: E402
from ledger.intake.importers import import_text  # noqa: E402
from ledger.projections.persisted import catch_up  # noqa: E402
from ledger.projections.rebuild import rebuild  # noqa: E402
from ledger.projections.sql import TABLES, transaction  # noqa: E402
from ledger.queries.totals import TotalsRequest, totals_table  # noqa: E402
from ledger.storage.records import PendingEvent  # noqa: E402
from ledger.storage.store import EventStore

REPS = 11


def build(path: Path, n: int) -> None:
    store = EventStore.open(str(path), create=True)
    import_text(store, to_jsonl(setup_events()), actor=ACTOR)
    for batch in batches(n):
        import_text(store, to_jsonl(batch), actor=ACTOR)
    store.close()


def clear_projections(store: EventStore) -> None:
    """Empty every projection table, as on a ledger whose projections were never built."""
    with transaction(store, write=True) as db:
        for table in TABLES:
            db.run(f"DELETE FROM {table.__tablename__}")  # type: ignore[attr-defined]


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def one_revision(store: EventStore, index: int, n: int) -> None:
    stream = stream_name(random.Random(index).randrange(n // 4))
    _, jurisdiction, fiscal_year, line_id = stream.split("/")
    event = BudgetLineRevised(
        jurisdiction=jurisdiction,
        fiscal_year=fiscal_year,
        line_id=line_id,
        amount=str(10**9 + index),
    )
    store.append_events([PendingEvent(event, Provenance(actor=ACTOR, reason="benchmark"))])


def measure(n: int) -> dict[str, Any]:
    folder = Path(tempfile.gettempdir()) / "defledger-proj-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"ledger-{n}.db"
    if not path.exists():
        began = time.perf_counter()
        build(path, n)
        print(f"built {n} events in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    store = EventStore.open(str(path))
    result: dict[str, Any] = {"n": store.count()}
    clear_projections(store)
    began = time.perf_counter()
    catch_up(store)
    result["first_catch_up_s"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    table = rebuild(store)
    result["rebuild_s"] = round(time.perf_counter() - began, 3)
    result["rebuild_differences"] = len(table.rows)
    samples = []
    for rep in range(REPS):
        one_revision(store, rep + int(time.time()), n)
        began = time.perf_counter()
        catch_up(store)
        samples.append(time.perf_counter() - began)
    result["catch_up_one_event_ms"] = median_ms(samples)
    request = TotalsRequest(jurisdictions=("JP",), years="FY2025")
    totals_table(store, request)
    samples = []
    for _ in range(REPS):
        began = time.perf_counter()
        totals_table(store, request)
        samples.append(time.perf_counter() - began)
    result["totals_warm_ms"] = median_ms(samples)
    head = store.count()
    samples = []
    for rep in range(REPS):
        seq = random.Random(rep).randrange(1, head)
        began = time.perf_counter()
        totals_table(store, TotalsRequest(jurisdictions=("JP",), years="FY2025", as_of=str(seq)))
        samples.append(time.perf_counter() - began)
    result["totals_as_of_ms"] = median_ms(samples)
    store.close()
    result["db_bytes_per_event"] = round(os.path.getsize(path) / head, 1)
    return result


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for n in sizes:
        print(json.dumps(measure(n)))


if __name__ == "__main__":
    main()
