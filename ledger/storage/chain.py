"""The hash chain: how each event's hash is computed, and how a whole ledger is verified.

``hash = SHA-256(prev_hash ‖ RFC 8785 JSON of the envelope without hash)``, where ``prev_hash``
is the previous event's hash as 32 raw bytes (32 zero bytes before seq 1; in JSON, 64 ``0``
hex digits) and the envelope is the object of ``events.ENVELOPE_FIELDS`` minus ``hash``, with
``payload`` and ``source`` as JSON objects. ``docs/chain.md`` states it for auditors.

The store keeps ``prev_hash`` only as what it is, the stored hash of the row before: each row
is checked against that, so an edited row is reported at its own seq, and a replaced hash at
the row after it (which is still chained to the original).

A hash covers the stored bytes, so a row rewritten with care (its hash and every later one
recomputed) passes the hash check. Verification therefore also checks what the spec promises
of every row whatever its hash: payload and source stored exactly as the RFC 8785 text of a
JSON object (``non-canonical``: ``ledger.storage.canonical.is_canonical_object``), ``recorded_at``
never
decreasing along seq (``time-regression``), and no seq missing (``seq-gap``, at the first one
missing).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ledger.storage.canonical import canonical_json, is_canonical_object, why_not_canonical
from ledger.storage.times import cached_text_of

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
    return value.__class__ is int and -_MAX_SAFE_INT < value < _MAX_SAFE_INT


def chain_hash(prev_hash: bytes, envelope: bytes) -> bytes:
    """SHA-256 over the previous hash (32 raw bytes) followed by the canonical envelope."""
    return hashlib.sha256(prev_hash + envelope).digest()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stored history, as data."""

    seq: int
    kind: str  # hash-mismatch | broken-link | seq-gap | non-canonical | time-regression | ...
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
    payload_json: str | bytes
    recorded_at: str
    actor: str
    reason: str | None
    source_json: str | bytes | None
    idempotency_key: str | None
    prev_hash: bytes
    hash: bytes


def uuid_text(raw: bytes) -> str:
    """``str(uuid.UUID(bytes=raw))`` without building a UUID object."""
    if len(raw) != 16:
        return str(uuid.UUID(bytes=raw))  # raises as before
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def chain_query(sqlite: bool = True) -> str:
    """What verification reads of each row, in seq order: the envelope without prev_hash (the
    previous row's hash, which the check carries along) with event id and hash as bytes, and
    payload and source as their stored UTF-8 bytes (checked byte for byte against their
    canonical form, and not decoded to text only to be encoded again)."""
    as_bytes = "CAST({} AS BLOB)" if sqlite else "convert_to({}, 'UTF8')"
    return (
        "SELECT e.seq, e.event_id, s.name, e.stream_version, t.name, e.schema_version, "
        f"{as_bytes.format('e.payload')}, e.recorded_at, a.name, e.reason, "
        f"{as_bytes.format('e.source')}, e.idempotency_key, e.hash "
        "FROM events e JOIN streams s ON s.id = e.stream_id "
        "JOIN event_types t ON t.id = e.type_id JOIN actors a ON a.id = e.actor_id"
    )


NOT_A_TIME = "(not a stored time"


def chain_blob(value: Any) -> bytes:
    """A stored hash (BLOB) as bytes; a value of another type (a hand-edited row) becomes bytes
    that no SHA-256 digest equals, so the row is reported, never raised on."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return f"(not a stored hash: {type(value).__name__})".encode()


def chain_event_id(value: Any) -> str:
    """A stored event id (16 bytes) as the envelope's UUID text; anything else a text no
    envelope can hold, so the row's hash cannot match."""
    if isinstance(value, bytes | bytearray | memoryview) and len(value) == 16:
        return uuid_text(bytes(value))
    return f"(not a stored event id: {type(value).__name__})"


def chain_time(value: Any) -> str:
    """A stored ``recorded_at`` as the envelope's text; for a value that is not a stored time
    (a hand-edited row), a text no envelope can hold, so the row's hash cannot match."""
    try:
        return cached_text_of(value)
    except (TypeError, ValueError):
        return f"{NOT_A_TIME}: {value!r})"


def row_to_chain(row: Sequence[Any]) -> ChainRow:
    """A row of the store's full read (event id and hashes as bytes; prev_hash NULL when no
    row precedes it: the genesis hash) as a ``ChainRow``."""
    prev = GENESIS_HASH if row[12] is None else chain_blob(row[12])
    return ChainRow(
        row[0], chain_event_id(row[1]), row[2], row[3], row[4], row[5], row[6],
        chain_time(row[7]), row[8], row[9], row[10], row[11], prev, chain_blob(row[13]),
    )  # fmt: skip


def scanned_to_chain(row: Sequence[Any], previous: bytes) -> ChainRow:
    """A row of ``ledger.audit.scan.CHAIN_QUERY`` as a ``ChainRow`` chained to ``previous``."""
    return ChainRow(
        row[0], chain_event_id(row[1]), row[2], row[3], row[4], row[5], row[6],
        chain_time(row[7]), row[8], row[9], row[10], row[11], previous, chain_blob(row[12]),
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


def implied_hash(row: ChainRow, previous: bytes) -> bytes | None:
    """``recompute``, or None when the stored text cannot be what was hashed (not UTF-8)."""
    try:
        return recompute(row, previous)
    except (TypeError, ValueError):
        return None


def row_problems(
    row: ChainRow,
    expected_seq: int,
    previous: bytes,
    replaced: bytes | None = None,
    previous_at: str | None = None,
) -> tuple[list[Problem], bytes | None]:
    """Every problem of one row, given the seq it should have, the previous row's stored hash
    and time (``previous_at``, None before seq 1); ``replaced`` is the hash the previous row's
    contents give when its stored hash does not match them. Also returns the hash this row's
    contents give if its stored hash does not match them (the next row's ``replaced``), else
    None. Problems come in seq order: missing seqs before this row, then this row's.

    A row whose hash does not match, but that was chained to the previous row's *original*
    hash (``replaced``), is intact: the previous hash was replaced, and the link is broken.
    After a seq gap the row it was chained to is gone, so a mismatch there is reported as a
    broken link (with the gap), not as an edit of this row: the two cannot be told apart."""
    problems: list[Problem] = []
    if row.seq != expected_seq:
        problems.append(gap_problem(row.seq, expected_seq))
    problems.extend(content_problems(row, previous_at))
    implied = implied_hash(row, previous)
    if implied == row.hash:
        return problems, None
    if replaced is not None and implied_hash(row, replaced) == row.hash:
        problems.append(
            Problem(
                row.seq,
                "broken-link",
                f"seq {row.seq}: chained to a previous hash that is not the one stored "
                "(the previous event's hash was replaced)",
            )
        )
        return problems, None
    if row.seq != expected_seq and implied is not None:
        problems.append(
            Problem(
                row.seq,
                "broken-link",
                f"seq {row.seq}: not chained to the hash of seq {expected_seq - 1}, "
                "the event stored before it",
            )
        )
        return problems, None
    message = (
        f"seq {row.seq}: stored hash does not match its contents and the hash before it"
        if implied is not None
        else f"seq {row.seq}: stored contents are not valid UTF-8, so cannot match the hash"
    )
    problems.append(Problem(row.seq, "hash-mismatch", message))
    return problems, implied


def gap_problem(seq: int, expected_seq: int) -> Problem:
    """The row at ``seq`` where ``expected_seq`` was due: the seqs in between are missing
    (reported at the first of them), or ``seq`` is out of place (below 1)."""
    if seq < expected_seq:
        return Problem(seq, "seq-gap", f"seq {seq} is out of place: seqs run 1, 2, 3, …")
    if seq == expected_seq + 1:
        return Problem(expected_seq, "seq-gap", f"seq {expected_seq} is missing")
    return Problem(expected_seq, "seq-gap", f"seqs {expected_seq}..{seq - 1} are missing")


def content_problems(row: ChainRow, previous_at: str | None) -> list[Problem]:
    """What is wrong with a row's stored contents whatever its hash: a payload or source that
    is not exactly canonical JSON of an object (a source may be NULL), a time before the
    previous row's (``recorded_at`` never decreases along seq)."""
    problems = [
        Problem(row.seq, "non-canonical", f"seq {row.seq}: the stored {column} {reason}")
        for column, text in (("payload", row.payload_json), ("source", row.source_json))
        if text is not None and not is_canonical_object(text)
        for reason in (why_not_canonical(text),)
    ]
    if time_regressed(previous_at, row.recorded_at):
        problems.append(
            Problem(
                row.seq,
                "time-regression",
                f"seq {row.seq}: recorded_at {row.recorded_at} is earlier than "
                f"{previous_at}, the time of the event before it",
            )
        )
    return problems


def time_regressed(previous_at: str | None, recorded_at: str) -> bool:
    """True when ``recorded_at`` is before ``previous_at``, both envelope times (texts of one
    fixed width: their order is time order). A value that is not a stored time (``chain_time``)
    is not compared: its row's hash cannot match."""
    return (
        previous_at is not None
        and recorded_at < previous_at
        and not previous_at.startswith(NOT_A_TIME)
        and not recorded_at.startswith(NOT_A_TIME)
    )


def check_chain(rows: Iterable[ChainRow], stop_seq: int | None = None) -> Iterator[Problem]:
    """Stream the rows in seq order and yield every problem found, up to ``MAX_PROBLEMS``.

    Each row is checked against the previous row's stored hash (whatever the row says its
    ``prev_hash`` is: the store derives that from the same row), so an edit is reported at the
    seq that was edited and not at every seq after it.
    """
    expected_seq = 1
    previous = GENESIS_HASH
    replaced: bytes | None = None
    previous_at: str | None = None
    found = 0
    for row in rows:
        if stop_seq is not None and row.seq > stop_seq:
            break
        if (
            row.seq == expected_seq
            and (previous_at is None or row.recorded_at >= previous_at)
            and implied_hash(row, previous) == row.hash
            and is_canonical_object(row.payload_json)
            and (row.source_json is None or is_canonical_object(row.source_json))
        ):
            previous = row.hash  # the common case first: nothing to report, nothing built
            previous_at = row.recorded_at
            expected_seq += 1
            replaced = None
            continue
        problems, replaced = row_problems(row, expected_seq, previous, replaced, previous_at)
        for problem in problems:
            yield problem
            found += 1
            if found >= MAX_PROBLEMS:
                return
        previous = row.hash
        previous_at = row.recorded_at
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
