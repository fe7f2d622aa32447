"""Copy a whole ledger to another database (SQLite → PostgreSQL, PostgreSQL → SQLite, …) with
every stored byte preserved: the same seq, event ids, streams and versions, payload text, times,
provenance and hashes, so the copy's chain and head hash are the source's. The target is
verified afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ledger.audit.verify import verify_ledger
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.progress import Progress, counted
from ledger.storage.chain import VerifyReport
from ledger.storage.db import safe_url
from ledger.storage.meta import ledger_id
from ledger.storage.store import COPY_BATCH, EventStore, translate
from ledger.tabular import Table


@dataclass(frozen=True)
class CopyReport:
    """What was copied and how the target verified."""

    source: str
    target: str
    copied: int
    resumed_after: int  # seq the target already held before this run (0: a fresh copy)
    source_head_hash: str
    target_head_hash: str
    verify: VerifyReport

    @property
    def ok(self) -> bool:
        return self.verify.ok and self.source_head_hash == self.target_head_hash

    def table(self) -> Table:
        """The report as a one-row table (``copy`` prints it)."""
        row: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "copied": self.copied,
            "resumed_after": self.resumed_after,
            "head_seq": self.verify.head_seq,
            "source_head_hash": self.source_head_hash,
            "target_head_hash": self.target_head_hash,
            "verified": self.verify.ok,
            "identical_head": self.source_head_hash == self.target_head_hash,
        }
        state = "ok" if self.ok else "FAILED"
        caption = (
            f"{state}: copied {self.copied} events to {self.target}; the target verifies "
            f"({self.verify.checked} events) with head seq {self.verify.head_seq} "
            f"{self.target_head_hash}"
            if self.ok
            else f"{state}: the copy does not verify or its head differs from the source's"
        )
        return Table("copy", list(row), [row], {"ok": self.ok}, caption)


def copy_ledger(
    source: EventStore,
    target: EventStore,
    *,
    resume: bool = False,
    batch_size: int = COPY_BATCH,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy ``source`` into the empty ledger ``target`` (created if needed), then verify it.
    The ledger's own facts (``ledger_meta``: its id) are copied too: the copy is the same
    ledger, and the source's checkpoints name it (a source without an id yet gets one first).

    The copy stops at the source's head as of the start (a live source may grow meanwhile).
    ``resume`` continues an interrupted copy: the target must then hold exactly a prefix of the
    source (same hash at its head seq). A non-empty target is refused otherwise
    (``InvalidInput``). The copy is written in batches, each its own transaction: if it stops
    half-way, the target holds a verifiable prefix, and ``resume`` finishes it.
    """
    target.init()
    source_head = source.head()
    target_head = target.head()
    stop = source_head.seq if source_head else 0
    start_after = 0
    if target_head is not None:
        if not resume:
            raise InvalidInput(
                f"the target already holds {target_head.seq} events; copy only into an empty "
                "ledger (or --resume an interrupted copy)"
            )
        if target_head.seq > stop or source.get(target_head.seq).hash != target_head.hash:
            raise InvalidInput(
                f"the target's head (seq {target_head.seq}) is not the source's event at that "
                "seq: it is not an interrupted copy of this ledger"
            )
        start_after = target_head.seq
    _copy_meta(source, target)
    copied = target.copy_rows(
        counted(
            source.read_chain(start=start_after + 1, stop=stop),
            progress,
            "copying events",
            stop - start_after,
        ),
        batch_size=batch_size,
    )
    report = verify_ledger(target, progress=progress)
    target_hash = report.head_hash
    source_hash = source.get(stop).hash if stop else "0" * 64
    return CopyReport(
        source=safe_url(str(source.engine.url)),
        target=safe_url(str(target.engine.url)),
        copied=copied,
        resumed_after=start_after,
        source_head_hash=source_hash,
        target_head_hash=target_hash,
        verify=report,
    )


def _meta_rows(store: EventStore) -> dict[str, str]:
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT key, value FROM ledger_meta ORDER BY key")).all()
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    return {str(key): str(value) for key, value in rows}


def _copy_meta(source: EventStore, target: EventStore) -> None:
    """Carry the ledger's own facts (its id, which names it in checkpoints) to the target, so
    the copy is the same ledger. A target that already holds a different value is refused."""
    ledger_id(source)  # created on first use: fix it now, or source and copy would differ
    wanted = _meta_rows(source)
    present = _meta_rows(target)
    for key, value in wanted.items():
        if key in present and present[key] != value:
            raise InvalidInput(
                f"the target's ledger_meta {key} is {present[key]!r}, the source's {value!r}: "
                "copy into a new database"
            )
    missing = [{"key": k, "value": v} for k, v in wanted.items() if k not in present]
    if not missing:
        return
    try:
        with target.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO ledger_meta (key, value) VALUES (:key, :value)"), missing
            )
    except SQLAlchemyError as exc:
        raise translate(exc) from exc


def check_copied(report: CopyReport) -> None:
    """Raise ``IntegrityFailure`` when the copy does not verify or its head differs."""
    if not report.verify.ok:
        first = report.verify.problems[0]
        raise IntegrityFailure(
            f"the copy does not verify at seq {report.verify.first_bad_seq}: {first.message}"
        )
    if report.source_head_hash != report.target_head_hash:
        raise IntegrityFailure(
            f"the copy's head hash {report.target_head_hash} differs from the source's "
            f"{report.source_head_hash}"
        )
