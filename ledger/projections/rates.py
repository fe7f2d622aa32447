"""Exchange rates as recorded series: every ``ExchangeRateRecorded`` with its period, vintage and
source, and the rate a conversion uses.

A conversion from one currency to another uses a rate recorded for that pair, for the year and
the kind of year (fiscal or calendar) of the figure: ``base→quote`` multiplies, a rate recorded
the other way round (``quote→base``) divides. It never goes through a third currency unless the
question names one (``--via EUR``: two recorded rates, both stated). Among several rates for one
year the named vintage is taken, or else the one recorded last.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.projections.fold import dec_str


@dataclass(frozen=True)
class RateRecord:
    """One recorded rate: 1 ``base`` = ``rate`` ``quote`` for ``year`` (fiscal or calendar)."""

    base: str
    quote: str
    year: int
    period: str
    rate: Decimal
    rate_type: str
    vintage: str | None
    seq: int
    source: str = ""
    hypothetical: bool = False

    def year_label(self) -> str:
        return f"FY{self.year}" if self.period == "fiscal" else str(self.year)

    def describe(self) -> str:
        """``1 USD = 151.35 JPY (2024 average, vintage imf-2025-04, seq 140)``."""
        vintage = self.vintage or "not stated"
        flag = ", hypothetical" if self.hypothetical else ""
        return (
            f"1 {self.base} = {dec_str(self.rate)} {self.quote} ({self.year_label()} "
            f"{self.rate_type}, vintage {vintage}, seq {self.seq}{flag})"
        )

    def meta(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "quote": self.quote,
            "year": self.year,
            "period": self.period,
            "rate": dec_str(self.rate),
            "rate_type": self.rate_type,
            "vintage": self.vintage,
            "seq": self.seq,
            "source": self.source,
            "hypothetical": self.hypothetical,
        }


def rate_record(seq: int, payload: dict[str, Any], source: dict[str, Any] | None) -> RateRecord:
    """The record of a (current-schema) ``ExchangeRateRecorded`` payload and its source."""
    return RateRecord(
        base=str(payload["base"]),
        quote=str(payload["quote"]),
        year=int(payload["fiscal_year"]),
        period=str(payload.get("period") or "fiscal"),
        rate=Decimal(payload["rate"]),
        rate_type=str(payload.get("rate_type") or "average"),
        vintage=payload.get("vintage"),
        seq=seq,
        source=str((source or {}).get("title") or ""),
        hypothetical=bool((source or {}).get("hypothetical")),
    )


@dataclass(frozen=True)
class RateStep:
    """One conversion: by a recorded rate, multiplied (``from_currency`` is its base) or
    divided (it is its quote)."""

    record: RateRecord
    from_currency: str
    to_currency: str

    @property
    def divides(self) -> bool:
        return self.record.base != self.from_currency

    @property
    def factor(self) -> Fraction:
        rate = Fraction(self.record.rate)
        return 1 / rate if self.divides else rate

    def describe(self) -> str:
        """``JPY → USD: ÷ 151.35 (1 USD = 151.35 JPY, 2024 average, vintage …, seq 140)``."""
        sign = "÷" if self.divides else "×"
        return (
            f"{self.from_currency} → {self.to_currency}: {sign} {dec_str(self.record.rate)} "
            f"({self.record.describe()})"
        )

    def meta(self) -> dict[str, Any]:
        return {
            "from": self.from_currency,
            "to": self.to_currency,
            "operation": "divide" if self.divides else "multiply",
            **self.record.meta(),
        }


def find_rate(
    records: list[RateRecord],
    from_currency: str,
    to_currency: str,
    year: int,
    period: str,
    vintage: str | None = None,
) -> RateStep:
    """The step converting ``from_currency`` to ``to_currency`` for ``year`` of ``period`` by
    a rate recorded for that pair (either way round); ``InvalidInput`` naming what is recorded
    when there is none."""
    pair = {from_currency, to_currency}
    candidates = [
        r
        for r in records
        if {r.base, r.quote} == pair
        and r.year == year
        and r.period == period
        and (vintage is None or r.vintage == vintage)
    ]
    if candidates:
        return RateStep(max(candidates, key=lambda r: r.seq), from_currency, to_currency)
    label = f"FY{year}" if period == "fiscal" else str(year)
    at = f" at vintage {quoted(vintage)}" if vintage else ""
    same_pair = sorted(
        {f"{r.year_label()}{f' [{r.vintage}]' if r.vintage else ''}" for r in records
         if {r.base, r.quote} == pair}
    )  # fmt: skip
    known = (
        f"rates recorded for {from_currency}/{to_currency}: {', '.join(same_pair)}"
        if same_pair
        else f"no rate is recorded for {from_currency}/{to_currency} at all"
    )
    return_hint = (
        f"record one (defledger record fx --base {to_currency} --quote {from_currency} "
        f"--fiscal-year {year} --period {period} --rate … --vintage …)"
    )
    raise InvalidInput(
        f"no exchange rate {from_currency}→{to_currency} for {label}{at} is recorded ({known}); "
        f"{return_hint}; rates are never chained through a third currency unless --via names it"
    )
