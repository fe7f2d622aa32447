"""Claims: what someone published about the figures ("Japan reached 2 %"), recorded with where
and when it was published, the value as printed with its precision, and the measure it implies
(or none), so that the ledger can check it again after every revision.

A claim is never edited: it is withdrawn, or superseded by another claim. Each claim has its own
stream, ``claim/<claim_id>``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from events.base import (
    SCHEMA_JURISDICTION,
    Code,
    Currency,
    EventModel,
    ExactDecimal,
    FiscalYear,
    Jurisdiction,
    ShortText,
    Text,
    _check_code,
    _check_url,
    parse_fiscal_year,
)
from events.currencies import DEFAULT_CURRENCY
from events.definitions import Stage
from events.quoting import quoted

MAX_SPAN_YEARS = 50
MIN_DECIMALS, MAX_DECIMALS = -15, 30
MAX_SCALE = 30


class ClaimMetric(StrEnum):
    """What a claim states a value of."""

    AMOUNT = "amount"  # a total, in money (summed over the years of a span)
    SHARE_OF_GDP = "share-of-gdp"  # a total as a percentage of GDP
    CHANGE_AMOUNT = "change-amount"  # a total minus an earlier year's, in money
    CHANGE_PERCENT = "change-percent"  # that change as a percentage of the earlier total
    CHANGE_PP = "change-pp"  # a share of GDP minus an earlier year's, in percentage points
    GAP_AMOUNT = "gap-amount"  # a target's amount minus the total (positive: short of it)
    GAP_PP = "gap-pp"  # a target's percentage minus the share (positive: short of it)


MONEY_METRICS = frozenset({ClaimMetric.AMOUNT, ClaimMetric.CHANGE_AMOUNT, ClaimMetric.GAP_AMOUNT})
CHANGE_METRICS = frozenset(
    {ClaimMetric.CHANGE_AMOUNT, ClaimMetric.CHANGE_PERCENT, ClaimMetric.CHANGE_PP}
)
GAP_METRICS = frozenset({ClaimMetric.GAP_AMOUNT, ClaimMetric.GAP_PP})


class Comparison(StrEnum):
    """How the published value is meant: a figure (``equals``, ``about``: it holds when the
    ledger's value rounds half-up to it at its precision), a range (``between``: the rounded
    value within it, inclusive) or a bound (``at-least`` … ``less-than``: the exact value)."""

    EQUALS = "equals"
    ABOUT = "about"
    BETWEEN = "between"
    AT_LEAST = "at-least"
    AT_MOST = "at-most"
    MORE_THAN = "more-than"
    LESS_THAN = "less-than"


class ClaimKind(StrEnum):
    """A claim states a figure, or a target or request ("closer to 3.5 %"): it holds when met."""

    FIGURE = "figure"
    TARGET = "target"


_PUBLISHED = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")
_SPEC = re.compile(r"([^@]+)(?:@v?(\d{1,6}))?")
_BASIS = re.compile(r"(same-year|(?:FY)?\d{4})(?:@(.+))?", re.IGNORECASE)


def _check_published(value: Any) -> str:
    """An ISO 8601 date (``2025-11-29``), month (``2025-11``) or year (``2025``)."""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not _PUBLISHED.fullmatch(text):
        raise ValueError(
            f"publication date {quoted(value)} is not like 2025-11-29, 2025-11 or 2025"
        )
    try:
        date.fromisoformat(
            text if len(text) == 10 else f"{text[:7]}-01" if len(text) == 7 else f"{text}-01-01"
        )
    except ValueError as exc:
        raise ValueError(f"publication date {quoted(value)} is not a date") from exc
    return text


def _check_language(value: Any) -> str:
    """A BCP 47 language tag such as ``ja`` or ``en-GB`` (the primary subtag in lower case)."""
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value.strip()):
        raise ValueError(f"language {quoted(value)} is not a language tag such as ja or en")
    primary, _, rest = value.strip().partition("-")
    return primary.lower() + (f"-{rest}" if rest else "")


def _check_spec(value: Any) -> str:
    """``NAME`` (the version in force) or ``NAME@N``."""
    match = _SPEC.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"definition {quoted(value)} is not like jp-defense-related or NAME@2")
    name = _check_code(match.group(1))
    return name + (f"@{int(match.group(2))}" if match.group(2) else "")


def _check_basis(value: Any) -> str:
    """``same-year``, ``FY2022`` or either ``@VINTAGE``, in one spelling (``FY2022@…``)."""
    match = _BASIS.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"GDP basis {quoted(value)} is not same-year, FY2022 or FY2022@VINTAGE")
    year, vintage = match.group(1), match.group(2)
    text = "same-year" if year.lower() == "same-year" else f"FY{parse_fiscal_year(year)}"
    return text + (f"@{_check_code(vintage)}" if vintage else "")


PublishedDate = Annotated[str, BeforeValidator(_check_published)]
Language = Annotated[str, BeforeValidator(_check_language)]
DefinitionSpec = Annotated[str, BeforeValidator(_check_spec)]
BasisSpec = Annotated[str, BeforeValidator(_check_basis)]
Url = Annotated[str | None, BeforeValidator(_check_url)]


def places_of(value: Any) -> int:
    """Decimal places of a value as written: ``"1.8"`` → 1, ``"2.0"`` → 1, ``"2"`` → 0."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return 0
    try:
        exponent = Decimal(value.strip() if isinstance(value, str) else value).as_tuple().exponent
    except ArithmeticError:
        return 0  # not a number: the value's own validator says so
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class ClaimRecorded(EventModel):
    """A published claim about a figure: who said what, where and when, about which
    jurisdiction, year(s) and metric; the value as published with its precision; and the
    measure it implies (definition, tier, stages, GDP basis) or none (unspecified)."""

    type: Literal["ClaimRecorded"] = "ClaimRecorded"
    schema_version: ClassVar[int] = 1
    claim_id: Code = Field(description="Stable id of the claim, e.g. jp-fy2025-2pct-nikkei.")
    claimant: ShortText = Field(min_length=1, description="Who made the claim.")
    publication: ShortText = Field(min_length=1, description="Where it was published (title).")
    url: Url = Field(default=None, max_length=2000, description="http(s) address of it.")
    published: PublishedDate = Field(description="Publication date (ISO 8601 date).")
    quote: Text = Field(min_length=1, description="The words published, in the original language.")
    language: Language = Field(default="en", description="Language of the quote (BCP 47).")
    translation: Text | None = Field(
        default=None, description="English translation (required when the quote is not English)."
    )
    jurisdiction: Jurisdiction = Field(
        default=SCHEMA_JURISDICTION, description="ISO 3166-1 alpha-2 code."
    )
    fiscal_year: FiscalYear = Field(description="Fiscal year the claim is about.")
    through_fiscal_year: FiscalYear | None = Field(
        default=None, description="Last year of a span whose amounts are summed (amount only)."
    )
    compared_with: FiscalYear | None = Field(
        default=None,
        description="Earlier year of a change (change metrics; default the year before).",
    )
    metric: ClaimMetric = Field(description="What the value is of.")
    kind: ClaimKind = Field(default=ClaimKind.FIGURE, description="figure, or target (a request).")
    comparison: Comparison = Field(default=Comparison.EQUALS, description="How the value is meant.")
    value: ExactDecimal = Field(description="The value as published, in its unit (× 10^scale).")
    value_high: ExactDecimal | None = Field(
        default=None, description="Upper end of a range (between only)."
    )
    decimals: int = Field(
        ge=MIN_DECIMALS,
        le=MAX_DECIMALS,
        description="Precision as published: decimal places of the value (default: as written).",
    )
    scale: int = Field(
        default=0, ge=0, le=MAX_SCALE, description="Power of ten of a money value (12: trillions)."
    )
    currency: Currency | None = Field(
        default=None, description="Currency of a money value (default: the jurisdiction's)."
    )
    as_published: ShortText = Field(
        default="", description="The figure as printed, e.g. 約9.9兆円."
    )
    definition: DefinitionSpec | None = Field(
        default=None, description="Definition it implies (NAME or NAME@N); none: unspecified."
    )
    tier: Code | None = Field(default=None, description="Tier it is about; none: all tiers.")
    stages: tuple[Stage, ...] | None = Field(
        default=None, description="Budget stages it counts; none: the definition's."
    )
    gdp_basis: BasisSpec | None = Field(
        default=None,
        description="GDP it divides by (same-year, FY2022@VINTAGE); none: the definition's.",
    )
    target_id: Code | None = Field(default=None, description="Target of a gap (gap metrics only).")
    measure_note: Text = Field(default="", description="What the claimant said of the measure.")

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        """Make the implicit explicit before it is stored: the precision as written, the
        jurisdiction's currency for money, the year before for a change."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("decimals") is None or data.get("decimals") == "":
            data["decimals"] = max(places_of(data.get("value")), places_of(data.get("value_high")))
        metric = data.get("metric")
        if not isinstance(metric, str):
            return data  # the metric's own validator says what is wrong with it
        if metric in {m.value for m in MONEY_METRICS} and not data.get("currency"):
            jurisdiction = str(data.get("jurisdiction") or SCHEMA_JURISDICTION).strip().upper()
            if jurisdiction in DEFAULT_CURRENCY:
                data["currency"] = DEFAULT_CURRENCY[jurisdiction]
        if metric in {m.value for m in CHANGE_METRICS} and data.get("compared_with") in (None, ""):
            try:
                data["compared_with"] = parse_fiscal_year(data.get("fiscal_year")) - 1
            except (ValueError, TypeError):
                pass  # the fiscal year's own validator reports it
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ClaimRecorded:
        metric = self.metric
        if (self.comparison is Comparison.BETWEEN) != (self.value_high is not None):
            raise ValueError("value_high is required for a between claim and only for it")
        if self.value_high is not None and self.value_high <= self.value:
            raise ValueError("value_high must be greater than value")
        if self.through_fiscal_year is not None:
            if metric is not ClaimMetric.AMOUNT:
                raise ValueError("through_fiscal_year is only for an amount summed over years")
            if not 0 < self.through_fiscal_year - self.fiscal_year < MAX_SPAN_YEARS:
                raise ValueError(
                    f"through_fiscal_year must be after fiscal_year, by fewer than "
                    f"{MAX_SPAN_YEARS} years"
                )
        if (metric in CHANGE_METRICS) != (self.compared_with is not None):
            raise ValueError("compared_with is for change metrics only")
        if self.compared_with is not None and self.compared_with == self.fiscal_year:
            raise ValueError("compared_with must be another fiscal year")
        if (metric in GAP_METRICS) != (self.target_id is not None):
            raise ValueError("target_id is required for a gap metric and only for it")
        if metric in MONEY_METRICS and self.currency is None:
            raise ValueError(f"currency is required for jurisdiction {quoted(self.jurisdiction)}")
        if metric not in MONEY_METRICS and (self.currency is not None or self.scale):
            raise ValueError(f"currency and scale are for money metrics, not {metric.value}")
        if self.stages is not None and len(set(self.stages)) != len(self.stages):
            raise ValueError("stages must not repeat")
        if not self.language.startswith("en") and not self.translation:
            raise ValueError(f"translation is required for a quote in {self.language}")
        return self

    @property
    def years(self) -> list[int]:
        """The fiscal years the claim's value is computed from, earliest first."""
        if self.compared_with is not None:
            return sorted((self.compared_with, self.fiscal_year))
        last = self.through_fiscal_year or self.fiscal_year
        return list(range(self.fiscal_year, last + 1))


class ClaimWithdrawn(EventModel):
    """A claim is no longer checked: the claimant retracted it, or it was recorded in error."""

    type: Literal["ClaimWithdrawn"] = "ClaimWithdrawn"
    schema_version: ClassVar[int] = 1
    claim_id: Code = Field(description="The claim withdrawn.")


class ClaimSuperseded(EventModel):
    """A claim is replaced by another, already recorded (a correction, or a later statement)."""

    type: Literal["ClaimSuperseded"] = "ClaimSuperseded"
    schema_version: ClassVar[int] = 1
    claim_id: Code = Field(description="The claim superseded.")
    by: Code = Field(description="The claim that replaces it.")

    @model_validator(mode="after")
    def _another(self) -> ClaimSuperseded:
        if self.by == self.claim_id:
            raise ValueError("a claim cannot supersede itself")
        return self
