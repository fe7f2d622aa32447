"""Year bases: whether each jurisdiction's years are fiscal or calendar, as recorded by
``YearBasisSet`` events, and the labels they give years (``FY2025`` or ``2025``).

The bases are read from their own streams (``year-basis/<jurisdiction>``, a handful of events)
as of the moment a question asks about, and folded here: the latest event of a jurisdiction is
in force. A jurisdiction without one has fiscal years, labelled ``FY2025`` as before the event
existed. The basis only labels years; figures are never converted by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.projections.sql import prefix_events
from ledger.storage.store import EventStore

STREAM_PREFIX = "year-basis/"
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class YearBasis:
    """``kind`` fiscal or calendar; for fiscal years, the month they start in (None: not
    recorded) and whether a year is numbered by the calendar year it starts or ends in; the seq
    of the event that set it (None: nothing recorded, the default)."""

    kind: str = "fiscal"
    start_month: int | None = None
    named_by: str = "start"
    seq: int | None = None

    def label(self, year: int) -> str:
        return str(year) if self.kind == "calendar" else f"FY{year}"

    def meta(self) -> dict[str, Any]:
        return {
            "basis": self.kind,
            "start_month": self.start_month,
            "named_by": self.named_by,
            "seq": self.seq,
            "label": self.label(2025),
            "description": describe_basis(self),
        }


DEFAULT_BASIS = YearBasis()
YearLabel = Callable[[int], str]


def fy_label(year: int) -> str:
    """A year labelled without a jurisdiction's basis: ``FY2025``."""
    return DEFAULT_BASIS.label(year)


def year_basis_of(payload: dict[str, Any], seq: int | None = None) -> YearBasis:
    """The basis a ``YearBasisSet`` payload sets."""
    return YearBasis(
        str(payload["basis"]),
        int(payload.get("start_month") or 1),
        str(payload.get("named_by") or "start"),
        seq,
    )


def describe_basis(basis: YearBasis) -> str:
    """``calendar years``, ``fiscal years from April (FY2025 = April 2025 – March 2026)``."""
    if basis.kind == "calendar":
        return "calendar years"
    if basis.start_month is None:
        return "fiscal years (start month not recorded)"
    start = basis.start_month
    first = 2025 if basis.named_by == "start" or start == 1 else 2024
    last = first if start == 1 else first + 1
    end = MONTHS[(start - 2) % 12]
    return (
        f"fiscal years from {MONTHS[start - 1]} "
        f"(FY2025 = {MONTHS[start - 1]} {first} – {end} {last})"
    )


@dataclass
class Periods:
    """The year basis in force for each jurisdiction that has one."""

    bases: dict[str, YearBasis] = field(default_factory=dict)

    def of(self, jurisdiction: str) -> YearBasis:
        return self.bases.get(jurisdiction, DEFAULT_BASIS)

    def label(self, jurisdiction: str | None, year: int) -> str:
        """A year as ``jurisdiction`` states it; for no jurisdiction in particular, ``FY``."""
        return (DEFAULT_BASIS if jurisdiction is None else self.of(jurisdiction)).label(year)

    def common(self, jurisdictions: Sequence[str]) -> YearBasis:
        """The basis all of ``jurisdictions`` share, or the default when they differ (a year
        that is not about one jurisdiction, e.g. a definition's effective year)."""
        kinds = {self.of(j).kind for j in jurisdictions}
        return YearBasis("calendar") if kinds == {"calendar"} else DEFAULT_BASIS

    def span(self, jurisdictions: Sequence[str], years: Sequence[int]) -> str:
        """``FY2022..FY2025`` or ``2014..2024`` (one year: just it)."""
        if not years:
            return ""
        basis = self.common(jurisdictions)
        first, last = min(years), max(years)
        return basis.label(first) + (f"..{basis.label(last)}" if last != first else "")

    def meta(self, jurisdictions: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {j: self.of(j).meta() for j in sorted(set(jurisdictions))}


def fold_periods(events: Iterable[tuple[int, str, dict[str, Any]]]) -> Periods:
    """Periods from ``(seq, type, payload)`` in seq order (other types are ignored)."""
    periods = Periods()
    for seq, event_type, payload in events:
        if event_type == "YearBasisSet":
            periods.bases[str(payload["jurisdiction"])] = year_basis_of(payload, seq)
    return periods


def periods_at(store: EventStore, seq: int) -> Periods:
    """The year bases as of ``seq``."""
    return fold_periods(
        (event.seq, event.type, event.payload)
        for event in prefix_events(store, [STREAM_PREFIX], seq)
    )
