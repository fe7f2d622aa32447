"""Persisted projections: the ``LedgerState`` fold kept in tables, caught up incrementally.

A read first catches the tables up from their checkpoint (the last seq applied) to the head: it
reads only the new events, loads only the lines and (jurisdiction, FY) sum groups they touch,
folds them with ``ledger.projections.fold`` and writes back what changed, in one write transaction.
Its cost grows with the new events, not with the ledger. Every ``SNAPSHOT_EVERY`` seqs the small
aggregate state (everything but the lines) is kept as a snapshot; ``state_at`` answers
``--as-of`` by folding forward from the nearest snapshot at or before the seq, reading the
previous state of the few lines that window touches from their own streams (indexed lookups).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import localcontext
from typing import Any

from ledger.errors import InvalidInput, ReadOnlyLedger, StoreError
from ledger.intake.lines import fold_lines
from ledger.progress import Progress
from ledger.projections import snapshots as snap
from ledger.projections.fold import EXACT, GroupKey, LedgerState, apply_raw, dec_str
from ledger.projections.sql import (
    CHUNK,
    LINE_COLUMNS,
    NAME,
    SMALL_TABLES,
    Db,
    check_checkpoint,
    checkpoint_of,
    columns_of,
    ensure_tables,
    event_rows,
    head_of,
    missing_tables,
    stream_rows,
    transaction,
)
from ledger.storage.store import EventStore

SNAPSHOT_EVERY = 10_000
PAGE = 5_000
_ROWS = {
    "proj_definition_versions": snap.version_rows,
    "proj_definition_categories": snap.inclusion_rows,
    "proj_gdp": snap.gdp_rows,
    "proj_targets": snap.target_rows,
    "proj_rates": snap.rate_rows,
    "proj_categories": snap.category_rows,
}
_ORDER = {
    "proj_definition_versions": "definition, version",
    "proj_definition_categories": "definition, version, category",
    "proj_gdp": "jurisdiction, fiscal_year, vintage",
    "proj_targets": "jurisdiction, target_id",
    "proj_rates": "base, quote, fiscal_year",
    "proj_categories": "code",
}


def load_small(db: Db, state: LedgerState) -> LedgerState:
    """Definitions, GDP, targets, rates and categories from their tables."""

    def rows(table: str) -> list[tuple[Any, ...]]:
        return db.all(f"SELECT {columns_of(table)} FROM {table} ORDER BY {_ORDER[table]}")

    snap.set_definitions(
        state, rows("proj_definition_versions"), rows("proj_definition_categories")
    )
    snap.set_gdp(state, rows("proj_gdp"))
    snap.set_targets(state, rows("proj_targets"))
    snap.set_rates(state, rows("proj_rates"))
    snap.set_categories(state, rows("proj_categories"))
    return state


def load_sums(db: Db, state: LedgerState, jurisdiction: str | None = None) -> None:
    sql = f"SELECT {columns_of('proj_sums')} FROM proj_sums"
    params: tuple[Any, ...] = ()
    if jurisdiction is not None:
        sql, params = sql + " WHERE jurisdiction = ?", (jurisdiction,)
    snap.add_sum_rows(state, db.all(sql, params))


def load_groups(db: Db, state: LedgerState, groups: Iterable[GroupKey]) -> None:
    for jurisdiction, fiscal_year in groups:
        snap.add_sum_rows(
            state,
            db.all(
                f"SELECT {columns_of('proj_sums')} FROM proj_sums "
                "WHERE jurisdiction = ? AND fiscal_year = ?",
                (jurisdiction, fiscal_year),
            ),
        )


def load_lines(db: Db, state: LedgerState, keys: Iterable[str]) -> None:
    wanted = sorted(set(keys) - state.lines.keys())
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.all(f"SELECT {LINE_COLUMNS} FROM proj_lines WHERE key IN ({marks})", chunk):
            state.lines[row[0]] = snap.line_from_row(row)


# -- writing --------------------------------------------------------------------------------


def flush(db: Db, state: LedgerState) -> None:
    """Write back what the folds since the last flush touched."""
    if state.dirty_lines:
        updates = ", ".join(
            f"{c} = excluded.{c}" for c in LINE_COLUMNS.replace(" ", "").split(",")[1:]
        )
        db.many(
            f"INSERT INTO proj_lines ({LINE_COLUMNS}) VALUES ({','.join('?' * 13)}) "
            f"ON CONFLICT (key) DO UPDATE SET {updates}",
            [snap.line_row(state.lines[key]) for key in sorted(state.dirty_lines)],
        )
    for jurisdiction, fiscal_year in sorted(state.dirty_groups):
        db.run(
            "DELETE FROM proj_sums WHERE jurisdiction = ? AND fiscal_year = ?",
            (jurisdiction, fiscal_year),
        )
        group = state.sums.get((jurisdiction, fiscal_year), {})
        db.insert(
            "proj_sums",
            [
                (jurisdiction, fiscal_year, stage, cat, cur, dec_str(c.amount), c.lines)
                for (stage, cat, cur), c in sorted(group.items())
            ],
        )
    for part in sorted(state.dirty_small):
        for table in SMALL_TABLES[part]:
            db.run(f"DELETE FROM {table}")
            db.insert(table, _ROWS[table](state))
    state.clear_dirty()


def write_checkpoint(db: Db, seq: int) -> None:
    row = db.one("SELECT hash FROM events WHERE seq = ?", (seq,))
    digest = "0" * 64 if row is None else bytes(row[0]).hex()
    db.run(
        "INSERT INTO proj_checkpoints (name, last_seq, last_hash) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, "
        "last_hash = excluded.last_hash",
        (NAME, seq, digest),
    )


def fold_range(
    db: Db,
    state: LedgerState,
    start: int,
    stop: int,
    snapshot_every: int = SNAPSHOT_EVERY,
    progress: Progress | None = None,
) -> None:
    """Fold events (start, stop] into the tables, page by page, snapshotting on the way.

    ``state`` holds the small state (loaded) and whatever sum groups it has loaded; lines are
    loaded per page and dropped after each flush, so memory stays flat. ``progress`` hears of
    each page folded."""
    groups_loaded = {key for key in state.sums}
    all_loaded = False
    position = start
    while position < stop:
        end = min(stop, position + PAGE)
        if snapshot_every:
            end = min(end, (position // snapshot_every + 1) * snapshot_every)
        rows, keys, groups = event_rows(db, position, end)
        load_lines(db, state, keys)
        if not all_loaded:
            load_groups(db, state, sorted(groups - groups_loaded))
            groups_loaded |= groups
        with localcontext(EXACT):
            for seq, event_type, version, payload in rows:
                apply_raw(state, seq, event_type, version, payload)
        position = end
        state.last_seq = end
        flush(db, state)
        if progress is not None:
            progress(position - start, stop - start, "folding events")
        state.lines.clear()
        if snapshot_every and position % snapshot_every == 0:
            if not all_loaded:
                state.sums.clear()
                load_sums(db, state)
                all_loaded = True
            db.run("DELETE FROM proj_snapshots WHERE seq = ?", (position,))
            db.insert("proj_snapshots", [(position, snap.encode_snapshot(state))])
    write_checkpoint(db, stop)


def catch_up(store: EventStore, snapshot_every: int = SNAPSHOT_EVERY) -> int:
    """Bring the stored projections up to the head and return the seq they are at. A ledger
    that cannot be written (a read-only file) is left as it is."""
    try:
        with transaction(store, write=False) as db:
            head, _ = head_of(db)
            at = check_checkpoint(db, checkpoint_of(db))
    except StoreError as exc:
        if not missing_tables(exc):
            raise
        ensure_tables(store)
        head, at = 1, 0
    if at >= head:
        return at
    try:
        with transaction(store, write=True) as db:
            at = check_checkpoint(db, checkpoint_of(db))
            head, _ = head_of(db)
            if at < head:
                state = load_small(db, LedgerState(lines_complete=False))
                state.last_seq = at
                fold_range(db, state, at, head, snapshot_every)
            return max(at, head)
    except ReadOnlyLedger:
        return at


def state_at(
    store: EventStore, seq: int | None = None, jurisdiction: str | None = None
) -> LedgerState:
    """The aggregate state (sums, definitions, GDP, targets, rates, categories; no lines) as of
    ``seq`` (None: the head). From the tables when ``seq`` is their checkpoint (sums of
    ``jurisdiction`` only, when given); otherwise from the nearest snapshot ≤ seq, folded
    forward."""
    catch_up(store)
    with transaction(store, write=False) as db:
        head, _ = head_of(db)
        checkpoint = check_checkpoint(db, checkpoint_of(db))
        seq = head if seq is None else seq
        if not 0 <= seq <= head:
            raise InvalidInput(f"seq {seq} is beyond the ledger's head (seq {head})")
        if seq == checkpoint:
            state = load_small(db, LedgerState(last_seq=seq, lines_complete=False))
            load_sums(db, state, jurisdiction)
            state.clear_dirty()
            return state
        return from_snapshot(db, seq)


def from_snapshot(db: Db, seq: int) -> LedgerState:
    """The state as of ``seq``: the nearest snapshot ≤ seq, then the events after it. A line
    those events change is first brought to its state at the snapshot from its own stream."""
    row = db.one(
        "SELECT seq, state FROM proj_snapshots WHERE seq <= ? ORDER BY seq DESC LIMIT 1", (seq,)
    )
    state = LedgerState(lines_complete=False)
    if row is not None:
        state = snap.decode_snapshot(bytes(row[1]))
    base = position = state.last_seq
    while position < seq:
        end = min(seq, position + PAGE)
        rows, keys, _ = event_rows(db, position, end)
        if base:
            names = {"line/" + key for key in keys - state.lines.keys()}
            fold_lines(state.lines, stream_rows(db, names, base))
        with localcontext(EXACT):
            for event_seq, event_type, version, payload in rows:
                apply_raw(state, event_seq, event_type, version, payload)
        position = end
    state.last_seq = seq
    state.lines.clear()
    state.clear_dirty()
    return state


def snapshot_seqs(store: EventStore) -> list[int]:
    with transaction(store, write=False) as db:
        return [int(r[0]) for r in db.all("SELECT seq FROM proj_snapshots ORDER BY seq")]


def stored_state(store: EventStore) -> LedgerState:
    """Everything the tables hold, lines included, after catching up (for checks and small
    ledgers; totals never need the lines)."""
    catch_up(store)
    with transaction(store, write=False) as db:
        checkpoint = check_checkpoint(db, checkpoint_of(db))
        state = load_small(db, LedgerState(last_seq=checkpoint))
        load_sums(db, state)
        for row in db.all(f"SELECT {LINE_COLUMNS} FROM proj_lines ORDER BY key"):
            state.lines[row[0]] = snap.line_from_row(row)
    state.clear_dirty()
    return state
