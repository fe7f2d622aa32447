"""Re-verify a defledger SQLite ledger's hash chain with the standard library only."""

import hashlib
import json
import sqlite3
import sys
import uuid

db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute(
    "SELECT e.seq, e.event_id, s.name, e.stream_version, e.type, e.schema_version, e.payload,"
    " e.recorded_at, e.actor, e.reason, e.source, e.idempotency_key, e.prev_hash, e.hash"
    " FROM events e JOIN streams s ON s.id = e.stream_id ORDER BY e.seq"
)
prev, expected = bytes(32), 1
for seq, eid, stream, version, kind, schema, payload, at, actor, reason, source, key, ph, h in rows:
    envelope = {
        "seq": seq,
        "event_id": str(uuid.UUID(bytes=eid)),
        "stream": stream,
        "stream_version": version,
        "type": kind,
        "schema_version": schema,
        "payload": json.loads(payload),
        "recorded_at": at,
        "actor": actor,
        "reason": reason,
        "source": json.loads(source) if source else None,
        "idempotency_key": key,
        "prev_hash": prev.hex(),
    }
    canonical = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if seq != expected or ph != prev or hashlib.sha256(prev + canonical.encode()).digest() != h:
        sys.exit(f"FAILED at seq {seq}")
    prev, expected = h, seq + 1
print(f"ok: {expected - 1} events, head {prev.hex()}")
