"""Spending categories: the vocabulary every definition and budget line is written in."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from events.base import Code, EventModel, ShortText, Text


class CategoryDefined(EventModel):
    """A spending category exists in the taxonomy (or its name/description was restated).

    Codes are stable identities: a budget line may only use a defined code, and definitions
    include or exclude categories by code.
    """

    type: Literal["CategoryDefined"] = "CategoryDefined"
    schema_version: ClassVar[int] = 1
    code: Code = Field(description="Stable category code, e.g. JP.CORE.DBP.")
    name: ShortText = Field(min_length=1, description="Human-readable name.")
    parent: Code | None = Field(default=None, description="Code of the parent category, if any.")
    description: Text = Field(default="", description="What the category covers.")
