"""Money over several years: multi-year programmes (an envelope for a span of fiscal years)
and obligations (contract amounts and contract authority), which are never spending."""

from __future__ import annotations

from decimal import Decimal
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
    decimal_str,
)
from events.budget import default_currency
from events.definitions import Stage


class ProgrammeBasis(StrEnum):
    """What counts against a programme's envelope: budget lines (``expenditure``, 歳出) or
    obligations (``contract``, 契約ベース: contracts concluded, whenever they are paid)."""

    EXPENDITURE = "expenditure"
    CONTRACT = "contract"


class ProgrammePart(EventModel):
    """One part of a programme's envelope, and the categories whose figures count against it."""

    part_id: Code = Field(description="Stable id of the part, e.g. annual-budgets.")
    name: ShortText = Field(min_length=1, description="What the part is.")
    amount: PositiveDecimal = Field(description="Exact amount of the part.")
    categories: list[Code] = Field(
        default_factory=list,
        max_length=200,
        description="Categories whose lines (or obligations) count against this part; none: "
        "no recorded figure does.",
    )


class ProgrammeDefined(EventModel):
    """A multi-year programme: an envelope for the fiscal years ``first_year``..``last_year``,
    made of parts that add up to it exactly, against which the figures of given categories count
    (budget lines at the programme's stages, or obligations on the contract basis). It gives
    "spent so far / remaining / pace needed"; it never changes a total. Recording it again
    restates it."""

    type: Literal["ProgrammeDefined"] = "ProgrammeDefined"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    programme_id: Code = Field(description="Stable id, e.g. jp-dbp-2023.")
    name: ShortText = Field(min_length=1, description="Name of the programme.")
    basis: ProgrammeBasis = Field(
        default=ProgrammeBasis.EXPENDITURE, description="expenditure or contract."
    )
    first_year: FiscalYear = Field(description="First fiscal year of the programme.")
    last_year: FiscalYear = Field(description="Last fiscal year of the programme.")
    envelope: PositiveDecimal = Field(description="Exact total, the sum of the parts.")
    currency: Currency = Field(description="ISO 4217 code; defaults to the jurisdiction's.")
    stages: list[Stage] = Field(
        default_factory=lambda: [Stage.INITIAL, Stage.SUPPLEMENTARY],
        min_length=1,
        description="Budget stages whose figures count against the envelope.",
    )
    parts: list[ProgrammePart] = Field(
        min_length=1, max_length=100, description="The parts, adding up to the envelope."
    )
    note: Text = Field(default="", description="What the source says about the programme.")

    _fill_currency = model_validator(mode="before")(default_currency)

    @model_validator(mode="after")
    def _consistent(self) -> ProgrammeDefined:
        if self.first_year > self.last_year:
            raise ValueError("first_year must not be after last_year")
        ids = [part.part_id for part in self.parts]
        if len(set(ids)) != len(ids):
            raise ValueError("parts: a part_id is given more than once")
        codes = [code for part in self.parts for code in part.categories]
        if len(set(codes)) != len(codes):
            raise ValueError("parts: a category counts against one part only")
        total = sum((part.amount for part in self.parts), Decimal(0))
        if total != self.envelope:
            parts = " + ".join(decimal_str(part.amount) for part in self.parts)
            raise ValueError(
                f"the parts add up to {parts} = {decimal_str(total)}, "
                f"not the envelope {decimal_str(self.envelope)}"
            )
        return self


class ObligationKind(StrEnum):
    """What an obligation figure is: new contracts concluded in the year (新規契約額, the
    contract basis), the part of them payable in later years (新規後年度負担額), or authority
    granted to contract now and pay later (国庫債務負担行為)."""

    NEW_CONTRACTS = "new-contracts"
    LATER_YEAR_PAYMENTS = "later-year-payments"
    CONTRACT_AUTHORITY = "contract-authority"


class ObligationRecorded(EventModel):
    """An obligation of one fiscal year: money committed (contracts, multi-year commitments,
    contract authority), which is paid in that or later years. Its own measure
    (``defledger obligations``); it is never added to spending. Recording the same obligation
    again restates it."""

    type: Literal["ObligationRecorded"] = "ObligationRecorded"
    schema_version: ClassVar[int] = 1
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    fiscal_year: FiscalYear = Field(description="Fiscal year the obligation is entered into.")
    obligation_id: Code = Field(description="Identifier of the figure within the year.")
    agency: ShortText = Field(min_length=1, description="Ministry or agency.")
    program: ShortText = Field(default="", description="Program or budget item.")
    category: Code = Field(description="Category code; must be defined.")
    kind: ObligationKind = Field(
        default=ObligationKind.NEW_CONTRACTS,
        description="new-contracts, later-year-payments or contract-authority.",
    )
    amount: PositiveDecimal = Field(description="Exact amount in currency units.")
    currency: Currency = Field(description="ISO 4217 code; defaults to the jurisdiction's.")
    stage: Stage = Field(description="Budget stage the figure belongs to.")

    _fill_currency = model_validator(mode="before")(default_currency)
