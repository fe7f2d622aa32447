"""The practical limit: plain ``sqlite3`` with the hash chain (``raw_hash`` of
``docs/performance.md``). WAL, synchronous=FULL, ``executemany`` 1000 events per transaction,
orjson canonical JSON (sorted keys), ``hash = sha256(prev_hash || canonical({payload, seq,
stream, type, version}))`` as 32-byte BLOBs. No validation, no rules, no envelope beyond that.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from common import COMMANDS, GETS, checkpoint_size, median_us, sample_lines
from workload import ACTOR, batches, checksum, replay_key, split, stream_name

SORT = orjson.OPT_SORT_KEYS
GENESIS = bytes(32)
SCHEMA = """CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
    payload BLOB NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream, version))"""


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    return connection


def _envelope(seq: int, stream: str, event_type: str, version: int, payload: bytes) -> bytes:
    return orjson.dumps(
        {
            "payload": orjson.Fragment(payload),
            "seq": seq,
            "stream": stream,
            "type": event_type,
            "version": version,
        },
        option=SORT,
    )


def append(path: Path, n: int) -> dict[str, Any]:
    """Append the workload; time from "dicts in hand" to "COMMIT returned", per batch."""
    connection = _connect(path)
    connection.execute(SCHEMA)
    seq, prev, spent, count = 0, GENESIS, 0.0, 0
    versions: dict[str, int] = {}
    for batch in batches(n):
        began = time.perf_counter()
        rows = []
        for event in batch:
            event_type, fields, provenance = split(event)
            stream = f"line/{fields['jurisdiction']}/FY{fields['fiscal_year']}/{fields['line_id']}"
            version = versions.get(stream, 0) + 1
            versions[stream] = version
            seq += 1
            payload = orjson.dumps({**fields, **provenance}, option=SORT)
            digest = hashlib.sha256(prev + _envelope(seq, stream, event_type, version, payload))
            rows.append((seq, stream, version, event_type, payload, prev, digest.digest()))
            prev = rows[-1][-1]
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows)
        connection.execute("COMMIT")
        spent += time.perf_counter() - began
        count += len(batch)
    sync = int(connection.execute("PRAGMA synchronous").fetchone()[0])
    connection.close()
    size = checkpoint_size(path)
    return {
        "append_s": spent,
        "append_events": count,
        "db_bytes": size,
        "db_bytes_per_event": round(size / count, 1),
        "synchronous": sync,
    }


def replay(path: Path, n: int) -> dict[str, Any]:
    """Every event in seq order: decode, sum ``Decimal(amount)`` per (fiscal year, category)."""
    connection = _connect(path)
    began = time.perf_counter()
    sums: dict[tuple[Any, str], Decimal] = {}
    count = 0
    cursor = connection.execute("SELECT type, payload FROM events ORDER BY seq")
    while rows := cursor.fetchmany(1000):
        for event_type, payload in rows:
            data = orjson.loads(payload)
            key = replay_key(event_type, data)
            sums[key] = sums.get(key, Decimal(0)) + Decimal(data["amount"])
            count += 1
    spent = time.perf_counter() - began
    connection.close()
    return {"replay_s": spent, "replay_events": count, "checksum": checksum(sums)}


def verify(path: Path, n: int) -> dict[str, Any]:
    """Full scan, recompute every hash, check every link."""
    connection = _connect(path)
    began = time.perf_counter()
    prev, count, bad = GENESIS, 0, 0
    cursor = connection.execute(
        "SELECT seq, stream, version, type, payload, prev_hash, hash FROM events ORDER BY seq"
    )
    while rows := cursor.fetchmany(1000):
        for seq, stream, version, event_type, payload, prev_hash, stored in rows:
            envelope = _envelope(seq, stream, event_type, version, payload)
            if prev_hash != prev or hashlib.sha256(prev_hash + envelope).digest() != stored:
                bad += 1
            prev = stored
            count += 1
    spent = time.perf_counter() - began
    connection.close()
    assert bad == 0, f"raw chain broken at {bad} rows"
    return {"verify_s": spent, "verify_events": count}


def _read_stream(connection: sqlite3.Connection, stream: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        "SELECT version, type, payload FROM events WHERE stream = ? ORDER BY version", (stream,)
    ).fetchall()
    return [orjson.loads(payload) for _, _, payload in rows]


def get(path: Path, n: int) -> dict[str, Any]:
    """Reconstruct 1000 random streams (4 events each); median latency."""
    connection = _connect(path)
    samples = []
    for number in sample_lines(n, GETS, seed=1):
        stream = stream_name(number)
        began = time.perf_counter()
        events = _read_stream(connection, stream)
        samples.append(time.perf_counter() - began)
        assert events, stream
    connection.close()
    return {"get_us": median_us(samples)}


def command(path: Path, n: int) -> dict[str, Any]:
    """200 single commands: read a stream, append one revision with the expected version,
    in one ``BEGIN IMMEDIATE`` transaction committed at synchronous=FULL."""
    connection = _connect(path)
    samples = []
    for index, number in enumerate(sample_lines(n, COMMANDS, seed=2)):
        stream = stream_name(number)
        began = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        events = _read_stream(connection, stream)
        version = len(events)
        seq, prev = connection.execute(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        event_type, fields, provenance = split(
            {
                "type": "BudgetLineRevised",
                **{k: events[0][k] for k in ("jurisdiction", "fiscal_year", "line_id")},
                "amount": str(1_000_000 + index),
                "reason": "単一コマンド計測 (single-command benchmark)",
                "source": None,
            }
        )
        payload = orjson.dumps({**fields, **provenance, "actor": ACTOR}, option=SORT)
        digest = hashlib.sha256(
            prev + _envelope(seq + 1, stream, event_type, version + 1, payload)
        ).digest()
        connection.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?,?)",
            (seq + 1, stream, version + 1, event_type, payload, prev, digest),
        )
        connection.execute("COMMIT")
        samples.append(time.perf_counter() - began)
    connection.close()
    return {"command_us": median_us(samples)}


PHASES = {"append": append, "replay": replay, "verify": verify, "get": get, "command": command}
