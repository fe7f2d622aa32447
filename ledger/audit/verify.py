"""Verify a stored ledger: the hash chain, seq and stream-version contiguity, and an auditor's
digest (which also catches a truncated or rewritten tail)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.audit import checkpoints
from ledger.audit import scan as chain_scan
from ledger.errors import InvalidInput
from ledger.progress import Progress, counted, counted_pages
from ledger.storage.chain import ChainRow, Problem, VerifyReport, check_chain, decode_digest
from ledger.storage.store import EventStore
from ledger.tabular import Table

PHASE = "verifying events"


def verify_ledger(
    store: EventStore,
    digest: str | None = None,
    checkpoint: str | None = None,
    pubkey: str | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Recompute every hash in seq order (streamed) and report each problem as data. With a
    ``checkpoint`` (C2SP text), the same pass rebuilds the Merkle tree and the ledger must be a
    consistent extension of it (``ledger.audit.checkpoints.check_checkpoint``); ``pubkey`` checks
    the checkpoint's signature. ``progress`` hears of the events checked."""
    tee = None
    head = store.head()
    total = head.seq if head else 0
    if checkpoint is not None:  # the Merkle tree takes every hash in order: one pass
        rows: Iterable[ChainRow] = counted(store.read_chain(), progress, PHASE, total)
        tee = checkpoints.MerkleTee(rows, checkpoints.checkpoint_size(checkpoint))
        problems = list(check_chain(tee)) + _version_problems(store)
    else:
        problems = _chain_and_version_problems(store, progress)
    checked = head.seq if head else 0
    if digest is not None:
        problems.extend(_check_digest(store, digest))
    if checkpoint is not None and tee is not None:
        tee.drain()
        problems.extend(checkpoints.check_checkpoint(store, checkpoint, pubkey, tee))
    return VerifyReport(checked, checked, head.hash if head else "0" * 64, tuple(problems))


def _chain_and_version_problems(
    store: EventStore, progress: Progress | None = None
) -> list[Problem]:
    """``check_chain`` over the whole ledger, then the stream-version check: in one process
    per CPU for a large SQLite file (``chain_scan.parallel_problems``; this process checks the
    streams once its own seq range is done, while the workers finish theirs), else in this
    process over raw pages."""
    path = chain_scan.sqlite_file(store.engine.url) if store.sqlite else None
    workers = chain_scan.default_workers()
    if path is not None and workers > 1:
        head = store.head()
        if head is not None and head.seq >= chain_scan.PARALLEL_MIN_EVENTS:
            versions: list[Problem] = []
            chain = chain_scan.parallel_problems(
                path,
                head.seq,
                workers,
                meanwhile=lambda: versions.extend(_version_problems(store)),
                progress=progress,
            )
            return chain + versions
    head = store.head()
    pages = counted_pages(store.chain_pages(), progress, PHASE, head.seq if head else 0)
    return chain_scan.check_rows(pages) + _version_problems(store)


def _version_problems(store: EventStore) -> list[Problem]:
    """Streams whose versions are not exactly 1..n, each at its first event out of step."""
    return [
        Problem(
            _first_version_gap(store, stream),
            "stream-version-gap",
            f"stream {stream} has {count} events but versions up to {highest}",
        )
        for stream, count, highest in store.stream_version_gaps()
    ]


def _first_version_gap(store: EventStore, stream: str) -> int:
    """The seq of the first event of ``stream`` whose version is not the next one."""
    expected = 1
    for row in store.read_chain(stream=stream):
        if row.stream_version != expected:
            return row.seq
        expected += 1
    return 0


def _check_digest(store: EventStore, text: str) -> list[Problem]:
    try:
        kept = decode_digest(text)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    head = store.head()
    head_seq = head.seq if head else 0
    if kept["seq"] > head_seq:  # reported at the first seq missing, as a checkpoint does
        return [
            Problem(
                head_seq + 1,
                "truncated",
                f"the digest is at seq {kept['seq']} but the ledger ends at seq {head_seq}",
            )
        ]
    stored = store.get(kept["seq"]) if kept["seq"] else None
    stored_hash = stored.hash if stored else "0" * 64
    if stored_hash != kept["hash"].lower():
        return [
            Problem(
                kept["seq"],
                "digest-mismatch",
                f"seq {kept['seq']} has hash {stored_hash[:16]}…, "
                f"the digest says {kept['hash'][:16]}…",
            )
        ]
    return []


def digest(store: EventStore) -> dict[str, Any]:
    """What an auditor keeps outside the database: the head's seq, hash and time."""
    head = store.head()
    if head is None:
        return {"seq": 0, "hash": "0" * 64, "recorded_at": None}
    return {"seq": head.seq, "hash": head.hash, "recorded_at": head.recorded_at}


def verify_table(report: VerifyReport) -> Table:
    """A verification as a table: one row per problem; ``meta`` says whether it passed, how
    many events it checked, the head and the first bad seq."""
    rows = [{"seq": p.seq, "kind": p.kind, "message": p.message} for p in report.problems]
    meta: dict[str, Any] = {
        "ok": report.ok,
        "checked": report.checked,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "first_bad_seq": report.first_bad_seq,
    }
    if report.ok:
        caption = (
            f"ok: {report.checked} events verified, head seq {report.head_seq} {report.head_hash}"
        )
    else:
        caption = f"FAILED: first bad seq {report.first_bad_seq}"
    return Table("problems", ["seq", "kind", "message"], rows, meta, caption)
