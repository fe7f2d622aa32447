"""defledger itself, through its public code paths.

* append: ``ledger.intake.importers.import_text`` on a JSON Lines file of 1000 events, exactly what
  ``defledger import FILE`` runs after reading the file: JSON parsing, upcasting, pydantic
  validation, content idempotency keys, the domain rules (categories exist, revisions revise a
  recorded line), canonical JSON, the hash chain, expected-version checks, one transaction.
  Timed per file from "the text is in memory" to "COMMIT returned"; writing the text is not.
  Before the line events, the set-up (categories, definitions with shares, GDP) is imported
  untimed.
* replay: ``EventStore.read_payloads()`` of every event (seq, type, schema version, decoded
  payload: what a fold reads), ``Decimal`` sums as the other variants; then the same through
  ``EventStore.read()`` (``StoredEvent`` with every envelope field), reported apart.
* verify: ``ledger.audit.verify.verify_ledger`` (the chain, seq and stream-version contiguity).
* get: ``EventStore.read(stream=…)`` of one line and a fold into its current state.
* command: read a line's stream, then append one revision with that expected version
  (``EventStore.append`` checks it inside its write transaction); ``record``: the same
  revision through ``ledger.intake.recording.record`` (rules + append), as ``defledger record``
  does.
* projections, export: measured when ``ledger.projections.persisted``,
``ledger.projections.rebuild``,
  ``ledger.queries.totals`` and ``ledger.exports.write`` exist (``projections`` and ``export``
  below).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import (
    COMMANDS,
    GETS,
    checkpoint_size,
    child_rss_mb,
    median_us,
    sample_lines,
    timed_each,
)
from workload import ACTOR, batches, checksum, replay_key, setup_events, stream_name, to_jsonl

from events import BudgetLineRevised, Provenance
from ledger.intake.importers import import_text
from ledger.intake.lines import LineState, line_transition
from ledger.storage.records import PendingEvent, StreamWrite
from ledger.storage.store import EventStore

LINE_TYPES = frozenset({"BudgetLineRecorded", "BudgetLineRevised"})


def _open(path: Path | str, create: bool = False) -> EventStore:
    """A SQLite ledger at a path, a PostgreSQL one at a ``postgresql…`` URL."""
    return EventStore.open(str(path), create=create)


def _sync_level(store: EventStore) -> int | str:
    """SQLite's ``PRAGMA synchronous``; PostgreSQL's ``synchronous_commit``."""
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous" if store.sqlite else "SHOW synchronous_commit")
        value = cursor.fetchone()[0]
        return int(value) if store.sqlite else str(value)
    finally:
        raw.close()


def _size(path: Path | str) -> int:
    if str(path).startswith("postgresql"):
        from pg_cluster import database_bytes

        return database_bytes(str(path))
    return checkpoint_size(Path(path))


def append(path: Path, n: int) -> dict[str, Any]:
    store = _open(path, create=True)
    setup = import_text(store, to_jsonl(setup_events()), actor=ACTOR)
    spent, cpu, count = 0.0, 0.0, 0
    tenth = max(n // 10, 1)
    first: list[float] = [0.0, 0.0, 0]  # wall, CPU seconds and events: the first tenth's
    last: list[float] = [0.0, 0.0, 0]  # ... and the last tenth's (whole batches)
    for batch in batches(n):
        text = to_jsonl(batch)
        began, began_cpu = time.perf_counter(), time.process_time()
        report = import_text(store, text, actor=ACTOR)
        wall, used = time.perf_counter() - began, time.process_time() - began_cpu
        spent += wall
        cpu += used
        assert report.appended == len(batch), report
        for part, inside in ((first, count < tenth), (last, count + len(batch) > n - tenth)):
            if inside:
                part[0] += wall
                part[1] += used
                part[2] += len(batch)
        count += len(batch)
    sync = _sync_level(store)
    total = store.count()
    store.close()
    size = _size(path)
    return {
        "append_s": spent,
        "append_events": count,
        "append_cpu_us": round(cpu / count * 1e6, 2),
        # µs per event of the first and the last tenth of this run (the same process and
        # minutes): whether an event costs more once the ledger is large, wall and CPU
        "append_first_us": round(first[0] / first[2] * 1e6, 2),
        "append_last_us": round(last[0] / last[2] * 1e6, 2),
        "append_first_cpu_us": round(first[1] / first[2] * 1e6, 2),
        "append_last_cpu_us": round(last[1] / last[2] * 1e6, 2),
        "setup_events": setup.appended,
        "db_bytes": size,
        "db_bytes_per_event": round(size / total, 1),
        "synchronous": sync,
    }


def _replay(events: Iterator[Any]) -> tuple[int, str]:
    sums: dict[tuple[Any, str], Decimal] = {}
    count = 0
    for event in events:
        count += 1
        if event.type in LINE_TYPES:
            payload = event.payload
            key = replay_key(event.type, payload)
            sums[key] = sums.get(key, Decimal(0)) + Decimal(payload["amount"])
    return count, checksum(sums)


def replay(path: Path, n: int) -> dict[str, Any]:
    """``read_payloads()`` (seq, type, schema version, payload: what a fold reads), then the
    same through ``read()`` (every envelope field as a ``StoredEvent``)."""
    store = _open(path)
    began = time.perf_counter()
    count, digest = _replay(store.read_payloads())
    spent = time.perf_counter() - began
    began = time.perf_counter()
    envelopes, again = _replay(store.read())
    spent_envelopes = time.perf_counter() - began
    store.close()
    assert (envelopes, again) == (count, digest)
    return {
        "replay_s": spent,
        "replay_events": count,
        "checksum": digest,
        "replay_envelopes_eps": round(envelopes / spent_envelopes),
    }


def verify(path: Path, n: int) -> dict[str, Any]:
    from ledger.audit.verify import verify_ledger

    store = _open(path)
    began = time.perf_counter()
    report = verify_ledger(store)
    spent = time.perf_counter() - began
    store.close()
    assert report.ok, report.problems[:3]
    return {"verify_s": spent, "verify_events": report.checked}


def get(path: Path, n: int) -> dict[str, Any]:
    store = _open(path)
    samples = []
    for number in sample_lines(n, GETS, seed=1):
        stream = stream_name(number)
        began = time.perf_counter()
        state: LineState | None = None
        for stored in store.read(stream=stream):
            state = line_transition(state, stored.seq, stored.type, stored.payload)
        samples.append(time.perf_counter() - began)
        assert state is not None, stream
    store.close()
    return {"get_us": median_us(samples)}


def _revision(stream: str, index: int) -> PendingEvent:
    _, jurisdiction, fiscal_year, line_id = stream.split("/")
    event = BudgetLineRevised(
        jurisdiction=jurisdiction,
        fiscal_year=fiscal_year,
        line_id=line_id,
        amount=str(1_000_000 + index),
    )
    return PendingEvent(
        event, Provenance(actor=ACTOR, reason="単一コマンド計測 (single-command benchmark)")
    )


def command(path: Path, n: int) -> dict[str, Any]:
    """Read a stream, append one event at the version read; then the same via ``record``."""
    from ledger.intake.recording import record

    store = _open(path)
    samples, recorded = [], []
    for index, number in enumerate(sample_lines(n, COMMANDS, seed=2)):
        stream = stream_name(number)
        began = time.perf_counter()
        version = 0
        for stored in store.read(stream=stream):
            version = stored.stream_version
        store.append([StreamWrite(stream, version, [_revision(stream, index)])])
        samples.append(time.perf_counter() - began)
    for index, number in enumerate(sample_lines(n, COMMANDS, seed=3)):
        stream = stream_name(number)
        began = time.perf_counter()
        assert record(store, _revision(stream, COMMANDS + index)) is not None
        recorded.append(time.perf_counter() - began)
    store.close()
    return {"command_us": median_us(samples), "record_us": median_us(recorded)}


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def projections(path: Path, n: int) -> dict[str, Any]:
    """Build the stored projections from nothing (catch-up from seq 0), ``rebuild`` (recompute
    everything and compare), ``totals`` warm (``-j JP``, once the CLI's default, median of 5) and
    ``--as-of`` a seq in the middle of the ledger (median of 3), then catch-up after one new
    event (median of 5 rounds of append 1 + catch-up; the append is not timed)."""
    try:
        from ledger.projections.persisted import catch_up
        from ledger.projections.rebuild import rebuild
        from ledger.queries.totals import TotalsRequest, totals_table
    except ImportError as exc:
        return {"skipped": f"projections not available: {exc}"}
    store = _open(path)
    head = store.count()
    began = time.perf_counter()
    catch_up(store)
    build_s = time.perf_counter() - began
    began = time.perf_counter()
    rebuilt = rebuild(store)
    rebuild_s = time.perf_counter() - began
    assert not rebuilt.rows, rebuilt.rows[:3]
    request = TotalsRequest(jurisdictions=("JP",))  # JP: what the default used to be
    totals_table(store, request)  # warm-up
    warm = timed_each([lambda: totals_table(store, request)] * 5)
    middle = TotalsRequest(jurisdictions=("JP",), as_of=str(head // 2 + 7))
    as_of = timed_each([lambda: totals_table(store, middle)] * 3)
    catchups = []
    for index in range(5):
        stream = stream_name(index)
        version = store.stream_version(stream)
        store.append([StreamWrite(stream, version, [_revision(stream, 10_000 + index)])])
        began = time.perf_counter()
        catch_up(store)
        catchups.append(time.perf_counter() - began)
    store.close()
    return {
        "build_eps": round(head / build_s),
        "rebuild_eps": round(head / rebuild_s),
        "totals_ms": _median_ms(warm),
        "totals_asof_ms": _median_ms(as_of),
        "catchup_ms": _median_ms(catchups),
    }


def _bundle(path: Path) -> Path:
    return path.parent / f"{path.stem}-export"


def export(path: Path, n: int) -> dict[str, Any]:
    """``export_bundle`` of the whole ledger (events and projections as CSV, JSON Lines, XLSX,
    manifest, datapackage) into a fresh directory next to the database (kept for
    ``verify_export``)."""
    try:
        from ledger.exports.write import export_bundle
    except ImportError as exc:
        return {"skipped": f"exports not available: {exc}"}
    store = _open(path)
    head = store.count()
    target = _bundle(path)
    shutil.rmtree(target, ignore_errors=True)
    began = time.perf_counter()
    export_bundle(store, target.name, head, root=str(path.parent))
    spent = time.perf_counter() - began
    store.close()
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    return {"export_eps": round(head / spent), "export_mb": round(size / 2**20, 1)}


def verify_export(path: Path, n: int) -> dict[str, Any]:
    """``verify_export`` of the bundle ``export`` wrote (every file recomputed and compared),
    in events of the bundle per second; the bundle is removed afterwards."""
    from ledger.exports.verify import verify_export as check

    target = _bundle(path)
    if not target.exists():
        return {"skipped": "no bundle (export did not run)"}
    events = sum(1 for _ in (target / "events.jsonl").open("rb"))
    began = time.perf_counter()
    report = check(target)
    spent = time.perf_counter() - began
    shutil.rmtree(target, ignore_errors=True)
    assert report.ok, report.problems[:3]
    return {"verify_export_eps": round(events / spent)}


def _cli(*args: str, stdout: Any = subprocess.DEVNULL) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``defledger ARGS`` in a fresh process."""
    script = Path(sys.executable).with_name("defledger")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cli.app"]
    began = time.perf_counter()
    done = subprocess.run([*command, *args], stdout=stdout, stderr=subprocess.PIPE, check=False)
    spent = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace").strip()[-300:])
    return spent, child_rss_mb()


def csv_import(path: Path, n: int) -> dict[str, Any]:
    """``defledger import FILE.csv`` as users run it: an N-line CSV of budget lines
    (``workload.write_lines_csv``) into a ledger holding the set-up, the whole process timed
    (interpreter start, reading, parsing, checking, appending, committing), in a fresh ledger
    beside the benchmark's."""
    from workload import write_lines_csv

    db = path.with_name(f"{path.stem}-csv.db")
    csv_file = path.with_name(f"{path.stem}-lines.csv")
    setup_file = path.with_name(f"{path.stem}-setup.jsonl")
    setup_file.write_text(to_jsonl(setup_events()), encoding="utf-8")
    write_lines_csv(csv_file, n)
    try:
        _cli("--db", str(db), "import", str(setup_file), "-q")
        spent, rss = _cli("--db", str(db), "import", str(csv_file), "-q")
    finally:
        for stale in [csv_file, setup_file, *path.parent.glob(f"{db.name}*")]:
            stale.unlink(missing_ok=True)
    return {"csv_s": spent, "csv_events": n, "csv_eps": round(n / spent), "csv_rss_mb": rss}


def log_jsonl(path: Path, n: int) -> dict[str, Any]:
    """``defledger log --format jsonl`` of the whole ledger to /dev/null, in a fresh process."""
    spent, rss = _cli("--db", str(path), "log", "--format", "jsonl")
    return {"log_eps": round(n / spent), "log_rss_mb": rss}


PHASES = {
    "append": append,
    "replay": replay,
    "verify": verify,
    "get": get,
    "projections": projections,
    "export": export,
    "verify_export": verify_export,
    "csv": csv_import,
    "log": log_jsonl,
    "command": command,
}
