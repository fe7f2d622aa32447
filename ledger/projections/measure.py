"""One measure: jurisdiction × fiscal year × definition@version, from the aggregate state.

``total = Σ over counted cells (stage counted, category included) of amount × share``, per
tier; ``share of GDP (%) = total / GDP × 100``. Under the ``latest`` stage rule the stages
counted are chosen per jurisdiction and year: only those of the latest stage level that has a
line in an included category (``counted_stages``). Money is exact ``Decimal``; the ratio is an
exact ``Fraction``, written to 50 significant digits and rounded ROUND_HALF_UP only for display.
A total sums one currency: lines in another currency than the GDP's are converted only through a
recorded exchange rate for that fiscal year (1 base = rate quote), and the rate used is stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from events.currencies import DEFAULT_CURRENCY
from events.quoting import quoted
from events.stages import STAGE_LEVELS
from events.values import parse_fiscal_year
from ledger.errors import InvalidInput
from ledger.numbers import RATIO_DIGITS as RATIO_DIGITS
from ledger.numbers import exact_str as exact_str
from ledger.numbers import round_half_up as round_half_up
from ledger.numbers import rounded_str as rounded_str
from ledger.projections.definitions import LATEST, DefinitionVersion, GdpBasis
from ledger.projections.fold import EXACT, LedgerState, SumCell, dec_str
from ledger.projections.periods import YearLabel, fy_label

_BASIS = re.compile(r"(same-year|(?:FY)?\d{4})(?:@(.+))?", re.IGNORECASE)


@dataclass
class MeasureRequest:
    """One measure (jurisdiction × fiscal year × definition, optionally one tier and stages)
    as the ``replay`` and ``trace`` commands ask for it."""

    jurisdictions: tuple[str, ...] = ()
    year: str = ""
    definition: str | None = None
    tier: str | None = None
    stages: tuple[str, ...] = ()
    gdp_basis: str | None = None
    places: int = 2
    as_of: str | None = None
    period: str | None = None
    currency: str | None = None
    via: str | None = None
    prices: str | None = None


@dataclass(frozen=True)
class GdpUsed:
    """The GDP figure a share divides by, and the event that recorded it."""

    jurisdiction: str
    fiscal_year: int
    vintage: str
    amount: Decimal
    currency: str
    seq: int
    basis: str
    described: str = ""  # a GDP made of several years' (a calendar year's), in words

    def label(self, year_label: YearLabel = fy_label) -> str:
        where = self.described or year_label(self.fiscal_year)
        return f"{where} [{self.vintage}, seq {self.seq}]"

    def meta(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "jurisdiction": self.jurisdiction,
            "fiscal_year": self.fiscal_year,
            "vintage": self.vintage,
            "amount": dec_str(self.amount),
            "currency": self.currency,
            "seq": self.seq,
        }


@dataclass(frozen=True)
class RateUsed:
    base: str
    quote: str
    fiscal_year: int
    rate: Decimal
    seq: int

    def meta(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "quote": self.quote,
            "fiscal_year": self.fiscal_year,
            "rate": dec_str(self.rate),
            "seq": self.seq,
        }


@dataclass
class Measure:
    """Totals per tier (and per tier × category) of one definition version for one year."""

    jurisdiction: str
    fiscal_year: int
    version: DefinitionVersion
    stages: tuple[str, ...]
    currency: str
    tiers: dict[str, Decimal]
    by_category: dict[tuple[str, str], Decimal]
    gdp: GdpUsed | None
    rates: list[RateUsed] = field(default_factory=list)
    # counted cells left out because no rate converts their currency: (category, currency,
    # amount, lines); only when measured with ``skip_unconvertible``
    unconverted: list[tuple[str, str, Decimal, int]] = field(default_factory=list)

    def complete(self, tier: str | None = None) -> bool:
        """Whether the total of ``tier`` (None or ``all``: every tier) left nothing out."""
        if tier is None or tier == "all":
            return not self.unconverted
        return all(self.version.categories[cat].tier != tier for cat, *_ in self.unconverted)

    def total(self, tier: str | None = None) -> Decimal:
        if tier is None or tier == "all":
            with localcontext(EXACT):
                return sum(self.tiers.values(), Decimal(0))
        return self.tiers.get(tier, Decimal(0))

    def share(self, tier: str | None = None) -> Fraction | None:
        """Share of GDP in percent, exact; None without a GDP figure."""
        return None if self.gdp is None else percent(self.total(tier), self.gdp.amount)


def percent(part: Decimal, whole: Decimal) -> Fraction:
    return Fraction(part) * 100 / Fraction(whole)


def growth_percent(now: Decimal, before: Decimal) -> Fraction | None:
    """Year-on-year growth in percent, exact: (now − before) / before × 100; None when the
    year before counted nothing (growth from zero is not a number)."""
    if before == 0:
        return None
    return (Fraction(now) - Fraction(before)) * 100 / Fraction(before)


def parse_basis(text: str) -> GdpBasis:
    """``same-year``, ``FY2022`` (or ``2022``), ``FY2022@VINTAGE``, ``same-year@VINTAGE``."""
    match = _BASIS.fullmatch(text.strip())
    if not match:
        raise InvalidInput(f"--gdp-basis {quoted(text)}: use same-year, FY2022 or FY2022@VINTAGE")
    year, vintage = match.group(1), match.group(2)
    if year.lower() == "same-year":
        return GdpBasis("same-year", None, vintage)
    try:
        return GdpBasis("fixed-year", parse_fiscal_year(year), vintage)
    except ValueError as exc:
        raise InvalidInput(f"--gdp-basis {quoted(text)}: {exc}") from exc


def resolve_gdp(
    state: LedgerState, jurisdiction: str, fiscal_year: int, basis: GdpBasis
) -> GdpUsed | None:
    """The GDP figure a basis names for a year, or None if the ledger has none."""
    year = fiscal_year if basis.kind == "same-year" else int(basis.fiscal_year or fiscal_year)
    found = state.latest_gdp(jurisdiction, year, basis.vintage)
    if found is None:
        return None
    vintage, figure = found
    label = "same-year" if basis.kind == "same-year" else f"fixed-year FY{year}"
    return GdpUsed(jurisdiction, year, vintage, figure.amount, figure.currency, figure.seq, label)


def describe_missing_gdp(
    jurisdiction: str, fiscal_year: int, basis: GdpBasis, year_label: YearLabel = fy_label
) -> str:
    year = fiscal_year if basis.kind == "same-year" else int(basis.fiscal_year or fiscal_year)
    vintage = f" at vintage {basis.vintage}" if basis.vintage else ""
    return (
        f"no GDP recorded for {jurisdiction} {year_label(year)}{vintage} "
        f"(GDP basis {basis.label()})"
    )


def _currency(
    state: LedgerState, jurisdiction: str, fiscal_year: int, counted: set[str], gdp: GdpUsed | None
) -> str:
    if gdp is not None:
        return gdp.currency
    if len(counted) == 1:
        return next(iter(counted))
    default = DEFAULT_CURRENCY.get(jurisdiction)
    if default and (default in counted or not counted):
        return default
    return sorted(counted)[0] if counted else (default or "")


def counted_stages(
    version: DefinitionVersion,
    group: dict[tuple[str, str, str], SumCell],
    stages: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    """The stages whose lines count for one jurisdiction and year (``group``: its sum cells).
    The version's stages (narrowed to ``stages`` when given); under the ``latest`` rule only
    those of the latest level (``events.STAGE_LEVELS``) that has a line in a category the
    version includes, so a year is never counted at two levels at once (initial and
    supplementary are one level and add up). With no such line, every counted stage."""
    chosen = tuple(s for s in version.counted_stages if stages is None or s in stages)
    if version.stage_rule != LATEST:
        return chosen
    present = {
        stage
        for stage, category, _currency in group
        if stage in chosen and category in version.categories
    }
    if not present:
        return chosen
    top = max(STAGE_LEVELS.get(stage, -1) for stage in present)
    return tuple(s for s in chosen if s in present and STAGE_LEVELS.get(s, -1) == top)


def measure(
    state: LedgerState,
    jurisdiction: str,
    fiscal_year: int,
    version: DefinitionVersion,
    *,
    stages: tuple[str, ...] | None = None,
    basis: GdpBasis | None = None,
    skip_unconvertible: bool = False,
) -> Measure:
    """The measure of ``version`` for one year. ``stages`` restricts the version's counted
    stages further (before the latest-stage rule chooses among them); ``basis`` overrides its
    GDP basis. Raises ``InvalidInput`` when a counted line's currency cannot be converted (no
    recorded rate), unless ``skip_unconvertible``: then those cells are left out and listed in
    ``unconverted`` (the total is incomplete)."""
    group = state.group(jurisdiction, fiscal_year)
    counted = counted_stages(version, group, stages)
    cells = [
        (cat, cur, cell.amount, cell.lines)
        for (stage, cat, cur), cell in sorted(group.items())
        if stage in counted and cat in version.categories
    ]
    gdp = resolve_gdp(state, jurisdiction, fiscal_year, basis or version.basis)
    currency = _currency(state, jurisdiction, fiscal_year, {cur for _, cur, _, _ in cells}, gdp)
    tiers = dict.fromkeys(version.tiers(), Decimal(0))
    by_category: dict[tuple[str, str], Decimal] = {}
    rates: dict[str, RateUsed] = {}
    unconverted: list[tuple[str, str, Decimal, int]] = []
    with localcontext(EXACT):
        for cat, cur, amount, lines in cells:
            if cur != currency:
                rate = state.rates.get((cur, currency, fiscal_year))
                if rate is None and skip_unconvertible:
                    unconverted.append((cat, cur, amount, lines))
                    continue
                if rate is None:
                    raise InvalidInput(
                        f"{jurisdiction} FY{fiscal_year} has {cur} lines but the total is in "
                        f"{currency}; no exchange rate {cur}→{currency} for FY{fiscal_year} is "
                        f"recorded (record one: defledger record fx --base {cur} --quote "
                        f"{currency} --fy {fiscal_year} --rate …)"
                    )
                rates[cur] = RateUsed(cur, currency, fiscal_year, rate.rate, rate.seq)
                amount = amount * rate.rate
            inclusion = version.categories[cat]
            contribution = amount * inclusion.share
            tiers[inclusion.tier] = tiers.get(inclusion.tier, Decimal(0)) + contribution
            key = (inclusion.tier, cat)
            by_category[key] = by_category.get(key, Decimal(0)) + contribution
    return Measure(
        jurisdiction, fiscal_year, version, counted, currency, tiers, by_category, gdp,
        sorted(rates.values(), key=lambda r: r.base), unconverted,
    )  # fmt: skip


def fiscal_years_with_lines(state: LedgerState, jurisdiction: str) -> list[int]:
    return sorted(fy for (j, fy) in state.sums if j == jurisdiction)
