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
