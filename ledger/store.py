"""The append-only event store: gapless ``seq`` in commit order, optimistic concurrency per
stream, idempotent retries, all-or-nothing batches, streamed reads.

Hot paths (append, read) use the DB-API cursor taken from the SQLAlchemy engine: SQLModel
defines the schema, but ORM objects cost more per event than the whole rest of an append.
Every driver error is translated here into a ``ledger.errors`` class.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from events import EventModel, Provenance, event_payload, load_stored, stream_of
from ledger import db as dbmod
from ledger.canonical import canonical_json
from ledger.chain import GENESIS_HASH, ChainRow, chain_hash, envelope_bytes
from ledger.errors import (
    AppendOnlyViolation,
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidInput,
    LedgerError,
    NotFound,
    StorageFull,
    StoreBusy,
    StoreError,
)

Clock = Callable[[], datetime]
PG_LOCK_KEY = 0x64656664  # "defd": one advisory lock serialises appends to a ledger
READ_BATCH = 2000
_COLUMNS = (
    "e.seq, e.event_id, s.name, e.stream_version, e.type, e.schema_version, e.payload, "
    "e.recorded_at, e.actor, e.reason, e.source, e.idempotency_key, e.prev_hash, e.hash"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """Transaction time as stored and hashed: UTC, microseconds, ``Z`` (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class PendingEvent:
    """A validated event and its provenance, not yet stored."""

    event: EventModel
    provenance: Provenance

    @property
    def stream(self) -> str:
        return stream_of(self.event)


@dataclass(frozen=True)
class StreamWrite:
    """Events for one stream, appended only if the stream is at ``expected_version``
    (``None``: any version; ``0``: the stream must not exist yet)."""

    stream: str
    expected_version: int | None
    events: Sequence[PendingEvent]


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    recorded_at: str


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored, with its full envelope. ``payload`` is the stored (possibly old
    schema) payload; ``model()`` upcasts and validates it into today's event model."""

    seq: int
    event_id: str
    stream: str
    stream_version: int
    type: str
    schema_version: int
    payload: dict[str, Any]
    payload_json: str
    recorded_at: str
    actor: str
    reason: str | None
    source: dict[str, Any] | None
    idempotency_key: str | None
    prev_hash: str
    hash: str

    def model(self) -> EventModel:
        return load_stored(self.type, self.schema_version, dict(self.payload))

    def envelope(self) -> dict[str, Any]:
        """The JSON-ready envelope, with keys in ``events.ENVELOPE_FIELDS`` order."""
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "stream": self.stream,
            "stream_version": self.stream_version,
            "type": self.type,
            "schema_version": self.schema_version,
            "payload": self.payload,
            "recorded_at": self.recorded_at,
            "actor": self.actor,
            "reason": self.reason,
            "source": self.source,
            "idempotency_key": self.idempotency_key,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class AppendResult:
    appended: tuple[StoredEvent, ...]
    skipped: int  # events whose idempotency key was already stored with the same content


def _row_to_event(row: Sequence[Any]) -> StoredEvent:
    payload_json = row[6]
    return StoredEvent(
        seq=row[0],
        event_id=str(uuid.UUID(bytes=bytes(row[1]))),
        stream=row[2],
        stream_version=row[3],
        type=row[4],
        schema_version=row[5],
        payload=orjson.loads(payload_json),
        payload_json=payload_json,
        recorded_at=row[7],
        actor=row[8],
        reason=row[9],
        source=None if row[10] is None else orjson.loads(row[10]),
        idempotency_key=row[11],
        prev_hash=bytes(row[12]).hex(),
        hash=bytes(row[13]).hex(),
    )


def _row_to_chain(row: Sequence[Any]) -> ChainRow:
    return ChainRow(
        seq=row[0],
        event_id=str(uuid.UUID(bytes=bytes(row[1]))),
        stream=row[2],
        stream_version=row[3],
        type=row[4],
        schema_version=row[5],
        payload_json=row[6],
        recorded_at=row[7],
        actor=row[8],
        reason=row[9],
        source_json=row[10],
        idempotency_key=row[11],
        prev_hash=bytes(row[12]),
        hash=bytes(row[13]),
    )


def translate(exc: BaseException) -> LedgerError:
    """One place that turns a driver error into a domain error."""
    message = (
        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if str(exc)
        else type(exc).__name__
    )
    lowered = message.lower()
    if "append-only" in lowered:
        return AppendOnlyViolation(message)
    if "full" in lowered and ("disk" in lowered or "database" in lowered):
        return StorageFull("the database or disk is full; nothing of this write was stored")
    if "locked" in lowered or "busy" in lowered:
        return StoreBusy("the ledger is locked by another writer; try again")
    if "idempotency_key" in lowered:
        return DuplicateEvent("idempotency key already used")
    if "uq_stream_version" in lowered or "stream_version" in lowered:
        return ConcurrencyConflict("a concurrent append to the same stream won")
    if "unable to open" in lowered or "no such table" in lowered or "does not exist" in lowered:
        return StoreError(f"cannot open the ledger: {message}")
    return StoreError(message)


class EventStore:
    """The ledger's event store over a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.sqlite = dbmod.is_sqlite(engine)
        self._mark = "?" if self.sqlite else "%s"

    @classmethod
    def open(
        cls, db: str | None = None, *, create: bool = False, clock: Clock = utc_now
    ) -> EventStore:
        """Open the ledger at ``db`` (URL or SQLite path). ``create`` makes a new one if needed;
        otherwise a missing SQLite file is a clear error, not a new empty ledger."""
        url = dbmod.resolve_url(db)
        if url.startswith("sqlite:///") and not create:
            from pathlib import Path

            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():
                raise NotFound(f"no ledger at {path} (run `defledger init` or pass --db)")
        engine = dbmod.make_engine(url)
        store = cls(engine, clock)
        if create:
            store.init()
        return store

    def init(self) -> None:
        """Create the schema and triggers (idempotent)."""
        try:
            dbmod.create_schema(self.engine)
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def close(self) -> None:
        self.engine.dispose()

    # -- connections -------------------------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement if self.sqlite else statement.replace("?", "%s")

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            raw = self.engine.raw_connection()
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
        try:
            yield raw
        finally:
            raw.close()

    @contextmanager
    def _write_transaction(self) -> Iterator[Any]:
        """A write transaction holding the ledger's append lock; rolled back on any error."""
        with self._connection() as raw:
            cursor = raw.cursor()
            try:
                if self.sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                else:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK_KEY,))
                yield cursor
                raw.commit() if not self.sqlite else cursor.execute("COMMIT")
            except BaseException as exc:
                try:
                    if self.sqlite:
                        if raw.driver_connection.in_transaction:
                            cursor.execute("ROLLBACK")
                    else:
                        raw.rollback()
                except Exception:  # noqa: BLE001 - the original error is the one to report
                    pass
                if isinstance(exc, LedgerError) or not isinstance(exc, Exception):
                    raise
                if isinstance(exc, SQLAlchemyError) or type(exc).__module__.split(".")[0] in (
                    "sqlite3",
                    "psycopg",
                ):
                    raise translate(exc) from exc
                raise

    @contextmanager
    def _read_cursor(self) -> Iterator[Any]:
        with self._connection() as raw:
            cursor = raw.cursor()
            try:
                yield cursor
            except Exception as exc:
                if isinstance(exc, LedgerError):
                    raise
                if isinstance(exc, SQLAlchemyError) or type(exc).__module__.split(".")[0] in (
                    "sqlite3",
                    "psycopg",
                ):
                    raise translate(exc) from exc
                raise
            finally:
                if not self.sqlite:
                    raw.rollback()

    # -- writing -----------------------------------------------------------------------------

    def append(self, writes: Sequence[StreamWrite]) -> AppendResult:
        """Append every write in one transaction, or nothing.

        Raises ``ConcurrencyConflict`` when a stream is not at its expected version and
        ``DuplicateEvent`` when an idempotency key was stored for a different event. Events
        whose idempotency key is already stored with the same type and payload are skipped.
        """
        with self._write_transaction() as cur:
            return self._append_locked(cur, writes)

    def append_events(self, events: Sequence[PendingEvent]) -> AppendResult:
        """Append events to their own streams at whatever version they are (no expectation)."""
        return self.append([StreamWrite(e.stream, None, [e]) for e in events])

    def _append_locked(self, cur: Any, writes: Sequence[StreamWrite]) -> AppendResult:
        sql = self._sql
        cur.execute(sql("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"))
        head = cur.fetchone()
        seq, prev_hash, last_time = (
            (head[0], bytes(head[1]), head[2]) if head else (0, GENESIS_HASH, "")
        )
        now = format_time(self.clock())
        recorded_at = max(now, last_time)  # transaction time never decreases along seq

        encoded = [
            [(pending, canonical_json(event_payload(pending.event))) for pending in write.events]
            for write in writes
        ]
        skip = self._already_stored(cur, encoded)
        rows: list[tuple[Any, ...]] = []
        appended: list[StoredEvent] = []
        stream_ids: dict[str, int] = {}
        versions: dict[str, int] = {}
        for write, items in zip(writes, encoded, strict=True):
            new_items = [(p, payload) for p, payload in items if id(p) not in skip]
            if not new_items:
                continue
            if write.stream not in versions:
                stream_ids[write.stream], versions[write.stream] = self._stream_state(
                    cur, write.stream
                )
            current = versions[write.stream]
            if write.expected_version is not None and write.expected_version != current:
                raise ConcurrencyConflict(
                    f"stream {write.stream} is at version {current}, expected {write.expected_version}"
                )
            for pending, payload in new_items:
                if pending.stream != write.stream:
                    raise InvalidInput(
                        f"event belongs to stream {pending.stream}, not {write.stream}"
                    )
                seq += 1
                current += 1
                row, stored = self._build_row(
                    seq,
                    stream_ids[write.stream],
                    write.stream,
                    current,
                    pending,
                    payload,
                    recorded_at,
                    prev_hash,
                )
                rows.append(row)
                appended.append(stored)
                prev_hash = row[-1]
            versions[write.stream] = current
        if rows:
            cur.executemany(
                sql(
                    "INSERT INTO events (seq, event_id, stream_id, stream_version, type, "
                    "schema_version, payload, recorded_at, actor, reason, source, "
                    "idempotency_key, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                ),
                rows,
            )
        return AppendResult(tuple(appended), len(skip))

    def _build_row(
        self,
        seq: int,
        stream_id: int,
        stream: str,
        version: int,
        pending: PendingEvent,
        payload: bytes,
        recorded_at: str,
        prev_hash: bytes,
    ) -> tuple[tuple[Any, ...], StoredEvent]:
        event = pending.event
        prov = pending.provenance
        event_type = str(type(event).model_fields["type"].default)
        schema_version = int(getattr(event, "schema_version"))
        event_uuid = uuid.uuid4()
        source = None if prov.source is None else prov.source.model_dump(mode="json")
        source_json = None if source is None else canonical_json(source)
        digest = chain_hash(
            prev_hash,
            envelope_bytes(
                seq=seq,
                event_id=str(event_uuid),
                stream=stream,
                stream_version=version,
                type=event_type,
                schema_version=schema_version,
                payload_json=payload,
                recorded_at=recorded_at,
                actor=prov.actor,
                reason=prov.reason,
                source_json=source_json,
                idempotency_key=prov.idempotency_key,
                prev_hash=prev_hash,
            ),
        )
        payload_text = payload.decode()
        source_text = None if source_json is None else source_json.decode()
        row = (
            seq, event_uuid.bytes, stream_id, version, event_type, schema_version, payload_text,
            recorded_at, prov.actor, prov.reason, source_text, prov.idempotency_key, prev_hash, digest,
        )  # fmt: skip
        stored = StoredEvent(
            seq=seq,
            event_id=str(event_uuid),
            stream=stream,
            stream_version=version,
            type=event_type,
            schema_version=schema_version,
            payload=orjson.loads(payload),
            payload_json=payload_text,
            recorded_at=recorded_at,
            actor=prov.actor,
            reason=prov.reason,
            source=source,
            idempotency_key=prov.idempotency_key,
            prev_hash=prev_hash.hex(),
            hash=digest.hex(),
        )
        return row, stored

    def _already_stored(
        self, cur: Any, encoded: list[list[tuple[PendingEvent, bytes]]]
    ) -> set[int]:
        """ids of pending events whose idempotency key is stored with the same content."""
        keyed = {
            p.provenance.idempotency_key: (p, payload)
            for items in encoded
            for p, payload in items
            if p.provenance.idempotency_key
        }
        if not keyed:
            return set()
        skip: set[int] = set()
        keys = list(keyed)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cur.execute(
                self._sql(
                    f"SELECT idempotency_key, type, payload FROM events WHERE idempotency_key IN ({marks})"
                ),
                chunk,
            )
            for key, event_type, payload in cur.fetchall():
                pending, new_payload = keyed[key]
                same_type = event_type == type(pending.event).model_fields["type"].default
                if not same_type or payload.encode() != new_payload:
                    raise DuplicateEvent(
                        f"idempotency key {key!r} was already used for a different event"
                    )
                skip.add(id(pending))
        return skip

    def stored_idempotency_keys(self, keys: Sequence[str]) -> set[str]:
        """The subset of ``keys`` already stored."""
        found: set[str] = set()
        unique = list(dict.fromkeys(keys))
        with self._read_cursor() as cur:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    self._sql(
                        f"SELECT idempotency_key FROM events WHERE idempotency_key IN ({marks})"
                    ),
                    chunk,
                )
                found.update(row[0] for row in cur.fetchall())
        return found

    def _stream_state(self, cur: Any, stream: str) -> tuple[int, int]:
        sql = self._sql
        cur.execute(sql("SELECT id FROM streams WHERE name = ?"), (stream,))
        found = cur.fetchone()
        if found is None:
            cur.execute(sql("INSERT INTO streams (name) VALUES (?)"), (stream,))
            cur.execute(sql("SELECT id FROM streams WHERE name = ?"), (stream,))
            return int(cur.fetchone()[0]), 0
        stream_id = int(found[0])
        cur.execute(
            sql("SELECT MAX(stream_version) FROM events WHERE stream_id = ?"),
            (stream_id,),
        )
        version = cur.fetchone()[0]
        return stream_id, int(version or 0)

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> Head | None:
        """The last event's seq, hash and time, or None for an empty ledger."""
        with self._read_cursor() as cur:
            cur.execute("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1")
            row = cur.fetchone()
        return None if row is None else Head(row[0], bytes(row[1]).hex(), row[2])

    def count(self) -> int:
        with self._read_cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM events")
            return int(cur.fetchone()[0])

    def stream_version(self, stream: str) -> int:
        """Current version of a stream (0 if it has no events)."""
        with self._read_cursor() as cur:
            cur.execute(
                self._sql(
                    "SELECT MAX(e.stream_version) FROM events e JOIN streams s ON s.id = e.stream_id "
                    "WHERE s.name = ?"
                ),
                (stream,),
            )
            return int(cur.fetchone()[0] or 0)

    def stream_versions(self, streams: Sequence[str]) -> dict[str, int]:
        """Current versions of many streams (absent streams are at 0)."""
        result = dict.fromkeys(streams, 0)
        names = list(result)
        with self._read_cursor() as cur:
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    self._sql(
                        "SELECT s.name, MAX(e.stream_version) FROM streams s JOIN events e "
                        f"ON e.stream_id = s.id WHERE s.name IN ({marks}) GROUP BY s.name"
                    ),
                    chunk,
                )
                for name, version in cur.fetchall():
                    result[name] = int(version)
        return result

    def last_event_types(self, streams: Sequence[str]) -> dict[str, str]:
        """Type of the latest event of each existing stream among ``streams``."""
        result: dict[str, str] = {}
        names = list(dict.fromkeys(streams))
        with self._read_cursor() as cur:
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    self._sql(
                        "SELECT s.name, e.type FROM streams s JOIN events e ON e.stream_id = s.id "
                        f"WHERE s.name IN ({marks}) AND e.stream_version = "
                        "(SELECT MAX(stream_version) FROM events WHERE stream_id = s.id)"
                    ),
                    chunk,
                )
                result.update({name: event_type for name, event_type in cur.fetchall()})
        return result

    def _select(
        self,
        *,
        start: int = 1,
        stop: int | None = None,
        stream: str | None = None,
        stream_prefix: str | None = None,
        types: Sequence[str] | None = None,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> tuple[str, list[Any]]:
        clauses = ["e.seq >= ?"]
        params: list[Any] = [start]
        if stop is not None:
            clauses.append("e.seq <= ?")
            params.append(stop)
        if stream is not None:
            clauses.append("s.name = ?")
            params.append(stream)
        if stream_prefix is not None:
            clauses.append("substr(s.name, 1, ?) = ?")
            params += [len(stream_prefix), stream_prefix]
        if types:
            clauses.append(f"e.type IN ({','.join('?' * len(types))})")
            params += list(types)
        if actor is not None:
            clauses.append("e.actor = ?")
            params.append(actor)
        if since is not None:
            clauses.append("e.recorded_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("e.recorded_at <= ?")
            params.append(until)
        where = " AND ".join(clauses)
        return (
            f"SELECT {_COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id WHERE {where}",
            params,
        )

    def _paged(self, decode: Callable[[Sequence[Any]], Any], **filters: Any) -> Iterator[Any]:
        query, params = self._select(**filters)
        query = self._sql(query + " AND e.seq > ? ORDER BY e.seq LIMIT ?")
        after = 0
        while True:
            with self._read_cursor() as cur:
                cur.execute(query, [*params, after, READ_BATCH])
                batch = cur.fetchall()
            for row in batch:
                yield decode(row)
            if len(batch) < READ_BATCH:
                return
            after = batch[-1][0]

    def read(self, **filters: Any) -> Iterator[StoredEvent]:
        """Stored events in seq order, streamed in pages (constant memory).

        Filters: ``start``, ``stop`` (seq, inclusive), ``stream``, ``stream_prefix``, ``types``,
        ``actor``, ``since``/``until`` (recorded_at, inclusive, ISO text).
        """
        return self._paged(_row_to_event, **filters)

    def read_chain(self, start: int = 1, stop: int | None = None) -> Iterator[ChainRow]:
        """Rows for hash-chain verification, streamed in seq order."""
        return self._paged(_row_to_chain, start=start, stop=stop)

    def get(self, seq: int) -> StoredEvent:
        for event in self.read(start=seq, stop=seq):
            return event
        raise NotFound(f"no event with seq {seq}")

    def seq_of_event_id(self, event_id: str) -> int:
        try:
            key = uuid.UUID(event_id).bytes
        except ValueError as exc:
            raise InvalidInput(f"{event_id!r} is not an event id (UUID)") from exc
        with self._read_cursor() as cur:
            cur.execute(self._sql("SELECT seq FROM events WHERE event_id = ?"), (key,))
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"no event with id {event_id}")
        return int(row[0])

    def seq_at_time(self, moment: str) -> int:
        """Last seq recorded at or before ``moment`` (0 if none). ``recorded_at`` never decreases
        along seq, so this is a binary search by primary key, with no time index needed."""
        with self._read_cursor() as cur:
            cur.execute("SELECT MAX(seq) FROM events")
            high = int(cur.fetchone()[0] or 0)
            low = 0
            while low < high:
                middle = (low + high + 1) // 2
                cur.execute(self._sql("SELECT recorded_at FROM events WHERE seq = ?"), (middle,))
                row = cur.fetchone()
                if row is not None and row[0] <= moment:
                    low = middle
                else:
                    high = middle - 1
            return low

    def stream_names(self, prefix: str) -> list[str]:
        """Names of the streams starting with ``prefix``."""
        with self._read_cursor() as cur:
            cur.execute(
                self._sql("SELECT name FROM streams WHERE substr(name, 1, ?) = ? ORDER BY name"),
                (len(prefix), prefix),
            )
            return [row[0] for row in cur.fetchall()]

    def stream_version_gaps(self) -> list[tuple[str, int, int]]:
        """Streams whose versions are not exactly 1..n: (stream, count, max version)."""
        with self._read_cursor() as cur:
            cur.execute(
                "SELECT s.name, COUNT(*), MIN(e.stream_version), MAX(e.stream_version) FROM events e "
                "JOIN streams s ON s.id = e.stream_id GROUP BY s.name "
                "HAVING COUNT(*) <> MAX(e.stream_version) OR MIN(e.stream_version) <> 1"
            )
            return [(row[0], int(row[1]), int(row[3])) for row in cur.fetchall()]

    def first_seq_of_stream_version(self, stream: str, version: int) -> int | None:
        with self._read_cursor() as cur:
            cur.execute(
                self._sql(
                    "SELECT e.seq FROM events e JOIN streams s ON s.id = e.stream_id "
                    "WHERE s.name = ? AND e.stream_version = ?"
                ),
                (stream, version),
            )
            row = cur.fetchone()
        return None if row is None else int(row[0])
