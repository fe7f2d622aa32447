"""The append-only event store: gapless ``seq`` in commit order, optimistic concurrency per
stream, idempotent retries, all-or-nothing batches, streamed reads.

Hot paths (append, read) use DB-API cursors: SQLModel defines the schema, but ORM objects cost
more per event than the whole rest of an append. On a SQLite file the connections come from
``ledger.storage.sqlite_pool`` (the standard library alone: a read never imports SQLAlchemy);
on PostgreSQL from the SQLAlchemy engine's pool. Every driver error is translated here into a
``ledger.errors`` class.

Writes hold the ledger's write lock (``ledger.storage.write_lock``) for their whole transaction, and
``locked`` lets a caller run its own reads inside that transaction: an import's rules are checked
against exactly the state its events are appended to.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import orjson

from events.quoting import path_named, quoted
from ledger.errors import (
    ConcurrencyConflict,
    ConnectionLost,
    DuplicateEvent,
    IntegrityFailure,
    InvalidInput,
    LedgerError,
    NotFound,
    ReadOnlyLedger,
    StoreError,
)
from ledger.storage import db as dbmod
from ledger.storage import postgres as pg
from ledger.storage import sqlite_errors, write_lock
from ledger.storage.chain import (
    GENESIS_HASH,
    ChainRow,
    chain_hash,
    chain_query,
    envelope_bytes,
    row_to_chain,
    uuid_text,
)
from ledger.storage.keys import CALLER_KEY, CONTENT_KEY_PREFIX
from ledger.storage.records import (
    ALTERED,
    AppendResult,
    Clock,
    EventPayload,
    Head,
    PendingEvent,
    StoredEvent,
    StreamWrite,
    event_type_of,
    json_object,
    new_event_ids,
    not_utf8,
    row_to_event,
    stored_from_row,
    stored_time,
    surrogate_text,
    utc_now,
)
from ledger.storage.sqlite_pool import SqlitePool, connect_target
from ledger.storage.times import MIN_MICROS, micros_at, micros_of, text_of

if TYPE_CHECKING:
    from sqlalchemy import URL, Engine

T = TypeVar("T")

PG_LOCK_KEY = dbmod.PG_LOCK_KEY  # one advisory lock serialises appends to a ledger
COPY_BATCH = 5000
READ_BATCH = 2000
IN_CHUNK = 500
KEY_PAIRS_CHUNK = 400  # (stream, key) pairs per look-up: 800 parameters
# What is stored under idempotency keys. A content key (``i:`` …) is unique within its stream
# (``tables.EventRow``): it is looked up by (stream name, key) through the stream's id, one
# probe of ``uq_stream_key`` each; any other key is unique in the whole ledger, looked up
# through the partial index ``uq_caller_key`` (whose predicate the query repeats).
_CONTENT_BY_STREAM_KEY = (
    "WITH k(name, key) AS (VALUES {pairs}) "
    "SELECT e.idempotency_key, t.name, e.payload, s.name FROM k "
    "JOIN streams s ON s.name = k.name "
    "{join} events e ON e.stream_id = s.id AND e.idempotency_key = k.key "
    "JOIN event_types t ON t.id = e.type_id"
)
_CONTENT_BY_CALLER_KEY = (
    "SELECT e.idempotency_key, t.name, e.payload, s.name FROM events e "
    "JOIN event_types t ON t.id = e.type_id JOIN streams s ON s.id = e.stream_id "
    f"WHERE {CALLER_KEY.replace('idempotency_key', 'e.idempotency_key')} "
    "AND e.idempotency_key IN ({marks})"
)
# An event's prev_hash is not stored: it is the hash of the event at seq - 1 (NULL before seq 1,
# read as the genesis hash), one primary-key look-up per row.
_COLUMNS = (
    "e.seq, e.event_id, s.name, e.stream_version, t.name, e.schema_version, e.payload, "
    "e.recorded_at, a.name, e.reason, e.source, e.idempotency_key, "
    "(SELECT p.hash FROM events p WHERE p.seq = e.seq - 1), e.hash"
)
_FROM = (
    "FROM events e JOIN streams s ON s.id = e.stream_id "
    "JOIN event_types t ON t.id = e.type_id JOIN actors a ON a.id = e.actor_id"
)
_EVENT_COLUMNS = (
    "seq, event_id, stream_id, stream_version, type_id, schema_version, "
    "payload, recorded_at, actor_id, reason, source, idempotency_key, hash"
)
_INSERT = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
_COPY = f"COPY events ({_EVENT_COLUMNS}) FROM STDIN"  # PostgreSQL's bulk load of a batch
NAME_TABLES = ("streams", "event_types", "actors")  # interned names: id <-> name, insert-only
CACHED_NAME_TABLES = ("event_types", "actors")  # a handful each: their ids cached on the store


OLD_SCHEMA = (
    "this ledger was made by a development version of defledger (type, actor and prev_hash in "
    "every row): with that version, `defledger log --format jsonl -o events.jsonl`, then "
    "`defledger import events.jsonl` into a new ledger"
)


def _micros(moment: str) -> int:
    """An ISO 8601 time (naive means UTC) as a stored ``recorded_at``."""
    try:
        return micros_of(moment)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        return micros_at(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(f"{quoted(moment)} is not an ISO 8601 time") from exc


def _copied_time(row: ChainRow) -> int:
    try:
        return micros_of(row.recorded_at)
    except ValueError:
        raise IntegrityFailure(
            f"seq {row.seq}: recorded_at {quoted(row.recorded_at)} is not a time as stored"
        ) from None


def translate(exc: BaseException) -> LedgerError:
    """One place that turns a driver error into a domain error."""
    message = (
        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if str(exc)
        else type(exc).__name__
    )
    translated = pg.translate_pg(exc, message)
    if translated is not None:
        return translated
    if sqlite_errors.not_decodable(exc):
        return IntegrityFailure(f"a stored text is not valid UTF-8; {ALTERED}")
    if sqlite_errors.missing_object(exc) or pg.sqlstate_of(exc) == "42703":
        lowered = message.lower()  # the missing name is only in the message
        if any(name in lowered for name in ("event_types", "actors", "type_id", "actor_id")):
            return StoreError(OLD_SCHEMA)
        return StoreError(f"cannot open the ledger: {message}")
    busy = (
        "the ledger stayed locked by another writer for the whole lock timeout; try again "
        f"(wait longer with --lock-timeout SECONDS or {write_lock.TIMEOUT_ENV})"
    )
    translated = sqlite_errors.translate_sqlite(exc, message, busy)
    if translated is not None:
        return translated
    return StoreError(message)


def translated(exc: BaseException) -> BaseException:
    """``exc`` as a domain error if it comes from a database driver; otherwise ``exc`` itself."""
    if isinstance(exc, LedgerError) or not isinstance(exc, Exception):
        return exc
    if type(exc).__module__.split(".")[0] in ("sqlalchemy", "sqlite3", "psycopg"):
        return translate(exc)
    return exc


def abort(raw: Any, cursor: Any, sqlite: bool, exc: BaseException) -> NoReturn:
    """End a failed transaction: roll back quietly, then raise ``exc`` (translated)."""
    try:
        if sqlite:
            driver = raw.driver_connection
            if driver is not None and driver.in_transaction:
                cursor.execute("ROLLBACK")
        else:
            raw.rollback()
    except Exception:  # noqa: BLE001 - the original error is the one to report
        pass
    error = translated(exc)
    if error is exc:
        raise exc
    raise error from exc


class EventStore:
    """The ledger's event store over a SQLAlchemy engine (SQLite or PostgreSQL), or over a
    ``SqlitePool`` for a SQLite file (its engine then made only if something asks for it).

    A store is used by one thread at a time (``locked`` pins its connection)."""

    def __init__(
        self,
        engine: Engine | SqlitePool,
        clock: Clock = utc_now,
        *,
        lock_timeout: float = write_lock.DEFAULT_TIMEOUT_S,
        on_wait: Callable[[], None] | None = None,
        read_only: str | None = None,
    ) -> None:
        self._pool: SqlitePool | None = None
        self._engine: Engine | None = None
        if isinstance(engine, SqlitePool):
            self._pool = engine
        else:
            self._engine = engine
        self.clock = clock
        self.sqlite = self._engine is None or dbmod.is_sqlite(self._engine)
        self._mark = "?" if self.sqlite else "%s"
        # Type and actor ids found committed in the ledger (never ones inserted by a transaction
        # still open, which may roll back): those rows can never change or go away.
        self._known_ids: dict[tuple[str, str], int] = {}
        # names the open write transaction inserted: never cached as committed (it may roll
        # back), also when a later append of the same transaction finds them
        self._inserted: set[tuple[str, str]] = set()
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait  # called once when a write has waited a second for the lock
        self.read_only = read_only  # why this store cannot write, or None
        # (raw connection, cursor) of the write transaction ``locked`` holds open, if any
        self._pinned: tuple[Any, Any] | None = None

    @classmethod
    def open(
        cls,
        db: str | None = None,
        *,
        create: bool = False,
        read_only: bool = False,
        clock: Clock = utc_now,
        lock_timeout: float = write_lock.DEFAULT_TIMEOUT_S,
        on_wait: Callable[[], None] | None = None,
    ) -> EventStore:
        """Open the ledger at ``db`` (URL or SQLite path). ``create`` makes a new one if needed;
        otherwise a missing SQLite file is a clear error, not a new empty ledger.

        ``read_only`` opens it so that it cannot write. A SQLite ledger this process cannot
        write (read-only media, a write-protected file or directory) is opened read-only
        whatever is asked: reads work, and a write fails with ``ReadOnlyLedger``. A write waits
        up to ``lock_timeout`` seconds for another writer, calling ``on_wait`` after a second.
        """
        url = dbmod.resolve_url(db)
        path = dbmod.sqlite_path(url)
        reason = dbmod.OPENED_READ_ONLY if read_only else None
        if path is not None:
            if not path.exists():
                if not create or read_only:
                    raise NotFound(
                        f"no ledger at {path_named(path)} (run `defledger init` or pass --db)"
                    )
                if not os.access(path.parent, os.W_OK):
                    raise ReadOnlyLedger(
                        f"cannot create a ledger at {path_named(path)}: its directory is read-only"
                    )
            else:
                reason = reason or dbmod.read_only_reason(path)
                if reason is not None:
                    url = dbmod.read_only_url(path)
        target = connect_target(url)
        connector: Engine | SqlitePool = (
            dbmod.make_engine(url, lock_timeout=lock_timeout, read_only=reason is not None)
            if target is None
            else SqlitePool(
                url, target, busy_ms=write_lock.millis(lock_timeout), write=reason is None
            )  # fmt: skip
        )
        store = cls(connector, clock, lock_timeout=lock_timeout, on_wait=on_wait, read_only=reason)
        if create:
            store.init()
        return store

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for what needs SQLAlchemy (the schema, ``engine.connect()``);
        over a ``SqlitePool``, made on first use with the pool's settings."""
        if self._engine is None:
            assert self._pool is not None
            self._engine = dbmod.make_engine(
                self._pool.url, lock_timeout=self.lock_timeout, read_only=not self._pool.write
            )
        return self._engine

    @property
    def url(self) -> str | URL:
        return self._pool.url if self._pool is not None else self.engine.url

    def raw_connection(self) -> Any:
        """A DB-API connection (``close()`` gives it back to its pool): the ``SqlitePool``'s,
        or the engine's."""
        if self._pool is not None:
            return self._pool.raw_connection()
        return self.engine.raw_connection()

    def init(self) -> None:
        """Create the schema and triggers (idempotent). A read-only ledger is only checked to
        hold the events table. A SQLite ledger whose schema is complete is only checked (one
        query, no SQLAlchemy): every write command opens its ledger this way."""
        if self.read_only is not None:
            self.count()
            return
        if self._pool is not None:
            with self._read_cursor() as cur:
                if dbmod.sqlite_schema_complete(cur):
                    return
        from sqlalchemy.exc import SQLAlchemyError

        try:
            dbmod.create_schema(self.engine, self.lock_timeout, self.on_wait)
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def _refuse_write(self) -> NoReturn:
        raise ReadOnlyLedger(
            f"the ledger at {dbmod.location(self.url)} is read-only ({self.read_only}): "
            "nothing was written"
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.dispose()
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> EventStore:
        """``with EventStore.open(...) as store:`` closes the store however the block ends."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections -------------------------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement if self.sqlite else statement.replace("?", "%s")

    def _rows_in(self, cur: Any, query: str, values: Sequence[Any]) -> Iterator[Any]:
        """Rows of ``query``, whose ``{marks}`` is an ``IN (…)`` list, for all ``values`` (each
        once), ``IN_CHUNK`` at a time so no statement exceeds the drivers' parameter limits."""
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), IN_CHUNK):
            chunk = unique[start : start + IN_CHUNK]
            cur.execute(self._sql(query.format(marks=",".join("?" * len(chunk)))), chunk)
            yield from cur.fetchall()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A pooled connection, or the one ``locked`` holds (reads then see its transaction)."""
        if self._pinned is not None:
            yield self._pinned[0]
            return
        try:
            raw = self.raw_connection()
        except Exception as exc:  # the pool passes the driver's connect error through as is
            error = translated(exc)
            if isinstance(error, ConnectionLost):  # it never connected: nothing was lost
                error = StoreError(f"cannot connect to the database server: {error.what}")
            if error is exc:
                raise
            raise error from exc
        lost = False
        try:
            yield raw
        except BaseException as exc:
            lost = isinstance(translated(exc), ConnectionLost)
            raise
        finally:
            if lost:  # broken: discarded, not reset and pooled (a reset would fail noisily)
                raw.invalidate()
            else:
                raw.close()

    @contextmanager
    def _write_transaction(self) -> Iterator[Any]:
        """A write transaction holding the ledger's write lock, committed at the end of the
        block and rolled back on any error; inside ``locked``, that transaction."""
        if self._pinned is not None:
            yield self._pinned[1]
            return
        if self.read_only is not None:
            self._refuse_write()
        with self._connection() as raw:
            cursor = raw.cursor()
            stage = "write"
            self._inserted.clear()
            try:
                write_lock.acquire(
                    cursor,
                    sqlite=self.sqlite,
                    key=PG_LOCK_KEY,
                    timeout=self.lock_timeout,
                    on_wait=self.on_wait,
                )
                self._pinned = (raw, cursor)
                try:
                    yield cursor
                finally:
                    self._pinned = None
                stage = "commit"
                raw.commit() if not self.sqlite else cursor.execute("COMMIT")
            except BaseException as exc:
                lost = translated(exc)
                if isinstance(lost, ConnectionLost):  # say what became of this write
                    reworded = pg.connection_lost(lost.what, stage)
                    reworded.__cause__ = exc
                    exc = reworded
                abort(raw, cursor, self.sqlite, exc)

    def locked(self, work: Callable[[], T]) -> T:
        """``work()`` run holding the ledger's write lock, inside the write transaction that its
        appends join: every read of this store in ``work`` sees the ledger as the appends will
        find it (no other writer can commit in between), and all its appends commit together
        when it returns, or none if it raises. On PostgreSQL, ``work`` runs again after a
        serialization failure or deadlock (its transaction rolled back: nothing is doubled)."""
        if self._pinned is not None:
            return work()

        def attempt() -> T:
            with self._write_transaction():
                return work()

        return attempt() if self.sqlite else self._pg_retrying(attempt)

    @contextmanager
    def _read_cursor(self, lenient: bool = False) -> Iterator[Any]:
        with self._connection() as raw:
            if lenient:  # SQLite only; reset below, as the connection goes back to the pool
                raw.driver_connection.text_factory = surrogate_text
            cursor = raw.cursor()
            try:
                yield cursor
            except Exception as exc:
                error = translated(exc)
                if error is exc:
                    raise
                raise error from exc
            finally:
                cursor.close()  # ends a SQLite read snapshot before the connection is pooled
                if lenient:
                    raw.driver_connection.text_factory = str
                if not self.sqlite and self._pinned is None:
                    try:
                        raw.rollback()
                    except Exception:  # noqa: BLE001 - a broken connection: the pool drops it,
                        pass  # and the read's own outcome (rows or error) is what counts

    # -- writing -----------------------------------------------------------------------------

    def append(self, writes: Sequence[StreamWrite]) -> AppendResult:
        """Append every write in one transaction, or nothing.

        Raises ``ConcurrencyConflict`` when a stream is not at its expected version and
        ``DuplicateEvent`` when an idempotency key was stored for a different event. Events
        whose idempotency key is already stored with the same type and payload are skipped.
        """

        def append_now() -> AppendResult:
            with self._write_transaction() as cur:
                return self._append_locked(cur, writes)

        return self.locked(append_now)

    def _pg_retrying(self, attempt_once: Callable[[], T]) -> T:
        """PostgreSQL: run a write transaction again after a serialization failure or a
        deadlock (the whole transaction rolled back, so nothing is duplicated), a bounded number
        of times with jittered backoff, then report it."""
        delays = pg.backoff_delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return attempt_once()
            except LedgerError as exc:
                if not pg.is_retryable(exc):
                    raise
                delay = next(delays, None)
                if delay is None:
                    raise pg.gave_up(exc, attempt) from exc
                time.sleep(delay)

    def append_checked(self, writes: Sequence[StreamWrite]) -> AppendResult:
        """``append`` for a caller that has just looked up every idempotency key of ``writes``
        and found none stored and none repeated (an import's ``plan``), returning only the seq
        range (``appended`` is empty: no ``StoredEvent`` is built). The keys are not looked up
        again: the unique index on them and the expected versions still guard the insert, and
        if either trips (another writer got in since the caller's look-up) the transaction is
        rolled back and run again with the full check, so the outcome is ``append``'s.

        Inside ``locked``, after the look-up was made in the same transaction, nobody can have
        stored a key since: the append is made once, without the second look-up."""
        if self._pinned is not None:
            with self._write_transaction() as cur:
                return self._append_locked(cur, writes, check_keys=False, light=True)
        if not self.sqlite:
            return self.append(writes)
        try:
            with self._write_transaction() as cur:
                return self._append_locked(cur, writes, check_keys=False, light=True)
        except (DuplicateEvent, ConcurrencyConflict):
            pass
        with self._write_transaction() as cur:
            return self._append_locked(cur, writes, light=True)

    def append_events(self, events: Sequence[PendingEvent]) -> AppendResult:
        """Append events to their own streams at whatever version they are (no expectation)."""
        return self.append([StreamWrite(e.stream, None, [e]) for e in events])

    def _append_locked(
        self,
        cur: Any,
        writes: Sequence[StreamWrite],
        check_keys: bool = True,
        light: bool = False,
    ) -> AppendResult:
        sql = self._sql
        cur.execute(sql("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"))
        head = cur.fetchone()
        seq, prev_hash, last_time = (
            (head[0], bytes(head[1]), head[2]) if head else (0, GENESIS_HASH, MIN_MICROS)
        )
        if last_time.__class__ is not int:  # a hand-edited head: verify reports it
            last_time = MIN_MICROS
        # transaction time never decreases along seq; stored as an integer, hashed as text
        at = max(micros_at(self.clock().astimezone(UTC)), last_time)
        recorded_at = (at, text_of(at))

        encoded = [[(p, p.payload_json) for p in write.events] for write in writes]
        skip = self._already_stored(cur, encoded) if check_keys else set()
        fresh = [[(p, payload) for p, payload in items if id(p) not in skip] for items in encoded]
        touched = [w.stream for w, items in zip(writes, fresh, strict=True) if items]
        states = self._stream_states(cur, touched)
        new_events = [p for items in fresh for p, _ in items]
        type_ids = self._name_ids(cur, "event_types", [event_type_of(p.event) for p in new_events])
        actor_ids = self._name_ids(cur, "actors", [p.provenance.actor for p in new_events])
        event_ids = iter(new_event_ids(sum(map(len, fresh))))
        rows: list[tuple[Any, ...]] = []
        appended: list[StoredEvent] = []
        versions: dict[str, int] = {}
        for write, new_items in zip(writes, fresh, strict=True):
            if not new_items:
                continue
            stream_id, current = states[write.stream]
            current = versions.get(write.stream, current)
            if write.expected_version is not None and write.expected_version != current:
                raise ConcurrencyConflict(
                    f"stream {write.stream} is at version {current}, "
                    f"expected {write.expected_version}"
                )
            for pending, payload in new_items:
                if pending.stream != write.stream:
                    raise InvalidInput(
                        f"event belongs to stream {pending.stream}, not {write.stream}"
                    )
                seq += 1
                current += 1
                event_type = event_type_of(pending.event)
                actor = pending.provenance.actor
                row = self._build_row(
                    seq,
                    (stream_id, write.stream),
                    current,
                    (type_ids[event_type], event_type),
                    (actor_ids[actor], actor),
                    pending,
                    payload,
                    recorded_at,
                    prev_hash,
                    next(event_ids),
                )
                rows.append(row)
                if not light:
                    stored = stored_from_row(row, write.stream, event_type, actor, prev_hash)
                    appended.append(stored)
                prev_hash = row[-1]
            versions[write.stream] = current
        if rows:
            insert = sql(_INSERT)
            if len(rows) == 1:  # one round trip (psycopg's executemany pipelines: several)
                cur.execute(insert, rows[0])
            elif self.sqlite:
                cur.executemany(insert, rows)
            else:  # PostgreSQL: COPY, one statement for the batch instead of one per row
                with cur.copy(_COPY) as copy:
                    for row in rows:
                        copy.write_row(row)
        first = rows[0][0] if rows else None
        return AppendResult(tuple(appended), len(skip), first, rows[-1][0] if rows else None)

    def _build_row(
        self,
        seq: int,
        stream: tuple[int, str],
        version: int,
        event_type: tuple[int, str],
        actor: tuple[int, str],
        pending: PendingEvent,
        payload: bytes,
        recorded_at: tuple[int, str],
        prev_hash: bytes,
        event_id_bytes: bytes,
    ) -> tuple[Any, ...]:
        """The events-table row of one new event (with its chain hash); stream, type and actor
        are (id, name) pairs and the time (micros, text): the row holds the first, the hashed
        envelope the second."""
        event = pending.event
        prov = pending.provenance
        schema_version = int(event.schema_version)
        event_id = uuid_text(event_id_bytes)
        source_json = pending.source_json
        digest = chain_hash(
            prev_hash,
            envelope_bytes(  # positional: the hot path
                seq,
                event_id,
                stream[1],
                version,
                event_type[1],
                schema_version,
                payload,
                recorded_at[1],
                actor[1],
                prov.reason,
                source_json,
                prov.idempotency_key,
                prev_hash,
            ),
        )
        payload_text = payload.decode()
        source_text = None if source_json is None else source_json.decode()
        row = (
            seq, event_id_bytes, stream[0], version, event_type[0], schema_version, payload_text,
            recorded_at[0], actor[0], prov.reason, source_text, prov.idempotency_key, digest,
        )  # fmt: skip
        return row

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
        pairs = [(p.stream, key) for key, (p, _) in keyed.items()]
        for key, event_type, payload, _ in self._keyed_rows(cur, pairs):
            pending, new_payload = keyed[key]
            same_type = event_type == event_type_of(pending.event)
            if not same_type or payload.encode() != new_payload:
                raise DuplicateEvent(
                    f"idempotency key {quoted(key)} was already used for a different event"
                )
            skip.add(id(pending))
        return skip

    def _keyed_rows(
        self, cur: Any, pairs: Sequence[tuple[str, str]]
    ) -> Iterator[tuple[str, str, str, str]]:
        """(key, type, payload, stream) of each stored event under one of the (stream, key)
        ``pairs``: a content key in its stream, any other key wherever it is."""
        content = list(dict.fromkeys(p for p in pairs if p[1].startswith(CONTENT_KEY_PREFIX)))
        caller = [key for _, key in pairs if not key.startswith(CONTENT_KEY_PREFIX)]
        # SQLite: CROSS JOIN keeps the pairs as the outer loop (one index probe per pair)
        join = "CROSS JOIN" if self.sqlite else "JOIN"
        for start in range(0, len(content), KEY_PAIRS_CHUNK):
            chunk = content[start : start + KEY_PAIRS_CHUNK]
            query = _CONTENT_BY_STREAM_KEY.format(pairs=",".join(["(?,?)"] * len(chunk)), join=join)
            cur.execute(self._sql(query), [value for pair in chunk for value in pair])
            yield from cur.fetchall()
        if caller:
            yield from self._rows_in(cur, _CONTENT_BY_CALLER_KEY, caller)

    def stored_idempotency_keys(self, pairs: Sequence[tuple[str, str]]) -> set[str]:
        """The keys of the (stream, key) ``pairs`` already stored (``_keyed_rows``)."""
        with self._read_cursor() as cur:
            return {row[0] for row in self._keyed_rows(cur, pairs)}

    def stored_contents(self, pairs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, str]]:
        """For each (stream, key) of ``pairs`` already stored: the (type, canonical payload
        JSON) stored under the key, so a caller can tell a retry (same content) from a reused
        key (other content)."""
        with self._read_cursor() as cur:
            rows = self._keyed_rows(cur, pairs)
            return {key: (kind, payload) for key, kind, payload, _ in rows}

    def _intern(
        self, cur: Any, table: str, names: Sequence[str], stored: set[str] | None = None
    ) -> dict[str, int]:
        """The id of each name in ``table`` (one of ``NAME_TABLES``), inserting the missing
        ones (under the append lock only): a few statements per batch, not one per name.
        ``stored`` collects the names that were there before this call."""
        assert table in NAME_TABLES
        wanted = list(dict.fromkeys(names))
        query = f"SELECT name, id FROM {table} WHERE name IN ({{marks}})"  # noqa: S608
        ids = {name: int(i) for name, i in self._rows_in(cur, query, wanted)}
        if stored is not None:
            stored.update(ids)
        missing = [name for name in wanted if name not in ids]
        if table in CACHED_NAME_TABLES:  # never streams: an import may insert a million
            self._inserted.update((table, name) for name in missing)
        if missing:
            before = 0
            if self.sqlite:
                cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
                before = int(cur.fetchone()[0])
            cur.executemany(
                self._sql(f"INSERT INTO {table} (name) VALUES (?)"),  # noqa: S608
                [(name,) for name in missing],
            )
            if self.sqlite:
                # the rows just inserted are the ones past the old largest id: read by the
                # primary key's range, not looked up by name again (a third of intern's cost)
                cur.execute(f"SELECT name, id FROM {table} WHERE id > ?", (before,))  # noqa: S608
                added = {name: int(i) for name, i in cur.fetchall()}
                if added.keys() == set(missing):
                    ids.update(added)
                    return ids
            ids.update((name, int(i)) for name, i in self._rows_in(cur, query, missing))
        return ids

    def _name_ids(self, cur: Any, table: str, names: Sequence[str]) -> dict[str, int]:
        """``_intern`` for type and actor names, with the ids already seen committed cached on
        the store (a ledger has a handful of each: a single append skips the look-ups)."""
        known = self._known_ids
        wanted = list(dict.fromkeys(names))
        result = {name: known[(table, name)] for name in wanted if (table, name) in known}
        unknown = [name for name in wanted if name not in result]
        if unknown:
            stored: set[str] = set()
            result.update(self._intern(cur, table, unknown, stored))
            # only names stored before this transaction: the ones it inserts may roll back
            known.update(
                ((table, name), result[name])
                for name in stored
                if (table, name) not in self._inserted
            )
        return result

    def _stream_states(self, cur: Any, streams: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(id, current version) of each stream, inserting the missing ones (under the append
        lock only): a few statements per batch rather than two or three per stream."""
        names = list(dict.fromkeys(streams))
        ids = self._intern(cur, "streams", names)
        versions_query = (
            "SELECT stream_id, MAX(stream_version) FROM events "
            "WHERE stream_id IN ({marks}) GROUP BY stream_id"
        )
        versions = {
            int(i): int(v) for i, v in self._rows_in(cur, versions_query, list(ids.values()))
        }
        return {name: (ids[name], versions.get(ids[name], 0)) for name in names}

    # -- copying (``defledger copy``) -----------------------------------------------------------

    def copy_rows(self, rows: Iterable[ChainRow], batch_size: int = COPY_BATCH) -> int:
        """Store events exactly as another ledger holds them (same seq, event id, stream and
        version, payload text, time, provenance and hashes), so the chain is identical.

        The rows must continue this ledger: the first one's seq and prev_hash follow its head
        (seq 1 and the genesis hash for an empty ledger); anything else is refused. Rows are
        written in batches, one transaction each under the append lock, and each batch checks
        again that it continues the head, so a concurrent writer cannot interleave. Returns how
        many rows were stored. Nothing is recomputed: verify the ledger afterwards.
        """
        copied = 0
        batch: list[ChainRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                copied += self._copy_batch(batch)
                batch = []
        if batch:
            copied += self._copy_batch(batch)
        return copied

    def _copy_batch(self, batch: Sequence[ChainRow]) -> int:
        sql = self._sql
        with self._write_transaction() as cur:
            cur.execute(sql("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"))
            head = cur.fetchone()
            head_seq, head_hash = (head[0], bytes(head[1])) if head else (0, GENESIS_HASH)
            first = batch[0]
            if first.seq != head_seq + 1:
                state = "is empty" if head_seq == 0 else f"ends at seq {head_seq}"
                raise InvalidInput(
                    f"cannot copy seq {first.seq} into a ledger that {state}: the target must be "
                    "empty (or hold exactly the events before it)"
                )
            if first.prev_hash != head_hash:
                raise IntegrityFailure(
                    f"seq {first.seq} does not follow the target's head: its prev_hash differs"
                )
            streams = self._intern(cur, "streams", [row.stream for row in batch])
            types = self._intern(cur, "event_types", [row.type for row in batch])
            actors = self._intern(cur, "actors", [row.actor for row in batch])
            values = [
                (
                    row.seq, uuid.UUID(row.event_id).bytes, streams[row.stream], row.stream_version,
                    types[row.type], row.schema_version, row.payload_json,
                    _copied_time(row), actors[row.actor], row.reason, row.source_json,
                    row.idempotency_key, row.hash,
                )
                for row in batch
            ]  # fmt: skip
            cur.executemany(sql(_INSERT), values)
        return len(batch)

    # -- reading -----------------------------------------------------------------------------

    def read_one(self, query: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a read query (``?`` placeholders), or None."""
        with self._read_cursor() as cur:
            cur.execute(self._sql(query), tuple(params))
            row = cur.fetchone()
        return None if row is None else tuple(row)

    def head(self) -> Head | None:
        """The last event's seq, hash and time, or None for an empty ledger."""
        with self._read_cursor() as cur:
            cur.execute("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1")
            row = cur.fetchone()
        if row is None:
            return None
        return Head(row[0], bytes(row[1]).hex(), stored_time(row[0], row[2]))

    def count(self) -> int:
        with self._read_cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM events")
            return int(cur.fetchone()[0])

    def stream_version(self, stream: str) -> int:
        """Current version of a stream (0 if it has no events)."""
        with self._read_cursor() as cur:
            cur.execute(
                self._sql(
                    "SELECT MAX(e.stream_version) FROM events e "
                    "JOIN streams s ON s.id = e.stream_id "
                    "WHERE s.name = ?"
                ),
                (stream,),
            )
            return int(cur.fetchone()[0] or 0)

    def stream_versions(self, streams: Sequence[str], stop: int | None = None) -> dict[str, int]:
        """Current versions of many streams (absent streams are at 0); with ``stop``, their
        versions after the events up to that seq."""
        result = dict.fromkeys(streams, 0)
        bound = "" if stop is None else f" AND e.seq <= {int(stop)}"
        query = (
            "SELECT s.name, MAX(e.stream_version) FROM streams s JOIN events e "
            f"ON e.stream_id = s.id{bound} WHERE s.name IN ({{marks}}) GROUP BY s.name"
        )
        with self._read_cursor() as cur:
            result.update(
                (name, int(version)) for name, version in self._rows_in(cur, query, list(result))
            )
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
            clauses.append(f"t.name IN ({','.join('?' * len(types))})")
            params += list(types)
        if actor is not None:
            clauses.append("a.name = ?")
            params.append(actor)
        if since is not None:
            clauses.append("e.recorded_at >= ?")
            params.append(_micros(since))
        if until is not None:
            clauses.append("e.recorded_at <= ?")
            params.append(_micros(until))
        where = " AND ".join(clauses)
        return (
            f"SELECT {_COLUMNS} {_FROM} WHERE {where}",
            params,
        )

    def _paged(
        self, decode: Callable[[Sequence[Any]], Any], raw_text: bool = False, **filters: Any
    ) -> Iterator[Any]:
        query, params = self._select(**filters)
        query = self._sql(query + " ORDER BY e.seq LIMIT ?")
        # Each page moves the lower bound (``_select``'s first clause, ``e.seq >= ?``). A second
        # lower bound such as ``AND e.seq > ?`` would let SQLite seek by the first and scan
        # every earlier row again on each page: quadratic in the ledger's size.
        first = params[0]
        while True:
            batch, lenient = self._page(query, [first, *params[1:], READ_BATCH])
            for row in batch:
                if lenient and not raw_text and not_utf8(row):
                    raise IntegrityFailure(f"seq {row[0]}: a stored text is not UTF-8; {ALTERED}")
                yield decode(row)
            if len(batch) < READ_BATCH:
                return
            first = batch[-1][0] + 1

    def _page(self, query: str, params: list[Any]) -> tuple[list[Any], bool]:
        """One page of rows, and whether it had to be read leniently: when a stored text is not
        valid UTF-8 (a SQLite file edited by hand), the page is read again with such bytes kept
        as lone surrogates, so the caller can name the seq instead of failing blind."""
        try:
            with self._read_cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall(), False
        except IntegrityFailure:
            if not self.sqlite:
                raise
        with self._read_cursor(lenient=True) as cur:
            cur.execute(query, params)
            return cur.fetchall(), True

    def read(self, **filters: Any) -> Iterator[StoredEvent]:
        """Stored events in seq order, streamed in pages (constant memory).

        Filters: ``start``, ``stop`` (seq, inclusive), ``stream``, ``stream_prefix``, ``types``,
        ``actor``, ``since``/``until`` (recorded_at, inclusive, ISO text).
        """
        return self._paged(row_to_event, **filters)

    def read_chain(
        self, start: int = 1, stop: int | None = None, stream: str | None = None
    ) -> Iterator[ChainRow]:
        """Rows for hash-chain verification, streamed in seq order. Text that is not valid
        UTF-8 comes through as lone surrogates (the chain check reports that row's seq)."""
        return self._paged(row_to_chain, raw_text=True, start=start, stop=stop, stream=stream)

    def chain_pages(self, start: int = 1, stop: int | None = None) -> Iterator[list[Any]]:
        """Rows of ``ledger.storage.chain.chain_query`` (the envelope without prev_hash; event id,
        hash, payload and source as bytes), a page at a time: what ``check_rows`` reads."""
        query = chain_query(self.sqlite) + " WHERE e.seq >= ?"
        bounds: list[Any] = []
        if stop is not None:
            query += " AND e.seq <= ?"
            bounds.append(stop)
        query = self._sql(query + " ORDER BY e.seq LIMIT ?")
        first = start
        while True:
            batch, _ = self._page(query, [first, *bounds, READ_BATCH])
            yield batch
            if len(batch) < READ_BATCH:
                return
            first = batch[-1][0] + 1

    def read_payloads(self, start: int = 1, stop: int | None = None) -> Iterator[EventPayload]:
        """(seq, type, schema_version, payload) of every event in seq order, streamed in pages:
        what a fold needs (it satisfies ``ledger.projections.fold.EventLike``), without the rest of
        the envelope. The fastest way to replay the whole ledger."""
        # SQLite hands the payload over as its UTF-8 bytes (orjson parses and checks those
        # directly, without building a str first).
        column = "CAST(e.payload AS BLOB)" if self.sqlite else "e.payload"
        query = (
            f"SELECT e.seq, t.name, e.schema_version, {column} FROM events e "
            "JOIN event_types t ON t.id = e.type_id WHERE e.seq > ?"
        )
        bounds: list[Any] = []
        if stop is not None:
            query += " AND e.seq <= ?"
            bounds.append(stop)
        query = self._sql(query + " ORDER BY e.seq LIMIT ?")
        after = start - 1
        loads, decode_error, make = orjson.loads, orjson.JSONDecodeError, tuple.__new__
        while True:
            batch, lenient = self._page(query, [after, *bounds, READ_BATCH])
            for seq, event_type, schema_version, payload in batch:
                if lenient and not_utf8((event_type, payload)):
                    raise IntegrityFailure(f"seq {seq}: a stored text is not UTF-8; {ALTERED}")
                try:
                    value = loads(payload)
                except decode_error:
                    value = None
                if value.__class__ is not dict:
                    value = json_object(seq, "payload", payload)  # raises IntegrityFailure
                yield make(EventPayload, (seq, event_type, schema_version, value))
            if len(batch) < READ_BATCH:
                return
            after = batch[-1][0]

    def get(self, seq: int) -> StoredEvent:
        for event in self.read(start=seq, stop=seq):
            return event
        head = self.head()
        if head is not None and 1 <= seq < head.seq:  # seqs have no gaps: it was deleted
            raise IntegrityFailure(
                f"seq {seq} is missing (the ledger goes on to seq {head.seq}); {ALTERED}"
            )
        raise NotFound(f"no event with seq {seq}")

    def seq_of_event_id(self, event_id: str) -> int:
        try:
            key = uuid.UUID(event_id).bytes
        except ValueError as exc:
            raise InvalidInput(f"{quoted(event_id)} is not an event id (UUID)") from exc
        with self._read_cursor() as cur:
            cur.execute(self._sql("SELECT seq FROM events WHERE event_id = ?"), (key,))
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"no event with id {event_id}")
        return int(row[0])

    def seq_at_time(self, moment: str) -> int:
        """Last seq recorded at or before ``moment`` (0 if none). ``recorded_at`` never decreases
        along seq, so this is a binary search by primary key, with no time index needed."""
        limit = _micros(moment)
        with self._read_cursor() as cur:
            cur.execute("SELECT MAX(seq) FROM events")
            high = int(cur.fetchone()[0] or 0)
            low = 0
            while low < high:
                middle = (low + high + 1) // 2
                cur.execute(self._sql("SELECT recorded_at FROM events WHERE seq = ?"), (middle,))
                row = cur.fetchone()
                if row is not None and row[0].__class__ is int and row[0] <= limit:
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
                "SELECT s.name, COUNT(*), MIN(e.stream_version), MAX(e.stream_version) "
                "FROM events e "
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
