"""Re-verify a defledger SQLite ledger's hash chain with the standard library only."""

import hashlib
import json
import sqlite3
import sys
import uuid
from datetime import datetime, timedelta

db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute(
    "SELECT e.seq, e.event_id, s.name, e.stream_version, t.name, e.schema_version, e.payload,"
    " e.recorded_at, a.name, e.reason, e.source, e.idempotency_key, e.hash FROM events e"
    " JOIN streams s ON s.id = e.stream_id JOIN event_types t ON t.id = e.type_id"
    " JOIN actors a ON a.id = e.actor_id ORDER BY e.seq"
)
prev, expected = bytes(32), 1  # prev_hash: the hash of the row before (zeros before seq 1)
epoch = datetime(1970, 1, 1)  # recorded_at is stored as microseconds since then, UTC
for seq, eid, stream, version, kind, schema, payload, at, actor, reason, source, key, h in rows:
    envelope = {
        "seq": seq,
        "event_id": str(uuid.UUID(bytes=eid)),
        "stream": stream,
        "stream_version": version,
        "type": kind,
        "schema_version": schema,
        "payload": json.loads(payload),
        "recorded_at": (epoch + timedelta(microseconds=at)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor,
        "reason": reason,
        "source": json.loads(source) if source else None,
        "idempotency_key": key,
        "prev_hash": prev.hex(),
    }
    canonical = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if seq != expected or hashlib.sha256(prev + canonical.encode()).digest() != h:
        sys.exit(f"FAILED at seq {seq}")
    prev, expected = h, seq + 1
print(f"ok: {expected - 1} events, head {prev.hex()}")
