"""The ``events.jsonl`` line: one event's full envelope, hash included, as RFC 8785 JSON.

Each line is exactly the bytes the chain hashes with one member added: ``hash``. Removing
``hash`` and re-serialising canonically (sorted keys, no whitespace) gives back the hashed bytes,
so ``hash == SHA-256(bytes.fromhex(prev_hash) ‖ line-without-hash)`` can be checked by anyone
(docs/audit.md shows a standard-library script). Lines end with ``\\n``; the file has no BOM.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from ledger.storage.canonical import canonical_json, canonical_object, is_canonical_object
from ledger.storage.chain import ChainRow, chain_blob, chain_event_id, chain_time, recompute
from ledger.storage.records import StoredEvent
from ledger.storage.records import stored_event as new_stored_event

_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,),
    "event_id": (str,),
    "stream": (str,),
    "stream_version": (int,),
    "type": (str,),
    "schema_version": (int,),
    "payload": (dict,),
    "recorded_at": (str,),
    "actor": (str,),
    "reason": (str, type(None)),
    "source": (dict, type(None)),
    "idempotency_key": (str, type(None)),
    "prev_hash": (str,),
    "hash": (str,),
}


class LineError(ValueError):
    """A line of ``events.jsonl`` that is not a canonical event envelope."""


def event_line(event: StoredEvent) -> bytes:
    """The canonical line of a stored event, without the trailing newline."""
    source = None if event.source is None else orjson.Fragment(canonical_json(event.source))
    # Every key is ASCII and every value a string, a small integer, null or an already
    # canonical fragment: orjson with sorted keys is RFC 8785 here (see ledger.storage.canonical).
    return orjson.dumps(
        {
            "actor": event.actor,
            "event_id": event.event_id,
            "hash": event.hash,
            "idempotency_key": event.idempotency_key,
            "payload": orjson.Fragment(event.payload_json),
            "prev_hash": event.prev_hash,
            "reason": event.reason,
            "recorded_at": event.recorded_at,
            "schema_version": event.schema_version,
            "seq": event.seq,
            "source": source,
            "stream": event.stream,
            "stream_version": event.stream_version,
            "type": event.type,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def chain_row_line(row: Sequence[Any], previous: bytes) -> tuple[StoredEvent, bytes] | None:
    """The ``StoredEvent`` and canonical line of a row of ``chain_query`` (``store.chain_pages``)
    that follows the hash ``previous``, made from the stored bytes: the payload and source are
    used as stored, each parsed once, and must be canonical JSON objects (as ``verify``
    requires); None if either is not, or a text cannot be encoded (not UTF-8). The row's hash
    is not checked here: ``chain_hash(previous, without_hash(line, …))`` does that."""
    payload_raw, source_raw = row[6], row[10]
    payload = canonical_object(payload_raw)
    source = None if source_raw is None else canonical_object(source_raw)
    if payload is None or (source is None and source_raw is not None):
        return None
    event = new_stored_event(
        row[0], chain_event_id(row[1]), row[2], row[3], row[4], row[5], payload,
        payload_raw.decode("utf-8"), chain_time(row[7]), row[8], row[9], source, row[11],
        previous.hex(), chain_blob(row[12]).hex(),
    )  # fmt: skip
    try:
        # Keys ASCII, values strings, small integers, null or canonical fragments: orjson with
        # sorted keys is RFC 8785 here (see ledger.storage.canonical).
        line = orjson.dumps(
            {
                "actor": event.actor,
                "event_id": event.event_id,
                "hash": event.hash,
                "idempotency_key": event.idempotency_key,
                "payload": orjson.Fragment(payload_raw),
                "prev_hash": event.prev_hash,
                "reason": event.reason,
                "recorded_at": event.recorded_at,
                "schema_version": event.schema_version,
                "seq": event.seq,
                "source": None if source_raw is None else orjson.Fragment(source_raw),
                "stream": event.stream,
                "stream_version": event.stream_version,
                "type": event.type,
            },
            option=orjson.OPT_SORT_KEYS,
        )
    except TypeError:  # orjson.JSONEncodeError: a text that is not UTF-8 (lone surrogates)
        return None
    return event, line


def without_hash(line: bytes, hash_hex: str) -> bytes:
    """The hashed bytes of a canonical line: the line minus its ``"hash":"…",`` member (a
    JSON string cannot contain that text unescaped, so the first match is the member)."""
    member = b'"hash":"' + hash_hex.encode("ascii") + b'",'
    index = line.find(member)
    if index < 0:
        raise LineError("no hash member")
    return line[:index] + line[index + len(member) :]


_FIELD_NAMES = frozenset(_FIELDS)
_KINDS = tuple((name, frozenset(types)) for name, types in _FIELDS.items())
_STRICT = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def _flat(value: dict[str, Any] | None) -> bool:
    """True for None or an object of ASCII keys and scalar values (text, integer, boolean,
    null): the payloads and sources of every event type but a few."""
    if value is None:
        return True
    if not "".join(value).isascii():
        return False
    for item in value.values():
        kind = item.__class__
        if kind is not str and kind is not int and kind is not bool and item is not None:
            return False
    return True


def _canonical_flat(envelope: dict[str, Any], line: bytes) -> bool:
    """True if the line is the canonical form of an envelope whose payload and source are
    flat: then orjson's sorted output, refusing integers beyond ±(2**53 − 1), is RFC 8785
    (ASCII keys, no float, no container to order), so one serialisation decides. False
    says nothing: ``parse_line`` then asks ``canonical_json``."""
    if not (_flat(envelope["payload"]) and _flat(envelope["source"])):
        return False
    try:
        return orjson.dumps(envelope, option=_STRICT) == line
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 2**53
        return False


def parse_line(line: bytes) -> dict[str, Any]:
    """The envelope of one line, checked: every member present with its JSON type, hashes as
    64 hex digits, and the line byte-identical to its own canonical form."""
    try:
        envelope = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise LineError(f"not JSON ({exc})") from None
    if not isinstance(envelope, dict):
        raise LineError("not a JSON object")
    if envelope.keys() != _FIELD_NAMES:
        missing = sorted(set(_FIELDS) - set(envelope))
        extra = sorted(set(envelope) - set(_FIELDS))
        raise LineError(
            "members differ from the envelope"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else "")
        )
    for name, kinds in _KINDS:  # orjson gives exactly these classes (a bool is not an int)
        if envelope[name].__class__ not in kinds:
            raise LineError(f"{name} has the wrong JSON type")
    for name in ("prev_hash", "hash"):
        value = envelope[name]
        if len(value) != 64 or value.strip("0123456789abcdef"):
            raise LineError(f"{name} is not 64 lowercase hex digits")
    if _canonical_flat(envelope, line):
        return envelope
    try:
        canonical = canonical_json(envelope)
    except (TypeError, ValueError) as exc:
        raise LineError(f"cannot be canonicalised ({exc})") from None
    if canonical != line:
        raise LineError("not in canonical RFC 8785 form")
    if not is_canonical_object(line):  # the reference writes a float under a non-ASCII key
        raise LineError("cannot be canonicalised (floats are not allowed)")
    return envelope


def chain_row(envelope: dict[str, Any]) -> ChainRow:
    """What the chain verifier needs, from a parsed envelope."""
    source = envelope["source"]
    return ChainRow(
        seq=envelope["seq"],
        event_id=envelope["event_id"],
        stream=envelope["stream"],
        stream_version=envelope["stream_version"],
        type=envelope["type"],
        schema_version=envelope["schema_version"],
        payload_json=canonical_json(envelope["payload"]).decode("utf-8"),
        recorded_at=envelope["recorded_at"],
        actor=envelope["actor"],
        reason=envelope["reason"],
        source_json=None if source is None else canonical_json(source).decode("utf-8"),
        idempotency_key=envelope["idempotency_key"],
        prev_hash=bytes.fromhex(envelope["prev_hash"]),
        hash=bytes.fromhex(envelope["hash"]),
    )


def stored_event(envelope: dict[str, Any], row: ChainRow | None = None) -> StoredEvent:
    """A ``StoredEvent`` from a parsed envelope (what the projections fold)."""
    row = row or chain_row(envelope)
    payload_json = row.payload_json  # text, as chain_row makes it from a parsed line
    return StoredEvent(
        seq=row.seq,
        event_id=row.event_id,
        stream=row.stream,
        stream_version=row.stream_version,
        type=row.type,
        schema_version=row.schema_version,
        payload=envelope["payload"],
        payload_json=payload_json if isinstance(payload_json, str) else payload_json.decode(),
        recorded_at=row.recorded_at,
        actor=row.actor,
        reason=row.reason,
        source=envelope["source"],
        idempotency_key=row.idempotency_key,
        prev_hash=envelope["prev_hash"],
        hash=envelope["hash"],
    )


_PAYLOAD_MEMBER = b',"payload":'
_AFTER_PAYLOAD = b'},"prev_hash":"'


def line_event(line: bytes) -> tuple[StoredEvent, bytes]:
    """The ``StoredEvent`` of one line of ``events.jsonl``, checked as ``parse_line`` checks it,
    and the bytes its hash covers (the line without its ``hash`` member): what ``verify-export``
    replays, with no second serialisation of the envelope. ``LineError`` as ``parse_line``."""
    envelope = parse_line(line)
    hashed = without_hash(line, envelope["hash"])
    payload = envelope["payload"]
    # The line is canonical, so its payload member holds the payload's canonical text. Every
    # member before it is a string or null, which cannot contain the member's name unescaped,
    # so the first match is the member; orjson's sorted text is that canonical text when it is
    # there byte for byte (a whole JSON object, so it ends where the member's value ends).
    start = line.find(_PAYLOAD_MEMBER) + len(_PAYLOAD_MEMBER)
    end = line.find(_AFTER_PAYLOAD, start) + 1
    if end and _flat(payload):
        # A flat payload's text holds no '}' outside its strings but its last byte, and no
        # unescaped '"' inside them, so the first '},"prev_hash":"' ends it.
        text = line[start:end]
    else:
        text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        if not line.startswith(text, start):
            text = canonical_json(payload)
    event = new_stored_event(
        envelope["seq"], envelope["event_id"], envelope["stream"], envelope["stream_version"],
        envelope["type"], envelope["schema_version"], payload, text.decode("utf-8"),
        envelope["recorded_at"], envelope["actor"], envelope["reason"], envelope["source"],
        envelope["idempotency_key"], envelope["prev_hash"], envelope["hash"],
    )  # fmt: skip
    return event, hashed


def envelope_hash_ok(envelope: dict[str, Any]) -> bool:
    """True iff the envelope's ``hash`` is the hash of its other members."""
    row = chain_row(envelope)
    return recompute(row, row.prev_hash) == row.hash


def split_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a JSON Lines file; a missing final newline is an error."""
    if data and not data.endswith(b"\n"):
        raise LineError("the file does not end with a newline (truncated?)")
    yield from enumerate(data.split(b"\n")[:-1] if data else [], start=1)
