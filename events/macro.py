"""Figures around the budget: GDP, targets, exchange rates."""

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
    """An exchange rate for display: 1 unit of ``base`` = ``rate`` units of ``quote``."""

    type: Literal["ExchangeRateRecorded"] = "ExchangeRateRecorded"
    schema_version: ClassVar[int] = 1
    base: Currency = Field(description="Currency converted from.")
    quote: Currency = Field(description="Currency converted to.")
    fiscal_year: FiscalYear = Field(description="Fiscal year the (average) rate applies to.")
    rate: PositiveDecimal = Field(description="Units of quote per one unit of base.")
    rate_type: ShortText = Field(default="average", description="average, end-of-period, ...")

    @model_validator(mode="after")
    def _distinct(self) -> ExchangeRateRecorded:
        if self.base == self.quote:
            raise ValueError("base and quote currencies must differ")
        return self
