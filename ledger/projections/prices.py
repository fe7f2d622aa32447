"""Constant prices: price-index (deflator) series as recorded (``PriceIndexRecorded``), one per
jurisdiction × series × vintage, and the exact factor that moves a figure to a base year's
prices.

A figure of year Y in current prices is, at the prices of year B, figure × I(B) / I(Y): the
ratio of two recorded values, exact as a fraction. Re-basing a series to B (every value ×
100 / I(B)) changes no such ratio, so ``--prices constant:B`` is the same whichever base year
the source printed; the re-based values are exact fractions, and re-basing back to the source's
base gives its values again. A source that revises or re-bases its series publishes a new
vintage: it is recorded beside the old one, and a question names one (else the one recorded
last is used; as of an earlier moment, the one recorded by then).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from events.quoting import quoted
from events.values import SCHEMA_JURISDICTION
from ledger.errors import InvalidInput
from ledger.projections.fold import dec_str

HUNDRED = Fraction(100)


@dataclass(frozen=True)
class PriceIndex:
    """One vintage of one series: year → value, on ``base_year`` = 100 as the source says."""

    jurisdiction: str
    series: str
    vintage: str
    base_year: int
    period: str
    values: dict[int, Decimal]
    seq: int
    source: str = ""
    note: str = ""

    def label(self, year: int) -> str:
        return f"FY{year}" if self.period == "fiscal" else str(year)

    def value(self, year: int) -> Decimal:
        found = self.values.get(year)
        if found is None:
            years = sorted(self.values)
            raise InvalidInput(
                f"price index {self.series} [{self.vintage}] of {self.jurisdiction} has no value "
                f"for {self.label(year)} (it covers {self.label(years[0])}.."
                f"{self.label(years[-1])}, seq {self.seq})"
            )
        return found

    def rebased(self, year: int) -> dict[int, Fraction]:
        """Every value re-based so that ``year`` = 100, exactly."""
        reference = Fraction(self.value(year))
        return {y: Fraction(v) * HUNDRED / reference for y, v in sorted(self.values.items())}

    def factor(self, year: int, base: int) -> Fraction:
        """What a figure of ``year`` in current prices is multiplied by to be in ``base``'s
        prices: I(base) / I(year)."""
        return Fraction(self.value(base)) / Fraction(self.value(year))

    def describe(self) -> str:
        return (
            f"{self.series} [{self.vintage}] of {self.jurisdiction}, {self.label(self.base_year)}"
            f" = 100, seq {self.seq}"
        )

    def meta(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "series": self.series,
            "vintage": self.vintage,
            "base_year": self.base_year,
            "period": self.period,
            "seq": self.seq,
            "source": self.source,
        }


def price_index(seq: int, payload: dict[str, Any], source: dict[str, Any] | None) -> PriceIndex:
    """The series a ``PriceIndexRecorded`` payload records."""
    return PriceIndex(
        jurisdiction=str(payload.get("jurisdiction") or SCHEMA_JURISDICTION),
        series=str(payload["series"]),
        vintage=str(payload["vintage"]),
        base_year=int(payload["base_year"]),
        period=str(payload.get("period") or "calendar"),
        values={int(v["year"]): Decimal(v["value"]) for v in payload["values"]},
        seq=seq,
        source=str((source or {}).get("title") or ""),
        note=str(payload.get("note") or ""),
    )


@dataclass(frozen=True)
class PriceStep:
    """The move of one figure from its year's prices to a base year's: × I(base) / I(year)."""

    index: PriceIndex
    year: int
    base: int

    @property
    def factor(self) -> Fraction:
        return self.index.factor(self.year, self.base)

    def describe(self) -> str:
        i = self.index
        return (
            f"{i.label(self.year)} prices → {i.label(self.base)} prices: × "
            f"{dec_str(i.value(self.base))} / {dec_str(i.value(self.year))} ({i.describe()})"
        )

    def meta(self) -> dict[str, Any]:
        return {
            **self.index.meta(),
            "year": self.year,
            "prices_of": self.base,
            "index_year": dec_str(self.index.value(self.year)),
            "index_prices_of": dec_str(self.index.value(self.base)),
        }


def pick_index(
    indexes: dict[tuple[str, str, str], PriceIndex],
    jurisdiction: str,
    series: str | None,
    vintage: str | None,
) -> PriceIndex:
    """The series a question names (or the jurisdiction's only one), at the vintage it names
    (or the one recorded last)."""
    mine = [i for (j, _, _), i in indexes.items() if j == jurisdiction]
    if not mine:
        raise InvalidInput(
            f"no price index is recorded for {jurisdiction}: record one (PriceIndexRecorded, "
            "imported as JSON Lines) to ask for constant prices"
        )
    names = sorted({i.series for i in mine})
    if series is None:
        if len(names) > 1:
            raise InvalidInput(
                f"{jurisdiction} has several price indexes ({', '.join(names)}): name one, "
                "e.g. --prices constant:2023:" + names[0]
            )
        series = names[0]
    chosen = [i for i in mine if i.series == series]
    if not chosen:
        raise InvalidInput(
            f"no price index {quoted(series)} is recorded for {jurisdiction} "
            f"(indexes: {', '.join(names)})"
        )
    if vintage is not None:
        found = [i for i in chosen if i.vintage == vintage]
        if not found:
            known = ", ".join(sorted(i.vintage for i in chosen))
            raise InvalidInput(
                f"price index {series} of {jurisdiction} has no vintage {quoted(vintage)} "
                f"(vintages: {known})"
            )
        chosen = found
    return max(chosen, key=lambda i: i.seq)
