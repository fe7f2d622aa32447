"""Hypothesis strategies for valid events, built from the event models' own field declarations
(so a new field or type is covered without touching the tests)."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any

from annotated_types import Ge, Le, MaxLen, MinLen
from hypothesis import reject
from hypothesis import strategies as st
from pydantic import AfterValidator, BeforeValidator, ValidationError

from events import EVENT_CLASSES, BudgetLineRecorded, ClaimRecorded, EventModel, ProgrammeDefined
from events.currencies import DEFAULT_CURRENCY, ISO_4217

CODES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,20}", fullmatch=True)
# Any text a model accepts: every character but NUL (refused by the models on every backend).
CHARS = st.characters(codec="utf-8", exclude_characters="\x00")  # text: no NUL, no lone surrogate
TEXT = st.text(CHARS, max_size=40)


def _decimal_strings(low: Decimal | None, high: Decimal | None) -> st.SearchStrategy[str]:
    """Exact decimals, spelled in the ways people and programs write them."""
    numbers = st.decimals(
        min_value=low, max_value=high, allow_nan=False, allow_infinity=False, places=None
    ).filter(lambda d: d == 0 or -30 <= d.adjusted() <= 30)
    numbers = numbers.filter(lambda d: len(d.normalize().as_tuple().digits) <= 40)
    return numbers.flatmap(lambda d: st.sampled_from(spellings(d)))


def spellings(number: Decimal) -> list[str]:
    """The same value written four ways: repr, plain, scientific, with a trailing zero."""
    plain = format(number, "f")
    return [str(number), plain, format(number, "E"), plain + ("" if "." in plain else ".") + "0"]


def _by_validator(func_name: str, after: str | None) -> st.SearchStrategy[Any]:
    if func_name == "_check_code":
        return CODES
    if func_name == "parse_fiscal_year":
        years = st.integers(1900, 2200)
        return st.one_of(years, years.map(str), years.map(lambda y: f"FY{y}"))
    if func_name == "_check_currency":
        return st.sampled_from(sorted(ISO_4217)).flatmap(lambda c: st.sampled_from([c, c.lower()]))
    if func_name == "_check_jurisdiction":
        return st.sampled_from(sorted(DEFAULT_CURRENCY))
    if func_name == "_check_url":
        return st.sampled_from(["https://example.org/a", "http://example.org/b?p=1", ""])
    if func_name == "_check_published":
        return (
            st.dates()
            .map(lambda d: d.isoformat())
            .flatmap(lambda d: st.sampled_from([d, d[:7], d[:4]]))
        )
    if func_name == "_check_language":
        return st.sampled_from(["en", "ja", "EN-gb", "de"])
    if func_name == "_check_spec":
        return CODES.flatmap(lambda c: st.sampled_from([c, f"{c}@1", f"{c}@v12"]))
    if func_name == "_check_basis":
        return st.sampled_from(["same-year", "FY2022", "2022@2022-12-estimate", "same-year@x"])
    if func_name == "parse_decimal":
        if after == "_share":
            return _decimal_strings(Decimal("0.000001"), Decimal(1))
        if after == "_positive":
            return _decimal_strings(Decimal("0.000001"), Decimal("1e20"))
        return _decimal_strings(Decimal("-1e20"), Decimal("1e20"))
    raise AssertionError(f"no strategy for validator {func_name}")


def strategy_for(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """A strategy for one field, from its annotation and constraint metadata."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        assert len(inner) == 1
        return st.none() | strategy_for(inner[0], metadata)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        flat: list[Any] = []
        for item in extra:  # a nested FieldInfo carries its own constraints
            flat.extend(getattr(item, "metadata", [item]))
        return strategy_for(base, [*metadata, *flat])
    if origin is typing.Literal:
        return st.just(typing.get_args(annotation)[0])
    if origin is tuple:
        member = typing.get_args(annotation)[0]
        return st.lists(st.sampled_from(list(member)), min_size=1, unique=True).map(tuple)
    if origin is list:
        member = typing.get_args(annotation)[0]
        low = next((m.min_length for m in metadata if isinstance(m, MinLen)), 0)
        if isinstance(member, type) and issubclass(member, EventModel):
            return st.lists(model_strategy(member), min_size=low, max_size=3)
        if isinstance(member, type) and issubclass(member, Enum):
            return st.lists(st.sampled_from(list(member)), min_size=low, unique=True)
        return st.lists(strategy_for(member, []), min_size=low, max_size=3)
    befores = [m.func.__name__ for m in metadata if isinstance(m, BeforeValidator)]
    afters = [m.func.__name__ for m in metadata if isinstance(m, AfterValidator)]
    if befores:
        return _by_validator(befores[0], afters[0] if afters else None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = next((m.ge for m in metadata if isinstance(m, Ge)), None)
        high = next((m.le for m in metadata if isinstance(m, Le)), 100_000)
        return st.integers(low, high)
    if annotation is str:
        low = next((m.min_length for m in metadata if isinstance(m, MinLen)), 0)
        high = next((m.max_length for m in metadata if isinstance(m, MaxLen)), 40)
        return st.text(CHARS, min_size=low, max_size=min(high, 40))
    raise AssertionError(f"no strategy for {annotation!r}")


def _claim_fields(metric: str) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of a ClaimRecorded that depend on its metric and comparison, drawn so that
    the cross-field rules mostly hold (a generic draw would be rejected nine times in ten)."""
    from events.claims import CHANGE_METRICS, GAP_METRICS, MONEY_METRICS

    money = metric in {m.value for m in MONEY_METRICS}
    fields: dict[str, st.SearchStrategy[Any]] = {"metric": st.just(metric)}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "comparison": st.sampled_from(["equals", "about", "at-least", "at-most", "more-than"]),
    }
    if money:
        optional["scale"] = st.sampled_from([0, 9, 12])
        optional["currency"] = st.sampled_from(["JPY", "USD"])
    if metric in {m.value for m in CHANGE_METRICS}:
        optional["compared_with"] = st.integers(1900, 2200)
    if metric in {m.value for m in GAP_METRICS}:
        fields["target_id"] = CODES
    if metric == "amount":
        optional["through_fiscal_year"] = st.integers(1901, 2200)
    return st.fixed_dictionaries(fields, optional=optional)


def _claim_strategy(generic: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[EventModel]:
    from events.claims import ClaimMetric

    ranged = st.tuples(_decimal_strings(Decimal(-1000), Decimal(1000)), st.integers(1, 10**6))

    def build(data: dict[str, Any]) -> EventModel:
        try:
            return ClaimRecorded.model_validate(data)
        except ValidationError:
            reject()

    def combine(parts: tuple[dict[str, Any], dict[str, Any], Any, bool]) -> dict[str, Any]:
        base, specific, (low, extra), between = parts
        data = {k: v for k, v in base.items() if k not in _CLAIM_DEPENDENT}
        data.update(specific)
        if data.get("language", "en").lower().startswith("en"):
            data.pop("translation", None)
        else:
            data["translation"] = "translated"
        if between:
            data["comparison"] = "between"
            data["value"], data["value_high"] = low, str(Decimal(low) + extra)
        if "through_fiscal_year" in data:
            data["fiscal_year"] = int(data["through_fiscal_year"]) - 1
        if data.get("compared_with") == data.get("fiscal_year"):
            data.pop("compared_with")
        return data

    specific = st.sampled_from([m.value for m in ClaimMetric]).flatmap(_claim_fields)
    return st.tuples(generic, specific, ranged, st.booleans()).map(combine).map(build)


_CLAIM_DEPENDENT = {
    "metric", "comparison", "value_high", "scale", "currency", "compared_with", "target_id",
    "through_fiscal_year", "decimals",
}  # fmt: skip


def model_fields_strategy(cls: type[EventModel]) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of ``cls`` as a dict, each drawn from its declaration, optional ones
    sometimes left out."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in cls.model_fields.items():
        strategy = strategy_for(info.annotation, list(info.metadata))
        (fields if info.is_required() else optional)[name] = strategy
    if cls is BudgetLineRecorded or "currency" in fields:
        optional["currency"] = fields.pop("currency")
    return st.fixed_dictionaries(fields, optional=optional)


def model_strategy(cls: type[EventModel]) -> st.SearchStrategy[EventModel]:
    """Valid nested models (a programme's part, an index value)."""

    def build(data: dict[str, Any]) -> EventModel:
        try:
            return cls.model_validate(data)
        except ValidationError:
            reject()

    return model_fields_strategy(cls).map(build)


def _envelope_of_parts(data: dict[str, Any]) -> dict[str, Any]:
    """A programme whose envelope is its parts' sum (a random envelope never is)."""
    parts = data.get("parts") or []
    total = sum((part.amount for part in parts), Decimal(0))
    return {**data, "envelope": format(total, "f")}


def event_strategy(cls: type[EventModel]) -> st.SearchStrategy[EventModel]:
    """Valid events of ``cls``: every field drawn from its declaration, optional ones sometimes
    left out; combinations the model rejects (cross-field rules) are discarded."""
    drawn = model_fields_strategy(cls)
    if cls is ClaimRecorded:
        return _claim_strategy(drawn)
    if cls is ProgrammeDefined:
        drawn = drawn.map(_envelope_of_parts)

    def build(data: dict[str, Any]) -> EventModel:
        try:
            return cls.model_validate(data)
        except ValidationError:
            reject()

    return drawn.map(build)


ANY_EVENT = st.one_of([event_strategy(cls) for cls in EVENT_CLASSES.values()])
