"""Budget figures: one line of one budget stage, recorded, revised, reclassified or withdrawn.

A line is identified by jurisdiction, fiscal year and line id. Its amount is exact and carries
its currency. A revision or withdrawal is a new event; nothing is edited in place.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from events.base import (
    SCHEMA_JURISDICTION,
    Code,
    Currency,
    EventModel,
    ExactDecimal,
    FiscalYear,
    Jurisdiction,
    ShortText,
)
from events.currencies import DEFAULT_CURRENCY
from events.definitions import Stage
from events.quoting import quoted


def default_currency(data: Any) -> Any:
    """Fill ``currency`` from the jurisdiction when a record leaves it out."""
    if isinstance(data, dict) and not data.get("currency"):
        jurisdiction = str(data.get("jurisdiction") or SCHEMA_JURISDICTION).strip().upper()
        if jurisdiction not in DEFAULT_CURRENCY:
            raise ValueError(f"currency is required for jurisdiction {quoted(jurisdiction)}")
        data = {**data, "currency": DEFAULT_CURRENCY[jurisdiction]}
    return data


class _LineKey(EventModel):
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    fiscal_year: FiscalYear = Field(description="Fiscal year the line belongs to.")
    line_id: Code = Field(description="Identifier of the line within the year.")


class BudgetLineRecorded(_LineKey):
    """A budget line (agency, program, category, exact amount, stage) enters the record."""

    type: Literal["BudgetLineRecorded"] = "BudgetLineRecorded"
    schema_version: ClassVar[int] = 2
    agency: ShortText = Field(min_length=1, description="Ministry or agency.")
    program: ShortText = Field(default="", description="Program or budget item.")
    category: Code = Field(description="Category code; must be defined.")
    amount: ExactDecimal = Field(description="Exact amount in currency units (decimal string).")
    currency: Currency = Field(description="ISO 4217 code; defaults to the jurisdiction's.")
    stage: Stage = Field(description="Budget stage.")

    _fill_currency = model_validator(mode="before")(default_currency)


class BudgetLineRevised(_LineKey):
    """The amount of a recorded line is restated (a correction or a new estimate)."""

    type: Literal["BudgetLineRevised"] = "BudgetLineRevised"
    schema_version: ClassVar[int] = 1
    amount: ExactDecimal = Field(description="New exact amount, same currency as recorded.")


class BudgetLineReclassified(_LineKey):
    """A recorded line moves to another category (the money does not change)."""

    type: Literal["BudgetLineReclassified"] = "BudgetLineReclassified"
    schema_version: ClassVar[int] = 1
    category: Code = Field(description="New category code; must be defined.")


class BudgetLineWithdrawn(_LineKey):
    """A recorded line no longer counts anywhere (recorded in error, or superseded)."""

    type: Literal["BudgetLineWithdrawn"] = "BudgetLineWithdrawn"
    schema_version: ClassVar[int] = 1
