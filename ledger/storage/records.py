"""What the store takes and gives: pending events and stream writes, stored events with their
envelope, and the decoding of a stored row (with the checks that name a damaged seq).

Kept apart from ``ledger.storage.store`` (the transactions and SQL) so that code which only handles
events — projections, exports, rules — need not read the storage engine.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

import events  # its models load on first use (events.registry)
from events.quoting import clipped
from events.upcasters import upcast
from ledger.errors import IntegrityFailure, describe_validation_error

if TYPE_CHECKING:
    from events import EventModel, Provenance
from ledger.storage.canonical import canonical_json
from ledger.storage.chain import GENESIS_HASH, uuid_text
from ledger.storage.times import cached_text_of, micros_at, text_of

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """Transaction time as hashed: UTC, microseconds, ``Z`` (sorts as text);
    ``ledger.storage.times``."""
    return text_of(micros_at(moment.astimezone(UTC)))


def stored_time(seq: int, value: Any) -> str:
    """A stored ``recorded_at`` (integer) as the envelope's text, or ``IntegrityFailure``."""
    try:
        return cached_text_of(value)
    except (TypeError, ValueError):
        raise IntegrityFailure(
            f"seq {seq}: the stored recorded_at is not a time; {ALTERED}"
        ) from None


@dataclass(frozen=True)
class PendingEvent:
    """A validated event and its provenance, not yet stored. Its stream name and canonical
    JSON are computed once, when first asked for (the import path asks several times)."""

    event: EventModel
    provenance: Provenance

    @cached_property
    def stream(self) -> str:
        return events.stream_of(self.event)

    @cached_property
    def payload_json(self) -> bytes:
        """The payload's canonical (RFC 8785) JSON, as stored and hashed."""
        return canonical_json(events.event_payload(self.event))

    @cached_property
    def payload(self) -> dict[str, Any]:
        """``payload_json`` decoded: the payload as a fold of stored events reads it (shared:
        read it, never change it)."""
        decoded: dict[str, Any] = orjson.loads(self.payload_json)
        return decoded

    @cached_property
    def source_json(self) -> bytes | None:
        """The source's canonical JSON, or None."""
        source = self.provenance.source
        return None if source is None else canonical_json(source.model_dump(mode="json"))

    def with_provenance(self, provenance: Provenance) -> PendingEvent:
        """The same event under another provenance, keeping what was already encoded (the
        source's JSON too when the source is the same object, as after ``model_copy``)."""
        other = PendingEvent(self.event, provenance)
        cached = self.__dict__
        for name in ("stream", "payload_json"):
            if name in cached:
                other.__dict__[name] = cached[name]
        if "source_json" in cached and provenance.source is self.provenance.source:
            other.__dict__["source_json"] = cached["source_json"]
        return other


_EVENT_TYPES: dict[type, str] = {}


def event_type_of(event: EventModel) -> str:
    """``type(event).model_fields["type"].default``, cached per class (pydantic's class
    ``model_fields`` lookup is slow enough to show in the append profile)."""
    cls = type(event)
    name = _EVENT_TYPES.get(cls)
    if name is None:
        name = _EVENT_TYPES[cls] = str(cls.model_fields["type"].default)
    return name


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
        """Today's model of the stored payload; ``IntegrityFailure`` naming the seq if it
        cannot be one (every append validates it, so only an edit outside defledger can)."""
        try:
            return events.load_stored(self.type, self.schema_version, dict(self.payload))
        except DECODE_ERRORS as exc:
            raise unreadable(self.seq, self.type, self.schema_version, exc) from None

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


class EventPayload(NamedTuple):
    """What a fold reads of an event (``EventStore.read_payloads``)."""

    seq: int
    type: str
    schema_version: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class AppendResult:
    appended: tuple[StoredEvent, ...]  # empty from ``append_checked`` (only counts needed)
    skipped: int  # events whose idempotency key was already stored with the same content
    first_seq: int | None = None  # the appended seqs are first_seq..last_seq (gapless)
    last_seq: int | None = None


GENESIS_HEX = GENESIS_HASH.hex()  # the prev_hash of seq 1
ALTERED = "the ledger was altered outside defledger (run `defledger verify`)"
# What reading a stored payload that is not what its type and schema version say can raise:
# a missing member, a wrong type, a bad number, an upcaster refusing it, a model refusing it.
DECODE_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, IndexError)


def unreadable(seq: int, event_type: str, schema_version: Any, exc: Exception) -> IntegrityFailure:
    """The error for a stored payload this program cannot read as its type and schema version
    (``DECODE_ERRORS``): exit 3 naming the seq, never a traceback. Every append validated the
    payload, so only a change outside defledger can lead here."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        detail = describe_validation_error(exc)
    elif isinstance(exc, KeyError) and exc.args:
        detail = f"{clipped(str(exc.args[0]))}: missing"
    else:
        detail = clipped(str(exc) or type(exc).__name__, 200)
    return IntegrityFailure(
        f"seq {seq}: the stored {clipped(str(event_type))} payload (schema v"
        f"{clipped(str(schema_version))}) cannot be read: {detail}; {ALTERED}"
    )


def current_payload(
    event_type: str, schema_version: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """A stored payload in today's schema (upcast only when it is older; not validated: the
    folds read it field by field and report a field they cannot read with ``unreadable``)."""
    current = events.SCHEMA_VERSIONS.get(event_type)
    if current is None or schema_version == current:
        return payload
    return upcast(event_type, schema_version, dict(payload), current)


def json_object(seq: int, column: str, text: str) -> dict[str, Any]:
    """A stored JSON object, or ``IntegrityFailure`` naming the seq (never a decoder traceback)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise IntegrityFailure(f"seq {seq}: the stored {column} is not a JSON object; {ALTERED}")
    return value


def surrogate_text(data: bytes) -> str:
    """SQLite text factory for re-reading a page that holds bytes that are not UTF-8: they
    become lone surrogates, which ``not_utf8`` spots and no encoder accepts."""
    return data.decode("utf-8", "surrogateescape")


def not_utf8(row: Sequence[Any]) -> bool:
    for value in row:
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def new_event_ids(count: int) -> list[bytes]:
    """``count`` new event ids as 16 bytes: UUIDv7 (RFC 9562: the Unix time in milliseconds,
    then 74 random bits). Time-ordered ids keep the unique index on ``event_id`` growing at its
    right edge; random (v4) ids would scatter each batch over as many index pages as events,
    which halves append throughput from a few 100k events on."""
    stamp = (time.time_ns() // 1_000_000).to_bytes(6, "big")
    pool = bytearray(os.urandom(10 * count))
    ids = []
    for at in range(0, 10 * count, 10):
        pool[at] = pool[at] & 0x0F | 0x70  # version 7 (byte 6 of the UUID)
        pool[at + 2] = pool[at + 2] & 0x3F | 0x80  # RFC 9562 variant (byte 8)
        ids.append(stamp + pool[at : at + 10])
    return ids


_STORED_FIELDS = tuple(field.name for field in dataclasses.fields(StoredEvent))
_new_object = object.__new__


def stored_event(*values: Any) -> StoredEvent:
    """``StoredEvent(*values)`` at half the cost: the frozen dataclass's ``__init__`` sets each
    of its 15 fields through ``object.__setattr__``; this fills the instance dict at once (the
    same instance: equality, hashing and repr are unchanged). For the read and append loops."""
    event = _new_object(StoredEvent)
    event.__dict__.update(zip(_STORED_FIELDS, values, strict=True))
    return event


def row_to_event(row: Sequence[Any]) -> StoredEvent:
    """The ``StoredEvent`` of a ``store.read`` row; a column that is not what the schema
    stores there (an id or hash that is not bytes, a payload that is not an object: a row
    edited outside defledger) is an ``IntegrityFailure`` naming the seq."""
    try:
        return _row_to_event(row)
    except (TypeError, ValueError, AttributeError) as exc:
        raise IntegrityFailure(
            f"seq {row[0]}: the stored row cannot be read ({clipped(str(exc), 200)}); {ALTERED}"
        ) from None


def _row_to_event(row: Sequence[Any]) -> StoredEvent:
    seq, payload_json, source_json = row[0], row[6], row[10]
    return stored_event(
        seq,
        uuid_text(bytes(row[1])),
        row[2],
        row[3],
        row[4],
        row[5],
        json_object(seq, "payload", payload_json),
        payload_json,
        stored_time(seq, row[7]),
        row[8],
        row[9],
        None if source_json is None else json_object(seq, "source", source_json),
        row[11],
        GENESIS_HEX if row[12] is None else bytes(row[12]).hex(),
        bytes(row[13]).hex(),
    )


def stored_from_row(
    row: tuple[Any, ...], stream: str, event_type: str, actor: str, prev_hash: bytes
) -> StoredEvent:
    """The ``StoredEvent`` of a row ``_build_row`` made (what ``append`` returns); the row
    holds ids where the envelope has the stream, type and actor names."""
    payload_text, source_text = row[6], row[10]
    return stored_event(
        row[0], uuid_text(row[1]), stream, row[3], event_type, row[5], orjson.loads(payload_text),
        payload_text, text_of(row[7]), actor, row[9],
        None if source_text is None else orjson.loads(source_text), row[11],
        prev_hash.hex(), row[12].hex(),
    )  # fmt: skip
