"""Money over several years, as recorded: multi-year programmes (``ProgrammeDefined``) and
obligations (``ObligationRecorded``).

Read from their own streams (``programme/``, ``obligation/``) as of the moment a question asks
about, and folded here; recording one again restates it. Neither is spending: no total, diff or
claim counts an obligation, and a programme only compares what is recorded with its envelope
(``ledger.queries.programmes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.projections.sql import prefix_events
from ledger.storage.records import DECODE_ERRORS, current_payload, unreadable
from ledger.storage.store import EventStore

PREFIXES = ("programme/", "obligation/")


@dataclass(frozen=True)
class Part:
    part_id: str
    name: str
    amount: Decimal
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Programme:
    """A programme as last recorded: its envelope, years, parts and the stages it counts."""

    jurisdiction: str
    programme_id: str
    name: str
    basis: str
    first_year: int
    last_year: int
    envelope: Decimal
    currency: str
    stages: tuple[str, ...]
    parts: tuple[Part, ...]
    note: str
    seq: int
    source: str = ""

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


@dataclass(frozen=True)
class Obligation:
    """One obligation figure as last recorded."""

    jurisdiction: str
    fiscal_year: int
    obligation_id: str
    agency: str
    program: str
    category: str
    kind: str
    amount: Decimal
    currency: str
    stage: str
    seq: int
    source: str = ""


def _programme(seq: int, p: dict[str, Any], source: str) -> Programme:
    return Programme(
        jurisdiction=str(p["jurisdiction"]),
        programme_id=str(p["programme_id"]),
        name=str(p["name"]),
        basis=str(p.get("basis") or "expenditure"),
        first_year=int(p["first_year"]),
        last_year=int(p["last_year"]),
        envelope=Decimal(p["envelope"]),
        currency=str(p["currency"]),
        stages=tuple(str(s) for s in p["stages"]),
        parts=tuple(
            Part(
                str(part["part_id"]),
                str(part["name"]),
                Decimal(part["amount"]),
                tuple(str(c) for c in part.get("categories") or ()),
            )  # fmt: skip
            for part in p["parts"]
        ),
        note=str(p.get("note") or ""),
        seq=seq,
        source=source,
    )


def _obligation(seq: int, p: dict[str, Any], source: str) -> Obligation:
    return Obligation(
        jurisdiction=str(p["jurisdiction"]),
        fiscal_year=int(p["fiscal_year"]),
        obligation_id=str(p["obligation_id"]),
        agency=str(p["agency"]),
        program=str(p.get("program") or ""),
        category=str(p["category"]),
        kind=str(p.get("kind") or "new-contracts"),
        amount=Decimal(p["amount"]),
        currency=str(p["currency"]),
        stage=str(p["stage"]),
        seq=seq,
        source=source,
    )


@dataclass
class Commitments:
    """Programmes by (jurisdiction, id) and obligations by (jurisdiction, year, id)."""

    programmes: dict[tuple[str, str], Programme] = field(default_factory=dict)
    obligations: dict[tuple[str, int, str], Obligation] = field(default_factory=dict)

    def apply(
        self,
        seq: int,
        event_type: str,
        schema_version: int,
        payload: dict[str, Any],
        source: dict[str, Any] | None = None,
    ) -> None:
        if event_type not in ("ProgrammeDefined", "ObligationRecorded"):
            return
        title = str((source or {}).get("title") or "")
        try:
            p = current_payload(event_type, schema_version, payload)
            if event_type == "ProgrammeDefined":
                found = _programme(seq, p, title)
                self.programmes[(found.jurisdiction, found.programme_id)] = found
            else:
                owed = _obligation(seq, p, title)
                self.obligations[(owed.jurisdiction, owed.fiscal_year, owed.obligation_id)] = owed
        except DECODE_ERRORS as exc:
            raise unreadable(seq, event_type, schema_version, exc) from None


def fold_commitments(events: Iterable[Any]) -> Commitments:
    found = Commitments()
    for event in events:
        found.apply(event.seq, event.type, event.schema_version, event.payload, event.source)
    return found


def commitments_at(store: EventStore, seq: int) -> Commitments:
    """The programmes and obligations recorded as of ``seq``."""
    return fold_commitments(prefix_events(store, PREFIXES, seq))
