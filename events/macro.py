"""Figures around the budget: GDP, targets, exchange rates, price indexes."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from events.base import (
    SCHEMA_JURISDICTION,
    Code,
    Currency,
    EventModel,
    FiscalYear,
    Jurisdiction,
    PositiveDecimal,
    ShortText,
    Text,
)
from events.budget import default_currency
from events.periods import YearKind


class GdpRecorded(EventModel):
    """Nominal GDP of a fiscal year at a stated vintage (estimate or release)."""

    type: Literal["GdpRecorded"] = "GdpRecorded"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    fiscal_year: FiscalYear = Field(description="Fiscal year of the GDP figure.")
    amount: PositiveDecimal = Field(description="Exact nominal GDP in currency units.")
    currency: Currency = Field(description="ISO 4217 code; defaults to the jurisdiction's.")
    vintage: Code = Field(description="Release the figure comes from, e.g. 2022-12-estimate.")

    _fill_currency = model_validator(mode="before")(default_currency)


class TargetKind(StrEnum):
    """A floor to reach (2% of GDP) or a cap not to exceed (the 1% cap of 1976)."""

    FLOOR = "floor"
    CAP = "cap"


class TargetSet(EventModel):
    """A spending target as a percentage of GDP by a fiscal year; re-setting restates it."""

    type: Literal["TargetSet"] = "TargetSet"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    target_id: Code = Field(description="Stable id, e.g. nss-2pct.")
    percent_of_gdp: PositiveDecimal = Field(description="Target in percent of GDP, e.g. 2.")
    by_fiscal_year: FiscalYear = Field(description="Fiscal year by which it applies.")
    kind: TargetKind = Field(default=TargetKind.FLOOR, description="floor or cap.")
    definition: Code | None = Field(default=None, description="Definition it is measured by.")
    tier: Code | None = Field(default=None, description="Tier it applies to; none = all tiers.")
    description: Text = Field(default="", description="Wording of the target.")


class ExchangeRateRecorded(EventModel):
    """An exchange rate as a source states it: 1 unit of ``base`` = ``rate`` units of
    ``quote``, for one year (a fiscal year, or a calendar year when ``period`` is calendar), of
    a type (average of the year, end of period, …) and at a vintage (the release it comes
    from). A rate recorded again for the same year and vintage restates it; another vintage is
    kept beside it. Conversions use recorded rates only, and say which."""

    type: Literal["ExchangeRateRecorded"] = "ExchangeRateRecorded"
    schema_version: ClassVar[int] = 2
    base: Currency = Field(description="Currency converted from.")
    quote: Currency = Field(description="Currency converted to.")
    fiscal_year: FiscalYear = Field(
        description="Year the rate applies to: a fiscal year, or the calendar year when period "
        "is calendar."
    )
    rate: PositiveDecimal = Field(description="Units of quote per one unit of base.")
    rate_type: ShortText = Field(default="average", description="average, end-of-period, ...")
    period: YearKind = Field(
        default=YearKind.FISCAL,
        description="fiscal: fiscal_year is the figures' fiscal year; calendar: a calendar year.",
    )
    vintage: Code | None = Field(
        default=None, description="Release the rate comes from, e.g. imf-ifs-2025-04."
    )

    @model_validator(mode="after")
    def _distinct(self) -> ExchangeRateRecorded:
        if self.base == self.quote:
            raise ValueError("base and quote currencies must differ")
        return self


class IndexValue(EventModel):
    """One year's value of a price index."""

    year: FiscalYear = Field(description="The year (fiscal or calendar, as the series states).")
    value: PositiveDecimal = Field(description="The index value, exact (base year = 100).")


class PriceIndexRecorded(EventModel):
    """A price index (a deflator) as its source publishes it: one value per year, on a base
    year, at a vintage. ``--prices constant:YEAR`` turns a figure of year Y into YEAR's prices
    by × I(YEAR) / I(Y), exactly. A series re-based by its source (SIPRI's 2023 rebase) is a
    new vintage, recorded beside the old one, so a report as of before still shows the vintage
    it used. Recording the same series and vintage again restates it."""

    type: Literal["PriceIndexRecorded"] = "PriceIndexRecorded"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    series: Code = Field(description="The index, e.g. cpi or gdp-deflator.")
    vintage: Code = Field(description="Release the values come from, e.g. sipri-2024.")
    base_year: FiscalYear = Field(description="The year the source sets to 100.")
    period: YearKind = Field(
        default=YearKind.CALENDAR, description="Whether the years are calendar or fiscal years."
    )
    values: list[IndexValue] = Field(min_length=1, max_length=400, description="Year, value.")
    note: Text = Field(default="", description="What the index measures, as the source says.")

    @model_validator(mode="after")
    def _one_value_per_year(self) -> PriceIndexRecorded:
        years = [v.year for v in self.values]
        if len(set(years)) != len(years):
            raise ValueError("values: a year is given more than once")
        return self
