"""The hash chain: how each event's hash is computed, and how a whole ledger is verified.

``hash = SHA-256(prev_hash ‖ RFC 8785 JSON of the envelope without hash)``, where ``prev_hash``
is the previous event's hash as 32 raw bytes (32 zero bytes before seq 1; in JSON, 64 ``0``
hex digits) and the envelope is the object of ``events.ENVELOPE_FIELDS`` minus ``hash``, with
``payload`` and ``source`` as JSON objects. ``docs/chain.md`` states it for auditors.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ledger.canonical import canonical_json

GENESIS_HASH = bytes(32)
_MAX_SAFE_INT = 2**53
MAX_PROBLEMS = 100


def envelope_bytes(
    seq: int,
    event_id: str,
    stream: str,
    stream_version: int,
    type: str,
    schema_version: int,
    payload_json: str | bytes,
    recorded_at: str,
    actor: str,
    reason: str | None,
    source_json: str | bytes | None,
    idempotency_key: str | None,
    prev_hash: bytes,
) -> bytes:
    """Canonical bytes of the envelope without ``hash``; payload and source are already
    canonical. Positional calls are the hot path (verify, append); keywords read better."""
    envelope: dict[str, Any] = {
        "actor": actor,
        "event_id": event_id,
        "idempotency_key": idempotency_key,
        "payload": orjson.Fragment(payload_json),
        "prev_hash": prev_hash.hex(),
        "reason": reason,
        "recorded_at": recorded_at,
        "schema_version": schema_version,
        "seq": seq,
        "source": None if source_json is None else orjson.Fragment(source_json),
        "stream": stream,
        "stream_version": stream_version,
        "type": type,
    }
    if _safe_int(seq) and _safe_int(stream_version) and _safe_int(schema_version):
        # ASCII keys and safe integers: canonical_json would take this same orjson call; its
        # walk over the envelope is skipped (the hot path of every append and verify).
        return orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS)
    return canonical_json(envelope)


def _safe_int(value: object) -> bool:
    return value.__class__ is int and -_MAX_SAFE_INT < value < _MAX_SAFE_INT  # type: ignore[operator]


def chain_hash(prev_hash: bytes, envelope: bytes) -> bytes:
    """SHA-256 over the previous hash (32 raw bytes) followed by the canonical envelope."""
    return hashlib.sha256(prev_hash + envelope).digest()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stored history, as data."""

    seq: int
    kind: str  # hash-mismatch | broken-link | seq-gap | stream-version-gap | digest-mismatch | ...
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of a verification: ``ok`` iff no problems; ``checked`` events were recomputed."""

    checked: int
    head_seq: int
    head_hash: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)


class ChainRow(NamedTuple):
    """What verification needs of a stored event, straight from the table (a named tuple:
    whole-ledger scans build one per event, and tuples are the cheapest to build)."""

    seq: int
    event_id: str
    stream: str
    stream_version: int
    type: str
    schema_version: int
    payload_json: str
    recorded_at: str
    actor: str
    reason: str | None
    source_json: str | None
    idempotency_key: str | None
    prev_hash: bytes
    hash: bytes


def uuid_text(raw: bytes) -> str:
    """``str(uuid.UUID(bytes=raw))`` without building a UUID object."""
    if len(raw) != 16:
        return str(uuid.UUID(bytes=raw))  # raises as before
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def row_to_chain(row: Sequence[Any]) -> ChainRow:
    """A row of the chain query (event id and hashes as bytes) as a ``ChainRow``."""
    return ChainRow(
        row[0], uuid_text(bytes(row[1])), row[2], row[3], row[4], row[5], row[6], row[7],
        row[8], row[9], row[10], row[11], bytes(row[12]), bytes(row[13]),
    )  # fmt: skip


def recompute(row: ChainRow, prev_hash: bytes) -> bytes:
    """The hash ``row`` must have when it follows ``prev_hash``."""
    return hashlib.sha256(
        prev_hash
        + envelope_bytes(
            row.seq,
            row.event_id,
            row.stream,
            row.stream_version,
            row.type,
            row.schema_version,
            row.payload_json,
            row.recorded_at,
            row.actor,
            row.reason,
            row.source_json,
            row.idempotency_key,
            prev_hash,
        )
    ).digest()


def row_problems(row: ChainRow, expected_seq: int, previous: bytes) -> list[Problem]:
    """Every problem of one row, given the seq it should have and the previous stored hash."""
    problems: list[Problem] = []
    if row.seq != expected_seq:
        problems.append(
            Problem(row.seq, "seq-gap", f"seq {row.seq} follows seq {expected_seq - 1}")
        )
    if row.prev_hash != previous:
        problems.append(
            Problem(
                row.seq,
                "broken-link",
                f"seq {row.seq}: prev_hash does not match the hash of the previous event",
            )
        )
    try:
        matches = recompute(row, row.prev_hash) == row.hash
        message = f"seq {row.seq}: stored hash does not match its contents"
    except (TypeError, ValueError):  # text that is not UTF-8 cannot be what was hashed
        matches = False
        message = f"seq {row.seq}: stored contents are not valid UTF-8, so cannot match the hash"
    if not matches:
        problems.append(Problem(row.seq, "hash-mismatch", message))
    return problems


def check_chain(rows: Iterable[ChainRow], stop_seq: int | None = None) -> Iterator[Problem]:
    """Stream the rows in seq order and yield every problem found, up to ``MAX_PROBLEMS``.

    Each row is checked on its own terms (its stored ``prev_hash`` against the previous row's
    stored hash, its stored hash against the recomputation), so an edit is reported at the
    seq that was edited and not at every seq after it.
    """
    expected_seq = 1
    previous = GENESIS_HASH
    found = 0
    for row in rows:
        if stop_seq is not None and row.seq > stop_seq:
            break
        if row.seq == expected_seq and row.prev_hash == previous:
            try:  # the common case first: nothing to report, nothing built
                if recompute(row, previous) == row.hash:
                    previous = row.hash
                    expected_seq += 1
                    continue
            except (TypeError, ValueError):
                pass
        problems = row_problems(row, expected_seq, previous)
        for problem in problems:
            yield problem
            found += 1
            if found >= MAX_PROBLEMS:
                return
        previous = row.hash
        expected_seq = row.seq + 1


def decode_digest(text: str) -> dict[str, Any]:
    """Parse a digest (``{"seq", "hash", "recorded_at"}``) printed by ``defledger digest``."""
    try:
        data = orjson.loads(text)
        seq, digest_hash = int(data["seq"]), str(data["hash"])
        bytes.fromhex(digest_hash)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError("a digest is JSON with seq, hash and recorded_at") from exc
    return {"seq": seq, "hash": digest_hash, "recorded_at": data.get("recorded_at")}
