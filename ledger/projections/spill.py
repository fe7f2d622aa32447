"""The projections' fold for exports, in memory bounded by the page size, not by the ledger.

``fold_all`` keeps every budget line in a dict; a bundle of a large ledger cannot. ``SpilledFold``
folds the same events with the same pure ``apply_raw`` page by page, and keeps the line states in
a temporary SQLite table between pages (only the lines a page touches are loaded). The small
state (sums, definitions, GDP, targets, rates, categories) stays in the ``LedgerState``. The lines
come back sorted by (jurisdiction, fiscal year, line id), exactly the order ``line_rows`` gives.
``export`` folds the events from the database and ``verify-export`` those of ``events.jsonl``
with it, so both produce the same rows as ``fold_all`` would, byte for byte.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from decimal import Decimal, localcontext
from typing import Any

from events.base import SCHEMA_JURISDICTION
from ledger.intake.lines import LINE_EVENTS, LineState
from ledger.projections.fold import EXACT, LedgerState, apply_raw
from ledger.storage.records import DECODE_ERRORS, current_payload, unreadable

PAGE = 5_000
_COLUMNS = (
    "jurisdiction, fiscal_year, line_id, agency, program, category, amount, currency, stage, "
    "withdrawn, recorded_seq, last_seq"
)
_SCHEMA = (
    "CREATE TABLE lines (jurisdiction TEXT NOT NULL, fiscal_year INTEGER NOT NULL, "
    "line_id TEXT NOT NULL, agency TEXT, program TEXT, category TEXT, amount TEXT, "
    "currency TEXT, stage TEXT, withdrawn INTEGER, recorded_seq INTEGER, last_seq INTEGER, "
    "PRIMARY KEY (jurisdiction, fiscal_year, line_id)) WITHOUT ROWID"
)
_GET = f"SELECT {_COLUMNS} FROM lines WHERE jurisdiction = ? AND fiscal_year = ? AND line_id = ?"
_PUT = f"INSERT OR REPLACE INTO lines ({_COLUMNS}) VALUES ({','.join('?' * 12)})"

LineId = tuple[str, int, str]


def _line(row: tuple[Any, ...]) -> LineState:
    (jurisdiction, fiscal_year, line_id, agency, program, category, amount, currency, stage,
     withdrawn, recorded_seq, last_seq) = row  # fmt: skip
    return LineState(
        jurisdiction=jurisdiction,
        fiscal_year=int(fiscal_year),
        line_id=line_id,
        agency=agency,
        program=program,
        category=category,
        amount=Decimal(amount),  # str(Decimal) round-trips digits and exponent exactly
        currency=currency,
        stage=stage,
        withdrawn=bool(withdrawn),
        recorded_seq=recorded_seq,
        last_seq=last_seq,
    )


def _row(line: LineState) -> tuple[Any, ...]:
    return (
        line.jurisdiction, line.fiscal_year, line.line_id, line.agency, line.program,
        line.category, str(line.amount), line.currency, line.stage, int(line.withdrawn),
        line.recorded_seq, line.last_seq,
    )  # fmt: skip


def _line_id(payload: dict[str, Any]) -> LineId:
    return (
        payload.get("jurisdiction") or SCHEMA_JURISDICTION,
        int(payload["fiscal_year"]),
        payload["line_id"],
    )


class SpilledFold:
    """``fold_all`` with the lines spilled to a temporary SQLite file (removed on ``close``).

    Feed events in seq order with ``add`` (or ``add_event``), then ``finish``; ``state`` then
    holds everything but the lines, and ``lines()`` streams the lines in export order."""

    def __init__(self, page: int = PAGE) -> None:
        self.page = page
        self.state = LedgerState(lines_complete=False)
        handle, self.path = tempfile.mkstemp(prefix="defledger-fold-", suffix=".sqlite")
        os.close(handle)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -8000"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(_SCHEMA)
        self.pending: list[tuple[int, str, int, dict[str, Any]]] = []

    def add(self, seq: int, event_type: str, schema_version: int, payload: dict[str, Any]) -> None:
        self.pending.append((seq, event_type, schema_version, payload))
        if len(self.pending) >= self.page:
            self._fold_page()

    def add_event(self, event: Any) -> None:
        """Fold one ``EventLike`` (``StoredEvent``)."""
        self.add(event.seq, event.type, event.schema_version, event.payload)

    def _fold_page(self) -> None:
        state, pending = self.state, self.pending
        self.pending = []
        wanted: set[LineId] = set()
        for seq, event_type, schema_version, payload in pending:
            if event_type in LINE_EVENTS:
                try:
                    wanted.add(_line_id(current_payload(event_type, schema_version, payload)))
                except DECODE_ERRORS as exc:
                    raise unreadable(seq, event_type, schema_version, exc) from None
        self.db.execute("BEGIN")
        for ident in sorted(wanted):
            found = self.db.execute(_GET, ident).fetchone()
            if found is not None:
                line = _line(found)
                state.lines[line.key] = line
        with localcontext(EXACT):
            for seq, event_type, schema_version, payload in pending:
                apply_raw(state, seq, event_type, schema_version, payload)
        self.db.executemany(_PUT, [_row(state.lines[key]) for key in sorted(state.dirty_lines)])
        self.db.execute("COMMIT")
        state.lines.clear()
        state.clear_dirty()

    def finish(self) -> LedgerState:
        """Fold what is pending; the state of everything but the lines."""
        if self.pending:
            self._fold_page()
        return self.state

    def lines(self) -> Iterator[LineState]:
        """Every line (withdrawn ones included), sorted by jurisdiction, fiscal year, line id."""
        cursor = self.db.execute(
            f"SELECT {_COLUMNS} FROM lines ORDER BY jurisdiction, fiscal_year, line_id"
        )
        while batch := cursor.fetchmany(1000):
            for row in batch:
                yield _line(row)

    def close(self) -> None:
        self.db.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def __enter__(self) -> SpilledFold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
