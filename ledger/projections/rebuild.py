"""``rebuild``: recompute every projection from the events and compare with the stored ones.

In one write transaction: the stored projections are caught up (when their checkpoint still
names an event of this ledger) and copied aside; the tables are emptied and folded again from
seq 1 (page by page, snapshots on the way, memory flat); each table is compared with its copy
row by row. Every difference is reported. The rebuilt tables are kept, or, with ``--check``,
the transaction is rolled back and nothing changes.
"""

from __future__ import annotations

import time
from typing import Any

from ledger.errors import IntegrityFailure
from ledger.progress import Progress
from ledger.projections import snapshots as snap
from ledger.projections.fold import LedgerState
from ledger.projections.persisted import SNAPSHOT_EVERY, fold_range, load_small
from ledger.projections.sql import (
    Db,
    check_checkpoint,
    checkpoint_of,
    columns_of,
    ensure_tables,
    head_of,
    transaction,
)
from ledger.storage.store import EventStore
from ledger.tabular import Table

MAX_REPORTED = 200
# table -> number of leading columns that form its key
KEYED: dict[str, int] = {
    "proj_lines": 1,
    "proj_sums": 5,
    "proj_categories": 1,
    "proj_definition_versions": 2,
    "proj_definition_categories": 3,
    "proj_gdp": 3,
    "proj_targets": 2,
    "proj_rates": 3,
}
COLUMNS = ["table", "key", "stored", "rebuilt"]


class _Rollback(Exception):
    """Leaves the transaction without keeping the rebuilt tables (``--check``)."""


def _copy_aside(db: Db, table: str) -> str:
    copy = f"old_{table}"
    if db.sqlite:
        db.run(f"DROP TABLE IF EXISTS temp.{copy}")
        db.run(f"CREATE TEMP TABLE {copy} AS SELECT * FROM {table}")
    else:
        db.run(f"CREATE TEMP TABLE {copy} ON COMMIT DROP AS SELECT * FROM {table}")
    return copy


def _differences(db: Db, table: str, copy: str, width: int) -> list[dict[str, Any]]:
    columns = columns_of(table)
    only_new = db.all(f"SELECT {columns} FROM {table} EXCEPT SELECT {columns} FROM {copy}")
    only_old = db.all(f"SELECT {columns} FROM {copy} EXCEPT SELECT {columns} FROM {table}")
    new = {tuple(row[:width]): row for row in only_new}
    old = {tuple(row[:width]): row for row in only_old}
    found = []
    for key in sorted(new.keys() | old.keys(), key=repr):
        found.append(
            {
                "table": table,
                "key": "/".join(str(k) for k in key),
                "stored": _text(old.get(key)),
                "rebuilt": _text(new.get(key)),
            }
        )
    return found


def _text(row: tuple[Any, ...] | None) -> str:
    return "(absent)" if row is None else " | ".join("" if v is None else str(v) for v in row)


def _snapshot_differences(db: Db, copy: str) -> list[dict[str, Any]]:
    """Snapshots at the same seq must hold the same state (other seqs are not comparable)."""
    stored = dict(db.all(f"SELECT seq, state FROM {copy}"))
    found = []
    for seq, state in db.all("SELECT seq, state FROM proj_snapshots ORDER BY seq"):
        before = stored.get(seq)
        if before is not None and bytes(before) != bytes(state):
            old = snap.small_state(snap.decode_snapshot(bytes(before)))
            new = snap.small_state(snap.decode_snapshot(bytes(state)))
            parts = [part for part in new if old[part] != new[part]]
            found.append(
                {
                    "table": "proj_snapshots",
                    "key": str(seq),
                    "stored": "differs in " + ", ".join(parts),
                    "rebuilt": "recomputed from the events",
                }  # fmt: skip
            )
    return found


def rebuild(
    store: EventStore,
    replace: bool = True,
    snapshot_every: int = SNAPSHOT_EVERY,
    progress: Progress | None = None,
) -> Table:
    """Rebuild and compare; the Table lists every difference (none when all is well).
    ``progress`` hears of the events folded."""
    ensure_tables(store)
    started = time.perf_counter()
    differences: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    try:
        with transaction(store, write=True) as db:
            head, head_hash = head_of(db)
            checkpoint = checkpoint_of(db)
            try:
                at = check_checkpoint(db, checkpoint)
            except IntegrityFailure as exc:
                differences.append(
                    {
                        "table": "proj_checkpoints",
                        "key": "ledger",
                        "stored": str(exc),
                        "rebuilt": f"seq {head}",
                    }  # fmt: skip
                )
                at = None
            if at is not None and at < head:
                state = load_small(db, LedgerState(lines_complete=False))
                state.last_seq = at
                fold_range(db, state, at, head, snapshot_every)
            copies = {table: _copy_aside(db, table) for table in [*KEYED, "proj_snapshots"]}
            for table in copies:
                db.run(f"DELETE FROM {table}")
            fold_range(db, LedgerState(lines_complete=False), 0, head, snapshot_every, progress)
            for table, width in KEYED.items():
                differences += _differences(db, table, copies[table], width)
            differences += _snapshot_differences(db, copies["proj_snapshots"])
            for copy in copies.values():
                if db.sqlite:
                    db.run(f"DROP TABLE IF EXISTS temp.{copy}")
            meta = {
                "events": head,
                "head_hash": head_hash,
                "stored_checkpoint": None if checkpoint is None else checkpoint[0],
                "snapshots": int((db.one("SELECT COUNT(*) FROM proj_snapshots") or (0,))[0]),
                "lines": int((db.one("SELECT COUNT(*) FROM proj_lines") or (0,))[0]),
                "replaced": replace,
            }
            if not replace:
                raise _Rollback
    except _Rollback:
        pass
    seconds = time.perf_counter() - started
    meta["seconds"] = round(seconds, 3)
    meta["differences"] = len(differences)
    verdict = "no differences" if not differences else f"{len(differences)} difference(s)"
    action = "stored projections replaced" if replace else "stored projections kept (--check)"
    caption = (
        f"rebuilt projections from {meta.get('events', 0)} events in {seconds:.2f} s: {verdict}; "
        f"{action}."
    )
    return Table("differences", COLUMNS, differences[:MAX_REPORTED], meta, caption=caption)
