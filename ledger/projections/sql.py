"""The SQL side of the persisted projections: connections and transactions on SQLite and
PostgreSQL, the checkpoint, and reading events for folds (pages of new events, a few line
streams, every stream under some prefixes). No arithmetic here: ``ledger.projections.fold``
folds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import events
from events.values import SCHEMA_JURISDICTION
from ledger.errors import IntegrityFailure, StoreError
from ledger.intake.lines import LINE_EVENTS, line_key
from ledger.projections.fold import GroupKey
from ledger.storage import sqlite_errors, write_lock
from ledger.storage.postgres import sqlstate_of
from ledger.storage.records import (
    DECODE_ERRORS,
    current_payload,
    json_object,
    stored_time,
    unreadable,
)
from ledger.storage.store import EventStore, abort, translate, translated

NAME = "ledger"
CHUNK = 500
PROJ_LOCK_KEY = 0x64656670  # "defp": serialises projection writers on PostgreSQL
# The projection tables (``ledger.storage.tables``, whose models are imported only to make
# them: reading projections needs their names, not SQLModel, a tenth of a second to import).
TABLES = (
    "ProjectionCheckpoint", "ProjLine", "ProjSum", "ProjCategory", "ProjDefinitionVersion",
    "ProjDefinitionCategory", "ProjGdp", "ProjTarget", "ProjRate", "ProjSnapshot",
)  # fmt: skip
SMALL_TABLES: dict[str, tuple[str, ...]] = {
    "definitions": ("proj_definition_versions", "proj_definition_categories"),
    "gdp": ("proj_gdp",),
    "targets": ("proj_targets",),
    "rates": ("proj_rates",),
    "categories": ("proj_categories",),
}
LINE_COLUMNS = (
    "key, jurisdiction, fiscal_year, line_id, agency, program, category, amount, currency, "
    "stage, withdrawn, recorded_seq, last_seq"
)
# Each projection table's columns in the models' order (``tests/test_lazy_imports.py`` checks
# them against ``ledger.storage.tables``): reading them needs no model.
COLUMNS: dict[str, str] = {
    "proj_categories": "code, name, parent, seq",
    "proj_checkpoints": "name, last_seq, last_hash",
    "proj_definition_categories": "definition, version, category, share, tier, seq",
    "proj_definition_versions": "definition, version, title, based_on, opened_seq, status, "
    "status_seq, effective_from, stages, stages_seq, gdp_basis, gdp_fiscal_year, gdp_vintage, "
    "basis_seq, last_seq",
    "proj_gdp": "jurisdiction, fiscal_year, vintage, amount, currency, seq",
    "proj_lines": "key, jurisdiction, fiscal_year, line_id, agency, program, category, amount, "
    "currency, stage, withdrawn, recorded_seq, last_seq",
    "proj_rates": "base, quote, fiscal_year, rate, rate_type, seq",
    "proj_snapshots": "seq, state",
    "proj_sums": "jurisdiction, fiscal_year, stage, category, currency, amount, lines",
    "proj_targets": "jurisdiction, target_id, percent_of_gdp, by_fiscal_year, kind, definition, "
    "tier, description, seq",
}


def columns_of(table: str) -> str:
    return COLUMNS[table]


class Db:
    """A DB-API cursor with ``?`` placeholders on both SQLite and PostgreSQL."""

    def __init__(self, cursor: Any, sqlite: bool) -> None:
        self.cursor = cursor
        self.sqlite = sqlite

    def _q(self, sql: str) -> str:
        return sql if self.sqlite else sql.replace("?", "%s")

    def all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(self._q(sql), tuple(params))
        return [tuple(row) for row in self.cursor.fetchall()]

    def one(self, sql: str, params: Iterable[Any] = ()) -> tuple[Any, ...] | None:
        self.cursor.execute(self._q(sql), tuple(params))
        row = self.cursor.fetchone()
        return None if row is None else tuple(row)

    def run(self, sql: str, params: Iterable[Any] = ()) -> None:
        self.cursor.execute(self._q(sql), tuple(params))

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.cursor.executemany(self._q(sql), rows)

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        columns = columns_of(table)
        marks = ",".join("?" * (columns.count(",") + 1))
        self.many(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


@contextmanager
def transaction(store: EventStore, write: bool) -> Iterator[Db]:
    """A consistent read transaction, or a write transaction holding the projection lock."""
    try:
        raw = store.raw_connection()
    except Exception as exc:
        error = translated(exc)
        if error is exc:
            raise
        raise error from exc
    cursor = raw.cursor()
    try:
        if write:  # waits as an append does: a notice after a second, the lock timeout
            write_lock.acquire(
                cursor,
                sqlite=store.sqlite,
                key=PROJ_LOCK_KEY,
                timeout=store.lock_timeout,
                on_wait=store.on_wait,
            )
        elif store.sqlite:
            cursor.execute("BEGIN")
        else:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield Db(cursor, store.sqlite)
        cursor.execute("COMMIT") if store.sqlite else raw.commit()
    except BaseException as exc:
        abort(raw, cursor, store.sqlite, exc)
    finally:
        raw.close()


def ensure_tables(store: EventStore) -> None:
    """Create the projection tables (idempotent): a ledger made before they existed gets them."""
    from sqlalchemy.exc import SQLAlchemyError

    from ledger.storage import tables

    models = [getattr(tables, name) for name in TABLES]
    try:
        # SQLModel's metaclass gives each table class __table__ without declaring it
        tables.EventRow.metadata.create_all(store.engine, tables=[t.__table__ for t in models])
    except SQLAlchemyError as exc:
        raise translate(exc) from exc


def missing_tables(exc: StoreError) -> bool:
    """``exc`` says a table is missing (by the driver error it was translated from)."""
    cause = exc.__cause__
    if cause is None:
        return False
    return sqlite_errors.missing_object(cause) == "table" or sqlstate_of(cause) == "42P01"


# -- reading the events and the tables ------------------------------------------------------


def head_of(db: Db) -> tuple[int, str]:
    row = db.one("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
    return (0, "0" * 64) if row is None else (int(row[0]), bytes(row[1]).hex())


def checkpoint_of(db: Db) -> tuple[int, str] | None:
    row = db.one("SELECT last_seq, last_hash FROM proj_checkpoints WHERE name = ?", (NAME,))
    return None if row is None else (int(row[0]), row[1])


def check_checkpoint(db: Db, checkpoint: tuple[int, str] | None) -> int:
    """The checkpoint's seq, after checking it names an event this ledger holds."""
    if checkpoint is None or checkpoint[0] == 0:
        return 0
    seq, expected = checkpoint
    row = db.one("SELECT hash FROM events WHERE seq = ?", (seq,))
    if row is None or bytes(row[0]).hex() != expected:
        raise IntegrityFailure(
            f"the stored projections were built from other events (checkpoint seq {seq} does not "
            "match the ledger); run `defledger rebuild`"
        )
    return seq


Row = tuple[int, str, int, dict[str, Any]]


def event_rows(db: Db, after: int, upto: int) -> tuple[list[Row], set[str], set[GroupKey]]:
    """Events (after, upto] as (seq, type, schema_version, payload) with payloads in today's
    schema; the keys of the lines they touch that may already exist (their first event here is
    not the first of their stream); and the (jurisdiction, FY) groups they touch."""
    rows: list[Row] = []
    lookup: set[str] = set()
    seen: set[str] = set()
    groups: set[GroupKey] = set()
    current = events.SCHEMA_VERSIONS  # loads the event models: only folding needs them
    db.run(
        "SELECT e.seq, t.name, e.schema_version, e.stream_version, e.payload FROM events e "
        "JOIN event_types t ON t.id = e.type_id WHERE e.seq > ? AND e.seq <= ? ORDER BY e.seq",
        (after, upto),
    )
    for seq, event_type, version, stream_version, text in db.cursor.fetchall():
        payload = json_object(seq, "payload", text)  # IntegrityFailure naming seq if not JSON
        try:
            if version != current.get(event_type, version):
                payload = current_payload(event_type, version, payload)
                version = current[event_type]
            if event_type in LINE_EVENTS:
                group = (
                    payload.get("jurisdiction") or SCHEMA_JURISDICTION,
                    int(payload["fiscal_year"]),
                )
                key = line_key(*group, payload["line_id"])
                if key not in seen:
                    seen.add(key)
                    if stream_version != 1:
                        lookup.add(key)
                    groups.add(group)
        except DECODE_ERRORS as exc:
            raise unreadable(seq, event_type, version, exc) from None
        rows.append((seq, event_type, version, payload))
    return rows, lookup, groups


def stream_rows(
    db: Db, names: Iterable[str], upto: int
) -> Iterator[tuple[int, str, int, dict[str, Any]]]:
    """Events of the named streams with seq ≤ ``upto``, in seq order within each chunk."""
    ordered = sorted(set(names))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for seq, typ, version, payload in db.all(
            "SELECT e.seq, t.name, e.schema_version, e.payload FROM events e "
            "JOIN streams s ON s.id = e.stream_id JOIN event_types t ON t.id = e.type_id "
            f"WHERE s.name IN ({marks}) AND e.seq <= ? "
            "ORDER BY e.seq",
            (*chunk, upto),
        ):
            yield seq, typ, version, json_object(seq, "payload", payload)


@dataclass(frozen=True, slots=True)
class EventRecord:
    """What replay and trace need of an event (no hashes, no pydantic)."""

    seq: int
    type: str
    schema_version: int
    payload: dict[str, Any]
    recorded_at: str
    actor: str
    stream: str
    source: dict[str, Any] | None = None


def prefix_events(store: EventStore, prefixes: Iterable[str], upto: int) -> list[EventRecord]:
    """Events of every stream whose name starts with one of ``prefixes``, seq ≤ ``upto``, in seq
    order (stream names are ASCII, so a prefix is a range of the unique name index).

    The streams come first (``CROSS JOIN`` fixes SQLite's join order): their events are found
    through the (stream, version) index, so the cost grows with the events of those streams,
    not with the ledger. Joined the other way, SQLite walked every event up to ``upto`` (the
    year bases ``totals`` reads: 100 ms at 300k events, for none found)."""
    ranges = sorted(set(prefixes))
    if not ranges:
        return []
    where = " OR ".join("(s.name >= ? AND s.name < ?)" for _ in ranges)
    params = [bound for prefix in ranges for bound in (prefix, prefix + "\U0010ffff")]
    with transaction(store, write=False) as db:
        rows = db.all(
            "SELECT e.seq, t.name, e.schema_version, e.payload, e.recorded_at, a.name, s.name, "
            "e.source FROM streams s CROSS JOIN events e "
            "JOIN event_types t ON t.id = e.type_id JOIN actors a ON a.id = e.actor_id "
            f"WHERE e.stream_id = s.id AND ({where}) AND e.seq <= ? "
            "ORDER BY e.seq",
            (*params, upto),
        )
    return [
        EventRecord(
            seq,
            typ,
            version,
            json_object(seq, "payload", payload),
            stored_time(seq, at),
            actor,
            name,
            None if source is None else json_object(seq, "source", source),
        )
        for seq, typ, version, payload, at, actor, name, source in rows
    ]
