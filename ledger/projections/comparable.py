"""A measure made comparable on request: in calendar years, at constant prices, in another
currency (``--period calendar``, ``--prices constant:YEAR``, ``--currency CODE``, ``--via``).

Recorded figures are never changed; a converted figure is computed from them and from recorded
rules, price indexes and rates only, and says which. In this order:

1. **period**: a calendar year is the weighted sum of the fiscal-year measures it overlaps
   (the jurisdiction's calendarisation rule, ``ledger.projections.calendar``); each fiscal year
   is measured by the definition version for that year;
2. **prices**: × I(B) / I(Y), Y the figure's year (a calendar year's index for a calendar-year
   figure, a fiscal year's for a fiscal-year one), B the base year asked for;
3. **currency**: by the rate recorded for the figure's year and kind of year — for constant
   prices, the base year's rate (constant prices in another currency are the base year's prices
   at the base year's rate, as in SIPRI's and NATO's constant-dollar series) — and through a
   third currency only when ``--via`` names it.

Everything is exact: weights are months/12, the price step is a ratio of two recorded values and
a rate multiplies or divides, so a figure is an exact fraction. A share of GDP is the
(calendarised) total over the (calendarised) GDP in the figures' own currency and prices: a
conversion moves both alike and leaves it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise
from typing import Any

from events.currencies import ISO_4217
from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.projections.calendar import CalendarRule, weight_text
from ledger.projections.conversions import Conversions
from ledger.projections.definitions import DefinitionVersion, GdpBasis
from ledger.projections.fold import LedgerState, dec_str
from ledger.projections.measure import Measure, exact_str, measure, rounded_str
from ledger.projections.prices import PriceStep
from ledger.projections.rates import RateStep

PERIODS = ("fiscal", "calendar")
SHOWN_PLACES = 2  # a converted amount that is no finite decimal is shown to cents
_CONSTANT = re.compile(
    r"constant:(?:FY)?(\d{4})(?::([A-Za-z0-9][A-Za-z0-9._\-]{0,63}))?(?:@(.+))?", re.IGNORECASE
)
_CURRENCY = re.compile(r"([A-Za-z]{3})(?:@(.+))?")

VersionFor = Callable[[int], DefinitionVersion]


@dataclass(frozen=True)
class Convention:
    """How a figure is to be stated: its period, prices and currency. The default (fiscal
    years, current prices, the figures' own currency) is the figure as recorded."""

    period: str = "fiscal"
    prices_base: int | None = None
    price_series: str | None = None
    price_vintage: str | None = None
    currency: str | None = None
    currency_vintage: str | None = None
    via: str | None = None

    @property
    def converts(self) -> bool:
        return self != Convention()

    def prices_text(self) -> str:
        if self.prices_base is None:
            return "current"
        series = f":{self.price_series}" if self.price_series else ""
        vintage = f"@{self.price_vintage}" if self.price_vintage else ""
        return f"constant:{self.prices_base}{series}{vintage}"

    def currency_text(self) -> str:
        if self.currency is None:
            return "own"
        vintage = f"@{self.currency_vintage}" if self.currency_vintage else ""
        return self.currency + vintage + (f" via {self.via}" if self.via else "")

    def describe(self) -> str:
        """``calendar years, constant 2023 prices, in USD``."""
        parts = [f"{self.period} years"]
        if self.prices_base is not None:
            parts.append(f"constant {self.prices_base} prices")
        if self.currency is not None:
            parts.append(f"in {self.currency_text()}")
        return ", ".join(parts)

    def with_(self, **changes: Any) -> Convention:
        return replace(self, **changes)


def parse_convention(
    period: str | None = None,
    currency: str | None = None,
    via: str | None = None,
    prices: str | None = None,
) -> Convention:
    """The convention of ``--period``, ``--currency CODE[@VINTAGE]``, ``--via CODE`` and
    ``--prices current|constant:YEAR[:SERIES][@VINTAGE]``."""
    chosen = Convention()
    if period:
        if period.strip().lower() not in PERIODS:
            raise InvalidInput(f"--period {quoted(period)}: use fiscal or calendar")
        chosen = chosen.with_(period=period.strip().lower())
    if prices and prices.strip().lower() != "current":
        match = _CONSTANT.fullmatch(prices.strip())
        if not match:
            raise InvalidInput(
                f"--prices {quoted(prices)}: use current or constant:YEAR[:SERIES][@VINTAGE], "
                "e.g. constant:2023"
            )
        chosen = chosen.with_(
            prices_base=int(match.group(1)),
            price_series=match.group(2),
            price_vintage=match.group(3),
        )
    if currency:
        match = _CURRENCY.fullmatch(currency.strip())
        if not match or match.group(1).upper() not in ISO_4217:
            raise InvalidInput(
                f"--currency {quoted(currency)}: use an ISO 4217 code, optionally @VINTAGE"
            )
        chosen = chosen.with_(currency=match.group(1).upper(), currency_vintage=match.group(2))
    if via:
        if chosen.currency is None:
            raise InvalidInput("--via goes with --currency: it names the currency in between")
        if via.strip().upper() not in ISO_4217:
            raise InvalidInput(f"--via {quoted(via)} is not an ISO 4217 code")
        chosen = chosen.with_(via=via.strip().upper())
    return chosen


def terminates(value: Fraction) -> bool:
    """Whether a fraction is a finite decimal."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def amount_text(value: Fraction) -> str:
    """An amount as shown: exact when it is a finite decimal, else rounded half up to cents
    (``amount_exact`` has 50 significant digits, ``amount_fraction`` the exact value)."""
    return exact_str(value) if terminates(value) else rounded_str(value, SHOWN_PLACES)


def amount_fields(prefix: str, value: Fraction | None) -> dict[str, Any]:
    """``total``, ``total_exact`` (50 significant digits; exact when it terminates) and
    ``total_fraction`` (numerator/denominator) of a converted amount."""
    if value is None:
        return {prefix: "", f"{prefix}_exact": "", f"{prefix}_fraction": ""}
    return {
        prefix: amount_text(value),
        f"{prefix}_exact": exact_str(value),
        f"{prefix}_fraction": str(value),
    }


@dataclass(frozen=True)
class Component:
    """One fiscal year inside a figure, with its weight (1 for a fiscal-year figure)."""

    fiscal_year: int
    weight: Fraction
    measure: Measure


@dataclass(frozen=True)
class Comparable:
    """A figure of one jurisdiction and year under a convention: its fiscal-year components,
    the price step and the rate steps, each recorded and named."""

    jurisdiction: str
    year: int
    convention: Convention
    components: tuple[Component, ...]
    own_currency: str
    rule: CalendarRule | None = None
    price: PriceStep | None = None
    rates: tuple[RateStep, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return str(self.year) if self.convention.period == "calendar" else f"FY{self.year}"

    @property
    def currency(self) -> str:
        return self.rates[-1].to_currency if self.rates else self.own_currency

    @property
    def factor(self) -> Fraction:
        """What the nominal figure is multiplied by: the price factor times the rates."""
        result = self.price.factor if self.price else Fraction(1)
        for step in self.rates:
            result *= step.factor
        return result

    @property
    def versions(self) -> list[DefinitionVersion]:
        seen: dict[str, DefinitionVersion] = {}
        for c in self.components:
            seen.setdefault(c.measure.version.label, c.measure.version)
        return list(seen.values())

    @property
    def version_label(self) -> str:
        return "+".join(v.label for v in self.versions)

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for c in self.components for s in c.measure.stages))

    def tiers(self) -> list[str]:
        found: dict[str, None] = {}
        for c in self.components:
            found.update(dict.fromkeys(c.measure.version.tiers()))
        return sorted(found, key=lambda tier: (tier != "core", tier))

    def nominal(self, tier: str | None = None) -> Fraction:
        """The figure in its own currency and current prices (weighted over the components)."""
        return sum(
            (c.weight * Fraction(c.measure.total(tier)) for c in self.components), Fraction(0)
        )

    def total(self, tier: str | None = None) -> Fraction:
        return self.nominal(tier) * self.factor

    def by_category(self) -> dict[tuple[str, str], Fraction]:
        found: dict[tuple[str, str], Fraction] = {}
        for c in self.components:
            for key, amount in c.measure.by_category.items():
                found[key] = found.get(key, Fraction(0)) + c.weight * Fraction(amount) * (
                    self.factor
                )
        return found

    def complete(self, tier: str | None = None) -> bool:
        return all(c.measure.complete(tier) for c in self.components)

    @property
    def counts_something(self) -> bool:
        return any(c.measure.by_category for c in self.components)

    @property
    def gdp(self) -> Fraction | None:
        """The GDP the share divides by, in the figures' own currency: the components' GDP,
        weighted like them (a fixed-year GDP stays what it is); None when one has none."""
        if any(c.measure.gdp is None for c in self.components):
            return None
        return sum(
            (c.weight * Fraction(c.measure.gdp.amount) for c in self.components if c.measure.gdp),
            Fraction(0),
        )

    def share(self, tier: str | None = None) -> Fraction | None:
        gdp = self.gdp
        return None if gdp is None else self.nominal(tier) * 100 / gdp

    def formula(self, tier: str | None = None) -> str:
        """How the figure is computed, in one line: ``2024 = 0.25 × FY2023 (…) + 0.75 × FY2024
        (…) = …; × I(2023)/I(2024); ÷ 151.35 = …``."""
        text = ""
        if self.convention.period == "calendar":
            parts = " + ".join(
                f"{weight_text(c.weight)} × FY{c.fiscal_year} ({dec_str(c.measure.total(tier))})"
                for c in self.components
            )
            text = f"{self.label} = {parts} = {amount_text(self.nominal(tier))} {self.own_currency}"
        else:
            text = f"{self.label} = {amount_text(self.nominal(tier))} {self.own_currency}"
        if self.price:
            p = self.price
            text += (
                f"; × {dec_str(p.index.value(p.base))} / {dec_str(p.index.value(p.year))} "
                f"({p.index.series} [{p.index.vintage}])"
            )
        for step in self.rates:
            sign = "÷" if step.divides else "×"
            vintage = step.record.vintage or "vintage not stated"
            text += f"; {sign} {dec_str(step.record.rate)} ({step.record.year_label()} {vintage})"
        if self.price or self.rates:
            text += f" = {amount_text(self.total(tier))} {self.currency}"
        return text

    def conversion_text(self) -> str:
        """The steps beside the figure: the weights, the prices and the rates used."""
        parts = []
        if self.convention.period == "calendar":
            parts.append(
                " + ".join(f"{weight_text(c.weight)}×FY{c.fiscal_year}" for c in self.components)
            )
        if self.price:
            parts.append(
                f"{self.price.index.label(self.price.base)} prices "
                f"({self.price.index.series} [{self.price.index.vintage}], seq "
                f"{self.price.index.seq})"
            )
        for step in self.rates:
            sign = "÷" if step.divides else "×"
            vintage = step.record.vintage or "vintage not stated"
            parts.append(
                f"{sign}{dec_str(step.record.rate)} {step.record.base}/{step.record.quote} "
                f"{step.record.year_label()} [{vintage}, seq {step.record.seq}]"
            )
        return "; ".join(parts)

    def meta(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "year": self.year,
            "label": self.label,
            "period": self.convention.period,
            "prices": self.convention.prices_text(),
            "currency": self.currency,
            "own_currency": self.own_currency,
            "calendarisation_rule": self.rule.meta() if self.rule else None,
            "components": [
                {
                    "fiscal_year": c.fiscal_year,
                    "weight": weight_text(c.weight),
                    "version": c.measure.version.label,
                    "stages": list(c.measure.stages),
                    "total": dec_str(c.measure.total()),
                }
                for c in self.components
            ],
            "price_index": self.price.meta() if self.price else None,
            "exchange_rates": [step.meta() for step in self.rates],
            "factor": str(self.factor),
        }


def comparable(
    state: LedgerState,
    conversions: Conversions,
    jurisdiction: str,
    year: int,
    version_for: VersionFor,
    convention: Convention,
    *,
    stages: tuple[str, ...] | None = None,
    basis: GdpBasis | None = None,
    skip_unconvertible: bool = False,
) -> Comparable:
    """The figure of ``jurisdiction`` for ``year`` (a calendar year when the convention asks
    for calendar years) under ``convention``; each fiscal year is measured by
    ``version_for(fiscal_year)``. ``InvalidInput`` naming what is missing (a rule, a rate, an
    index value) when the figure cannot be stated so."""
    rule = conversions.rule(jurisdiction) if convention.period == "calendar" else None
    weights = (
        [(w.fiscal_year, w.weight) for w in rule.weights(year)] if rule else [(year, Fraction(1))]
    )
    components = tuple(
        Component(
            fiscal_year,
            weight,
            measure(
                state,
                jurisdiction,
                fiscal_year,
                version_for(fiscal_year),
                stages=stages,
                basis=basis,
                skip_unconvertible=skip_unconvertible,
            ),  # fmt: skip
        )
        for fiscal_year, weight in weights
    )
    currencies = sorted({c.measure.currency for c in components})
    if len(currencies) > 1:
        raise InvalidInput(
            f"{jurisdiction} {year}: the fiscal years it is made of are in different currencies "
            f"({', '.join(currencies)}); ask for one with --currency"
        )
    own = currencies[0]
    price = None
    if convention.prices_base is not None:
        index = conversions.index(jurisdiction, convention.price_series, convention.price_vintage)
        if index.period != convention.period:
            raise InvalidInput(
                f"price index {index.series} [{index.vintage}] of {jurisdiction} is by "
                f"{index.period} years and the figure is a {convention.period} year: ask for "
                f"--period {index.period}, or record the index by {convention.period} years"
            )
        price = PriceStep(index, year, convention.prices_base)
        price.factor  # noqa: B018 - both index values must exist (InvalidInput if not)
    rates: tuple[RateStep, ...] = ()
    if convention.currency is not None and convention.currency != own:
        rate_year = convention.prices_base if convention.prices_base is not None else year
        path = [own, *([convention.via] if convention.via else []), convention.currency]
        rates = tuple(
            conversions.rate(a, b, rate_year, convention.period, convention.currency_vintage)
            for a, b in pairwise(path)
        )
    elif convention.via:
        raise InvalidInput(f"--via {convention.via}: the figures are already in {own}")
    return Comparable(jurisdiction, year, convention, components, own, rule, price, rates)
