"""Shared field types for every event: codes, fiscal years, exact amounts, currencies, sources.

Pure: no I/O, no clock. Every validator here rejects rather than guesses, because an event, once
written, is part of the audit record forever.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from events.currencies import ISO_4217
from events.quoting import clipped, quoted
from events.values import MAX_FISCAL_YEAR as MAX_FISCAL_YEAR
from events.values import MIN_FISCAL_YEAR as MIN_FISCAL_YEAR
from events.values import SCHEMA_JURISDICTION as SCHEMA_JURISDICTION
from events.values import parse_fiscal_year as parse_fiscal_year

MAX_DECIMAL_DIGITS = 40
MAX_DECIMAL_EXPONENT = 30
# Longest text an amount may be given as: the canonical spelling of the smallest and longest
# amount ("-0.", 29 zeros, 40 digits) is 72 characters, and every canonical spelling must parse.
MAX_DECIMAL_TEXT = 80

_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
_JURISDICTION_RE = re.compile(r"[A-Z]{2}")
_DECIMAL_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?")
_CONTEXT = Context(prec=120)


class EventModel(BaseModel):
    """Base of every event payload: frozen, unknown fields rejected."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, validate_default=True
    )
    schema_version: ClassVar[int]  # each event type sets its own (see events.upcasters)


def _check_code(value: Any) -> str:
    """NFKC-normalise, then require the ASCII allow-list pattern.

    Fullwidth ``ＥＤＵ`` normalises to ``EDU`` and is accepted; Cyrillic look-alikes (``Е``) and
    zero-width characters are not ASCII after NFKC and are rejected, so a code that looks right but
    is not can never split one category into two.
    """
    if not isinstance(value, str):
        raise ValueError("a code must be a string")
    normalised = unicodedata.normalize("NFKC", value.strip())
    if not normalised.isascii() or not _CODE_RE.fullmatch(normalised):
        raise ValueError(
            f"invalid code {quoted(value)}: use ASCII letters, digits, '.', '_' or '-' "
            "(1-64 characters, starting with a letter or digit)"
        )
    return normalised


Code = Annotated[str, BeforeValidator(_check_code)]


FiscalYear = Annotated[int, BeforeValidator(parse_fiscal_year)]


def parse_decimal(value: Any) -> Decimal:
    """Parse an exact decimal from a string, int or Decimal; never from a float.

    Rejects floats (already inexact), bools, NaN, Infinity, thousands separators, more than
    40 significant digits and exponents beyond ±30.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("amounts must be exact: give a decimal string, not a float")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DECIMAL_TEXT or not _DECIMAL_RE.fullmatch(text):
            raise ValueError(f"{quoted(value)} is not a decimal number")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
            raise ValueError(f"{quoted(value)} is not a decimal number") from exc
    else:
        raise ValueError("amounts must be decimal strings")
    if not number.is_finite():
        raise ValueError("amounts must be finite")
    return canonical_decimal(number)


def canonical_decimal(number: Decimal) -> Decimal:
    """One spelling per value: no exponent, no trailing fractional zeros, no negative zero."""
    if number == 0:
        return Decimal(0)
    if not -MAX_DECIMAL_EXPONENT <= number.adjusted() <= MAX_DECIMAL_DIGITS:
        raise ValueError(f"{clipped(str(number))} is out of range for a ledger amount")
    normalized = number.normalize(_CONTEXT)
    exponent = normalized.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent > 0:
        normalized = normalized.quantize(Decimal(1), context=_CONTEXT)
    if len(normalized.as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise ValueError(
            f"{clipped(str(number))} has more than {MAX_DECIMAL_DIGITS} significant digits"
        )
    return normalized


def decimal_str(number: Decimal) -> str:
    """The canonical JSON string of a canonical decimal (plain notation)."""
    return format(Decimal(number), "f")


ExactDecimal = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(decimal_str, return_type=str, when_used="always"),
]


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def _share(value: Decimal) -> Decimal:
    if not Decimal(0) < value <= Decimal(1):
        raise ValueError(f"share {decimal_str(value)} must be in (0, 1]")
    return value


PositiveDecimal = Annotated[ExactDecimal, AfterValidator(_positive)]
Share = Annotated[ExactDecimal, AfterValidator(_share)]


def _check_currency(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in ISO_4217:
        raise ValueError(f"currency {quoted(value)} is not an ISO 4217 code")
    return value.strip().upper()


def _check_jurisdiction(value: Any) -> str:
    if not isinstance(value, str) or not _JURISDICTION_RE.fullmatch(value.strip().upper()):
        raise ValueError(f"jurisdiction {quoted(value)} is not an ISO 3166-1 alpha-2 code")
    return value.strip().upper()


Currency = Annotated[str, BeforeValidator(_check_currency)]
Jurisdiction = Annotated[str, BeforeValidator(_check_jurisdiction)]


def _no_nul(value: str) -> str:
    """PostgreSQL cannot store NUL in text, and no citation needs one: refuse it on every
    backend alike, so a ledger can always be copied between them."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


Text = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]
ShortText = Annotated[str, Field(max_length=300), AfterValidator(_no_nul)]


def _check_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://\S+", value.strip()):
        raise ValueError(f"source URL {quoted(value)} must start with http:// or https://")
    return value.strip()


class Source(EventModel):
    """Where a figure or decision comes from: the citation an auditor follows."""

    title: ShortText = Field(min_length=1, description="Title of the document cited.")
    url: Annotated[str | None, BeforeValidator(_check_url)] = Field(
        default=None, max_length=2000, description="http(s) address of the document."
    )
    page: ShortText | None = Field(default=None, description="Page, table or section cited.")
    published: ShortText | None = Field(
        default=None, description="Publication date of the document (ISO 8601 date)."
    )
    hypothetical: bool = Field(
        default=False,
        description="True when the figure is illustrative, not published; shown in every output.",
    )
