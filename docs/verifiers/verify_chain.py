"""Re-verify a defledger SQLite ledger with the standard library only: the hash chain, seqs
without gaps, times that never decrease, payloads and sources stored as canonical JSON."""

import hashlib
import json
import sqlite3
import sys
import uuid
from datetime import datetime, timedelta

SAFE = 2**53 - 1  # integers beyond this are not exact in JSON (RFC 8785, I-JSON)
DEPTH = 100  # objects and arrays nest at most this deep in a payload or source


def refuse(what):
    raise ValueError(what)


def pairs(items):  # an object's members, refusing a key seen twice
    return dict(items) if len({k for k, _ in items}) == len(items) else refuse("duplicate key")


def integer(text):
    return int(text) if abs(int(text)) <= SAFE else refuse(f"integer {text} is too large")


def strict_object(raw):
    """The JSON object stored as ``raw`` (UTF-8), or ValueError: invalid JSON, a duplicate
    key, a float, NaN/Infinity, an integer beyond 2**53 - 1 or anything but an object (or
    RecursionError, nested too deep for Python to parse)."""
    value = json.loads(
        raw.decode("utf-8"),
        object_pairs_hook=pairs,
        parse_float=lambda t: refuse(f"float {t}"),
        parse_int=integer,
        parse_constant=lambda t: refuse(t),
    )
    return value if isinstance(value, dict) else refuse("not an object")


def canonical(value, depth=1):
    """RFC 8785 text of JSON without floats: no whitespace, members sorted by the UTF-16 code
    units of their keys, strings with the minimal escapes (as json.dumps writes them)."""
    if isinstance(value, dict | list) and depth > DEPTH:
        refuse(f"nested more than {DEPTH} deep")
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return "{" + ",".join(f"{canonical(k)}:{canonical(v, depth + 1)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v, depth + 1) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def stored_object(raw):
    """The object stored as ``raw``, or ValueError unless ``raw`` is exactly its RFC 8785 text."""
    value = strict_object(raw)
    return value if canonical(value).encode("utf-8") == raw else refuse("not canonical")


def fail(seq, kind):
    print(f"FAILED at seq {seq}: {kind}", file=sys.stderr)
    sys.exit(3)


db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
db.text_factory = bytes  # every text as its stored bytes: decoded (and checked) below
rows = db.execute(
    "SELECT e.seq, e.event_id, s.name, e.stream_version, t.name, e.schema_version, e.payload,"
    " e.recorded_at, a.name, e.reason, e.source, e.idempotency_key, e.hash FROM events e"
    " JOIN streams s ON s.id = e.stream_id JOIN event_types t ON t.id = e.type_id"
    " JOIN actors a ON a.id = e.actor_id ORDER BY e.seq"
)
prev, expected, prev_at = bytes(32), 1, None  # prev: the hash of the row before (zeros at first)
epoch = datetime(1970, 1, 1)  # recorded_at is stored as microseconds since then, UTC
for seq, eid, stream, version, kind, schema, payload, at, actor, reason, source, key, h in rows:
    if seq > expected:  # rows deleted from the middle: the first missing seq is the bad one
        fail(expected, f"seq-gap (seq {expected} is missing)")
    if seq < expected:
        fail(seq, "seq-gap (seqs run 1, 2, 3, ...)")
    try:
        payload = stored_object(payload)
    except (ValueError, RecursionError) as exc:
        fail(seq, f"non-canonical payload ({exc})")
    try:
        source = None if source is None else stored_object(source)
    except (ValueError, RecursionError) as exc:
        fail(seq, f"non-canonical source ({exc})")
    if isinstance(at, int) and isinstance(prev_at, int) and at < prev_at:
        fail(seq, "time-regression (recorded_at is earlier than the event before it)")
    try:
        name = [None if v is None else v.decode("utf-8") for v in (stream, kind, actor)]
        reason, key = (None if v is None else v.decode("utf-8") for v in (reason, key))
        envelope = {
            "seq": seq,
            "event_id": str(uuid.UUID(bytes=eid)),
            "stream": name[0],
            "stream_version": version,
            "type": name[1],
            "schema_version": schema,
            "payload": payload,
            "recorded_at": (epoch + timedelta(microseconds=at)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": name[2],
            "reason": reason,
            "source": source,
            "idempotency_key": key,
            "prev_hash": prev.hex(),
        }
        digest = hashlib.sha256(prev + canonical(envelope).encode("utf-8")).digest()
    except (TypeError, ValueError, OverflowError):  # a value no envelope can hold
        digest = None
    if digest != h:
        fail(seq, "hash-mismatch (the stored hash is not that of the contents and the hash before)")
    prev, expected, prev_at = h, seq + 1, at
print(f"ok: {expected - 1} events, head {prev.hex()}")
