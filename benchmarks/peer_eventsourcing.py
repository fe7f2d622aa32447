"""The peer: the same workload through the ``eventsourcing`` library (a ``bench`` extra).

SQLite persistence (``PERSISTENCE_MODULE=eventsourcing.sqlite``), the library's best settings
for this workload: notification-log section size 1000 (the default is 10, 24% slower to
replay). One ``BudgetLine`` aggregate per budget line with ``@event`` methods for the recorded
line and its revisions; ``app.save(*250 aggregates)`` per 1000 events; replay through
``notification_log.select`` + ``mapper.to_domain_event``; gets through ``repository.get``.
The library never sets ``PRAGMA synchronous``, so it runs at SQLite's compiled default (FULL
here; reported).
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import COMMANDS, GETS, checkpoint_size, median_us, sample_lines
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from workload import ACTOR, batches, checksum, line_key, replay_key, split

NAMESPACE = uuid.UUID("6f1c9a53-0d5e-4a55-9a43-8f2f1e6c2b10")


def line_id_of(jurisdiction: str, fiscal_year: int, line_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{jurisdiction}/{fiscal_year}/{line_id}")


class BudgetLine(Aggregate):
    """A budget line: recorded once, then revised."""

    @staticmethod
    def create_id(jurisdiction: str, fiscal_year: int, line_id: str, **_: Any) -> uuid.UUID:
        return line_id_of(jurisdiction, fiscal_year, line_id)

    @event("BudgetLineRecorded")
    def __init__(
        self,
        jurisdiction: str,
        fiscal_year: int,
        line_id: str,
        agency: str,
        program: str,
        category: str,
        amount: str,
        stage: str,
        actor: str,
        reason: str | None,
        source: dict[str, Any] | None,
    ) -> None:
        self.jurisdiction = jurisdiction
        self.fiscal_year = fiscal_year
        self.line_id = line_id
        self.agency = agency
        self.program = program
        self.category = category
        self.amount = amount
        self.stage = stage

    @event("BudgetLineRevised")
    def revise(
        self,
        jurisdiction: str,
        fiscal_year: int,
        line_id: str,
        amount: str,
        actor: str,
        reason: str | None,
        source: dict[str, Any] | None,
    ) -> None:
        self.amount = amount


class Ledger(Application):
    log_section_size = 1000


def _open(path: Path | str) -> Ledger:
    """SQLite at a path; PostgreSQL (``eventsourcing.postgres``) at a ``postgresql…`` URL."""
    if str(path).startswith("postgresql"):
        from urllib.parse import urlparse

        url = urlparse(str(path).replace("postgresql+psycopg://", "postgresql://", 1))
        return Ledger(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/"),
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": url.username or "postgres",
                "POSTGRES_PASSWORD": url.password or "",
            }
        )
    return Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})


def _sync_level(app: Ledger) -> int | str:
    """SQLite's ``PRAGMA synchronous``; PostgreSQL's ``synchronous_commit``."""
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        with app.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()["synchronous_commit"])
    with app.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA synchronous")
        return int(cursor.fetchone()[0])


def append(path: Path, n: int) -> dict[str, Any]:
    """Create 250 aggregates, revise each 3 times, ``app.save(*aggregates)``: per 1000 events."""
    app = _open(path)
    spent, count = 0.0, 0
    for batch in batches(n):
        began = time.perf_counter()
        lines: dict[str, BudgetLine] = {}
        for item in batch:
            event_type, fields, provenance = split(item)
            if event_type == "BudgetLineRecorded":
                lines[fields["line_id"]] = BudgetLine(**fields, **provenance)
            else:
                lines[fields["line_id"]].revise(**fields, **provenance)
        app.save(*lines.values())
        spent += time.perf_counter() - began
        count += len(batch)
    sync = _sync_level(app)
    app.close()
    size = _size(path)
    return {
        "append_s": spent,
        "append_events": count,
        "db_bytes": size,
        "db_bytes_per_event": round(size / count, 1),
        "synchronous": sync,
    }


def _size(path: Path | str) -> int:
    if str(path).startswith("postgresql"):
        from pg_cluster import database_bytes

        return database_bytes(str(path))
    return checkpoint_size(Path(path))


def replay(path: Path, n: int) -> dict[str, Any]:
    """Every event in notification order, as domain events; ``Decimal`` sums as the others."""
    app = _open(path)
    began = time.perf_counter()
    sums: dict[tuple[Any, str], Decimal] = {}
    count, start = 0, 1
    to_domain_event = app.mapper.to_domain_event
    while True:
        section = app.notification_log.select(start, 1000)
        for notification in section:
            domain_event = to_domain_event(notification)
            fields = domain_event.__dict__
            key = replay_key(type(domain_event).__name__, fields)
            sums[key] = sums.get(key, Decimal(0)) + Decimal(fields["amount"])
            count += 1
        if len(section) < 1000:
            break
        start = section[-1].id + 1
    spent = time.perf_counter() - began
    app.close()
    return {"replay_s": spent, "replay_events": count, "checksum": checksum(sums)}


def get(path: Path, n: int) -> dict[str, Any]:
    """``repository.get`` of 1000 random lines (4 events each); median latency."""
    app = _open(path)
    ids = [line_id_of(*line_key(number)[:3]) for number in sample_lines(n, GETS, seed=1)]
    samples = []
    for aggregate_id in ids:
        began = time.perf_counter()
        line = app.repository.get(aggregate_id)
        samples.append(time.perf_counter() - began)
        assert line.version >= 4
    app.close()
    return {"get_us": median_us(samples)}


def command(path: Path, n: int) -> dict[str, Any]:
    """200 single commands: ``repository.get`` + ``revise`` + ``save`` (the library checks the
    expected version on save)."""
    app = _open(path)
    samples = []
    for index, number in enumerate(sample_lines(n, COMMANDS, seed=2)):
        jurisdiction, fiscal_year, line_id, _ = line_key(number)
        began = time.perf_counter()
        line = app.repository.get(line_id_of(jurisdiction, fiscal_year, line_id))
        line.revise(
            jurisdiction=jurisdiction,
            fiscal_year=fiscal_year,
            line_id=line_id,
            amount=str(1_000_000 + index),
            actor=ACTOR,
            reason="単一コマンド計測 (single-command benchmark)",
            source=None,
        )
        app.save(line)
        samples.append(time.perf_counter() - began)
    app.close()
    return {"command_us": median_us(samples)}


PHASES = {"append": append, "replay": replay, "get": get, "command": command}
