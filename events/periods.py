"""Periods as the source states them: whether a jurisdiction's years are fiscal or calendar."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from events.base import EventModel, Jurisdiction, Text


class YearKind(StrEnum):
    """Fiscal years (labelled ``FY2025``) or calendar years (labelled ``2025``)."""

    FISCAL = "fiscal"
    CALENDAR = "calendar"


class YearNamedBy(StrEnum):
    """Which calendar year gives a fiscal year its number: the one it starts in (Japan: FY2025
    is April 2025 – March 2026) or the one it ends in (United States: FY2025 is October 2024 –
    September 2025)."""

    START = "start"
    END = "end"


class YearBasisSet(EventModel):
    """How a jurisdiction's figures state their years: fiscal years starting in a given month,
    or calendar years. It decides how years are labelled in every output (``FY2025`` or
    ``2025``); the figures themselves are not converted. Setting it again restates it. Without
    one, years are fiscal years (``FY2025``)."""

    type: Literal["YearBasisSet"] = "YearBasisSet"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(description="ISO 3166-1 alpha-2 code.")
    basis: YearKind = Field(description="fiscal or calendar.")
    start_month: int = Field(
        default=1, ge=1, le=12, description="Month the year starts in, 1-12 (calendar: 1)."
    )
    named_by: YearNamedBy = Field(
        default=YearNamedBy.START,
        description="A fiscal year is numbered by the calendar year it starts or ends in.",
    )
    note: Text = Field(default="", description="How the source states its periods.")

    @model_validator(mode="after")
    def _calendar_is_january(self) -> YearBasisSet:
        if self.basis is YearKind.CALENDAR and (
            self.start_month != 1 or self.named_by is not YearNamedBy.START
        ):
            raise ValueError("a calendar year starts in month 1 and is named by its start")
        return self


class CalendarMethod(StrEnum):
    """How fiscal-year figures become calendar-year figures: spending is taken as spread evenly
    through each fiscal year (SIPRI's assumption), so each month carries a twelfth of it."""

    EVEN_SPREAD = "even-spread"


class CalendarisationRuleSet(EventModel):
    """How a jurisdiction's fiscal-year figures become calendar-year figures when a question
    asks for calendar years (``--period calendar``). Under ``even-spread`` a calendar year is
    the sum of the fiscal years it overlaps, each weighted by the months of it that fall in the
    calendar year, over twelve: for a year starting in April and numbered by its start (Japan),
    CY(y) = 0.25 × FY(y−1) + 0.75 × FY(y). The months are the rule's own ``start_month`` and
    ``named_by`` when given, else the jurisdiction's year basis (``YearBasisSet``). Recorded
    figures are never changed; setting the rule again restates it."""

    type: Literal["CalendarisationRuleSet"] = "CalendarisationRuleSet"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(description="ISO 3166-1 alpha-2 code.")
    method: CalendarMethod = Field(
        default=CalendarMethod.EVEN_SPREAD,
        description="even-spread: each month carries a twelfth of its fiscal year.",
    )
    start_month: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="Month the fiscal year starts in, 1-12 (none: the year basis's).",
    )
    named_by: YearNamedBy | None = Field(
        default=None,
        description="A fiscal year is numbered by the calendar year it starts or ends in "
        "(none: the year basis's).",
    )
    note: Text = Field(default="", description="The rule as the source states it.")
