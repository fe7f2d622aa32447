"""Calendar years from fiscal years: the rule a jurisdiction records (``CalendarisationRuleSet``)
and the weights it gives each fiscal year.

Under ``even-spread`` (SIPRI's assumption: "spending is distributed evenly through the year") a
calendar year is the sum of the fiscal years it overlaps, each weighted by how many of its
twelve months fall in the calendar year, over twelve. The months come from the rule, or from the
jurisdiction's year basis (``YearBasisSet``) when the rule does not state them. For a year that
starts in April and is numbered by its start (Japan: FY2024 = April 2024 – March 2025) that is
CY(y) = 3/12 × FY(y−1) + 9/12 × FY(y) = 0.25 × FY(y−1) + 0.75 × FY(y). Weights are exact
fractions; for a year starting in January, April, July or October they are exact decimals too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.errors import InvalidInput
from ledger.projections.fold import dec_str
from ledger.projections.periods import MONTHS, YearBasis

MONTHS_IN_YEAR = 12


@dataclass(frozen=True)
class Weight:
    """One fiscal year's part in a calendar year: its months in the calendar year, over 12."""

    fiscal_year: int
    months: int

    @property
    def weight(self) -> Fraction:
        return Fraction(self.months, MONTHS_IN_YEAR)


@dataclass(frozen=True)
class CalendarRule:
    """The rule in force for one jurisdiction: its fiscal years' start month and numbering, the
    seq of the ``CalendarisationRuleSet`` and, when the months came from it, of the
    ``YearBasisSet``; the rule's note and source title."""

    jurisdiction: str
    method: str
    start_month: int
    named_by: str
    seq: int | None  # None: no rule needed (the jurisdiction's years are calendar years)
    basis_seq: int | None
    note: str = ""
    source: str = ""

    def start_year(self, fiscal_year: int) -> int:
        """The calendar year fiscal year ``fiscal_year`` starts in."""
        if self.start_month == 1 or self.named_by == "start":
            return fiscal_year
        return fiscal_year - 1

    def weights(self, year: int) -> tuple[Weight, ...]:
        """The fiscal years calendar year ``year`` is made of, earliest first."""
        first_month = year * MONTHS_IN_YEAR
        found = []
        for fiscal_year in (year - 1, year, year + 1):
            start = self.start_year(fiscal_year) * MONTHS_IN_YEAR + self.start_month - 1
            overlap = min(start + 11, first_month + 11) - max(start, first_month) + 1
            if overlap > 0:
                found.append(Weight(fiscal_year, overlap))
        return tuple(found)

    def formula(self, year: int, label: str = "") -> str:
        """``CY2024 = 0.25 × FY2023 + 0.75 × FY2024``."""
        parts = " + ".join(
            f"{weight_text(w.weight)} × FY{w.fiscal_year}" for w in self.weights(year)
        )
        return f"{label or year} = {parts}"

    def general_formula(self) -> str:
        """``CY(y) = 0.25 × FY(y−1) + 0.75 × FY(y)``."""

        def offset(fiscal_year: int) -> str:
            shift = fiscal_year - 2000
            return "y" if shift == 0 else f"y{'+' if shift > 0 else '−'}{abs(shift)}"

        parts = " + ".join(
            f"{weight_text(w.weight)} × FY({offset(w.fiscal_year)})" for w in self.weights(2000)
        )
        return f"CY(y) = {parts}"

    def describe(self) -> str:
        """``fiscal years from April, numbered by their start; even-spread``."""
        if self.start_month == 1:
            return "fiscal years are calendar years"
        return (
            f"fiscal years from {MONTHS[self.start_month - 1]}, numbered by the calendar year "
            f"they {self.named_by} in; spending spread evenly ({self.method})"
        )

    def meta(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "method": self.method,
            "start_month": self.start_month,
            "named_by": self.named_by,
            "seq": self.seq,
            "year_basis_seq": self.basis_seq,
            "note": self.note,
            "source": self.source,
            "description": self.describe(),
        }


def weight_text(weight: Fraction) -> str:
    """``0.25``; a weight that is no finite decimal (a year starting in February) as ``11/12``."""
    denominator = weight.denominator
    while denominator % 2 == 0:
        denominator //= 2
    while denominator % 5 == 0:
        denominator //= 5
    if denominator != 1:
        return f"{weight.numerator}/{weight.denominator}"
    return dec_str(Decimal(weight.numerator) / Decimal(weight.denominator))


def rule_of(
    jurisdiction: str,
    payload: dict[str, Any] | None,
    seq: int | None,
    basis: YearBasis,
    source: str = "",
) -> CalendarRule:
    """The rule a ``CalendarisationRuleSet`` payload sets, its missing months taken from the
    year basis; for a jurisdiction whose years are calendar years and that records no rule,
    the identity. ``InvalidInput`` when there is no rule, or neither says when the year starts."""
    if (payload is None or seq is None) and basis.kind == "calendar":
        return CalendarRule(jurisdiction, "calendar-years", 1, "start", None, basis.seq)
    if payload is None or seq is None:
        raise InvalidInput(
            f"no calendarisation rule is recorded for {jurisdiction}: record one (defledger "
            f"record calendar-rule --jurisdiction {jurisdiction} …) to ask for calendar years"
        )
    start = payload.get("start_month")
    named = payload.get("named_by")
    from_basis = start is None or named is None
    if basis.kind == "calendar" and from_basis:
        start, named = start or 1, named or "start"
    if start is None and basis.start_month is None:
        raise InvalidInput(
            f"the calendarisation rule of {jurisdiction} (seq {seq}) states no start month and "
            f"no year basis gives one: record the year basis (defledger record year-basis "
            f"--jurisdiction {jurisdiction} --basis fiscal --start-month N)"
        )
    return CalendarRule(
        jurisdiction=jurisdiction,
        method=str(payload.get("method") or "even-spread"),
        start_month=int(start if start is not None else basis.start_month or 1),
        named_by=str(named or basis.named_by),
        seq=seq,
        basis_seq=basis.seq if from_basis else None,
        note=str(payload.get("note") or ""),
        source=source,
    )
