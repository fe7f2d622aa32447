"""Definition changes: what counts as defense-related expenditure, version by version.

A definition (``jp-defense-related``, ``nato``) has numbered versions. A version is opened
(empty or based on an earlier one), its categories are included with a share or excluded, its
budget stages, GDP basis and status are set. Each of these is its own event, so every change to
"what counts" is on the record with who, when, why and on what source.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from events.base import Code, EventModel, FiscalYear, Share, ShortText, Text
from events.stages import STAGE_LEVELS as STAGE_LEVELS
from events.stages import Stage as Stage


class StageRule(StrEnum):
    """How a definition counts the stages it names: every one adds up (``sum``), or only the
    latest level recorded for a line's jurisdiction and year (``latest``, see STAGE_LEVELS)."""

    SUM = "sum"
    LATEST = "latest"


class Status(StrEnum):
    """Life cycle of a definition version."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


class GdpBasisKind(StrEnum):
    """Which GDP a share is divided by."""

    SAME_YEAR = "same-year"
    FIXED_YEAR = "fixed-year"


class DefinitionVersionOpened(EventModel):
    """A new version of a definition is opened, empty or as a copy of an earlier version."""

    type: Literal["DefinitionVersionOpened"] = "DefinitionVersionOpened"
    schema_version: ClassVar[int] = 1
    definition: Code = Field(description="Definition name, e.g. jp-defense-related.")
    version: int = Field(ge=1, le=100000, description="Version number, 1, 2, ...")
    based_on: int | None = Field(
        default=None,
        ge=1,
        description="Earlier version whose state this one starts from.",
    )
    title: ShortText = Field(min_length=1, description="Short title of this version.")
    description: Text = Field(default="", description="What this version changes and why.")

    @model_validator(mode="after")
    def _based_on_earlier(self) -> DefinitionVersionOpened:
        if self.based_on is not None and self.based_on >= self.version:
            raise ValueError("based_on must name an earlier version")
        return self


class CategoryIncluded(EventModel):
    """A category counts under a definition version, in a tier, with a share in (0, 1].

    Including an already-included category restates its share or tier (a re-weighting).
    """

    type: Literal["CategoryIncluded"] = "CategoryIncluded"
    schema_version: ClassVar[int] = 1
    definition: Code = Field(description="Definition name.")
    version: int = Field(ge=1, description="Definition version.")
    category: Code = Field(description="Category code being included.")
    share: Share = Field(
        default=Decimal(1), description="Share of the category that counts, in (0, 1]."
    )
    tier: Code = Field(default="core", description="Tier the category counts in (core, related).")
    note: Text = Field(default="", description="Why, e.g. the NATO proportionality test.")


class CategoryExcluded(EventModel):
    """A category no longer counts under a definition version."""

    type: Literal["CategoryExcluded"] = "CategoryExcluded"
    schema_version: ClassVar[int] = 1
    definition: Code = Field(description="Definition name.")
    version: int = Field(ge=1, description="Definition version.")
    category: Code = Field(description="Category code being excluded.")
    note: Text = Field(default="", description="Why it is excluded.")


class StagesSet(EventModel):
    """Which budget stages count under a definition version, and how (a definition change in
    itself). With rule ``latest`` only the latest stage level recorded for a year counts (a
    settled year is not counted again at its initial budget); ``sum`` adds every stage named.

    ``rule`` is left out of the payload when it is ``sum``: a StagesSet written before the rule
    existed (it meant ``sum``) is the same payload, so it reads, hashes and re-imports as it
    did, with no new schema version; only a ``latest`` rule is written out."""

    type: Literal["StagesSet"] = "StagesSet"
    schema_version: ClassVar[int] = 1
    definition: Code = Field(description="Definition name.")
    version: int = Field(ge=1, description="Definition version.")
    stages: tuple[Stage, ...] = Field(min_length=1, description="Stages whose lines count.")
    rule: StageRule = Field(
        default=StageRule.SUM,
        description="sum: every stage named adds up; latest: only the latest stage level "
        "recorded for the year (plan < request < draft < initial+supplementary < estimate < "
        "settled).",
    )

    @model_validator(mode="after")
    def _no_duplicates(self) -> StagesSet:
        if len(set(self.stages)) != len(self.stages):
            raise ValueError("stages must not repeat")
        return self

    # no return annotation: with one, pydantic would describe the serialised payload by it
    # instead of by the fields (docs/events.md is generated from that schema)
    @model_serializer(mode="wrap")
    def _sum_left_out(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        if data.get("rule") == StageRule.SUM:
            del data["rule"]
        return data


class GdpBasisSet(EventModel):
    """Which GDP a definition version divides by: the same year's, or one fixed year's."""

    type: Literal["GdpBasisSet"] = "GdpBasisSet"
    schema_version: ClassVar[int] = 1
    definition: Code = Field(description="Definition name.")
    version: int = Field(ge=1, description="Definition version.")
    basis: GdpBasisKind = Field(description="same-year or fixed-year.")
    fiscal_year: FiscalYear | None = Field(
        default=None,
        description="For fixed-year: the GDP year used for every year's share.",
    )
    vintage: ShortText | None = Field(
        default=None, description="GDP vintage to use; none means the latest recorded."
    )

    @model_validator(mode="after")
    def _year_matches_basis(self) -> GdpBasisSet:
        if (self.basis is GdpBasisKind.FIXED_YEAR) != (self.fiscal_year is not None):
            raise ValueError("fiscal_year is required for fixed-year basis and only for it")
        return self


class DefinitionStatusChanged(EventModel):
    """A definition version moves draft → proposed → adopted → withdrawn/superseded."""

    type: Literal["DefinitionStatusChanged"] = "DefinitionStatusChanged"
    schema_version: ClassVar[int] = 1
    definition: Code = Field(description="Definition name.")
    version: int = Field(ge=1, description="Definition version.")
    status: Status = Field(description="New status.")
    effective_from: FiscalYear | None = Field(
        default=None,
        description="First fiscal year the version applies to (required to adopt).",
    )

    @model_validator(mode="after")
    def _adoption_has_year(self) -> DefinitionStatusChanged:
        if self.status is Status.ADOPTED and self.effective_from is None:
            raise ValueError("adopting a version requires effective_from")
        return self
