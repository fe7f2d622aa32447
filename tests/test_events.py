"""Event models: round trips, canonical form, and the validators that keep bad values out."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from helpers.strategies import ANY_EVENT, event_strategy
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from events import (
    EVENT_ADAPTER,
    EVENT_CLASSES,
    BudgetLineRecorded,
    CategoryDefined,
    CategoryIncluded,
    EventModel,
    Provenance,
    event_payload,
    parse_event,
)
from ledger.storage.canonical import canonical_json


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


def _json_of(event: EventModel) -> bytes:
    return canonical_json({**event_payload(event), "type": event.type})  # type: ignore[attr-defined]


# -- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(EVENT_CLASSES))
def test_event_roundtrip__every_type_event_json_event(event_type: str) -> None:
    @settings(max_examples=25, deadline=None)
    @given(event=event_strategy(EVENT_CLASSES[event_type]))
    def check(event: EventModel) -> None:
        text = _json_of(event)
        assert not _has_float(json.loads(text)), "decimals travel as strings"
        again = parse_event(json.loads(text))
        assert again == event
        assert _json_of(again) == text
        assert EVENT_ADAPTER.validate_json(text) == event
        assert EVENT_ADAPTER.validate_json(event.model_dump_json()) == event

    check()


@settings(max_examples=60, deadline=None)
@given(event=ANY_EVENT, data=st.data())
def test_event_canonical__stable_under_key_order(event: EventModel, data: st.DataObject) -> None:
    payload = {**event.model_dump(mode="json")}
    keys = data.draw(st.permutations(list(payload)))
    shuffled = {key: payload[key] for key in keys}
    assert _json_of(parse_event(shuffled)) == _json_of(event)


# -- canonical decimals ----------------------------------------------------------------------------


def _line(amount: Any) -> BudgetLineRecorded:
    return BudgetLineRecorded(
        fiscal_year=2025, line_id="L1", agency="MoD", category="C", amount=amount, stage="initial"
    )


@pytest.mark.parametrize(
    "spellings",
    [
        ["1E+2", "100", "100.0", "1e2", "+100", "100.000", "0100", Decimal("1E+2"), 100],
        ["0.5", ".5", "0.50", "5E-1", "5e-1", Decimal("0.500")],
        ["0", "-0", "0.000", "-0.0", "0E+5", Decimal("-0")],
        ["-1500", "-1.5E3", "-1500.00"],
        ["8500000000000", "8.5E12", "8.5e+12", "8500000000000.0"],
    ],
)
def test_event_canonical__decimal_spellings_give_same_bytes_and_hash(spellings: list[Any]) -> None:
    encoded = {_json_of(_line(s)) for s in spellings}
    assert len(encoded) == 1
    hashes = {hashlib.sha256(e).hexdigest() for e in encoded}
    assert len(hashes) == 1


@settings(max_examples=100, deadline=None)
@given(
    number=st.decimals(
        min_value=Decimal("-1e25"), max_value=Decimal("1e25"), allow_nan=False, places=8
    ),
    zeros=st.integers(0, 5),
)
def test_event_canonical__any_decimal_spelling_is_one_string(number: Decimal, zeros: int) -> None:
    plain = format(number, "f")
    padded = plain + ("" if "." in plain else ".") + "0" * zeros
    scientific = format(number, "E")
    values = {_line(s).model_dump(mode="json")["amount"] for s in (plain, padded, scientific)}
    assert len(values) == 1
    text = values.pop()
    assert Decimal(text) == number
    assert "E" not in text and "e" not in text
    assert not (("." in text) and text.endswith("0")), "no trailing fractional zeros"
    assert text != "-0"


@pytest.mark.parametrize(
    "amount",
    [
        "-9.735507998021749930918043209812579E-29",  # hypothesis found: 64 chars when plain
        "-1.234567890123456789012345678901234567890E-30",  # the longest plain spelling (72)
        "1234567890123456789012345678901234567890",  # 40 digits
    ],
)
def test_event_canonical__every_accepted_amount_parses_again_in_canonical_form(
    amount: str,
) -> None:
    text = _line(amount).model_dump(mode="json")["amount"]
    assert Decimal(text) == Decimal(amount)
    assert _line(text).model_dump(mode="json")["amount"] == text


@pytest.mark.parametrize(
    "amount",
    [
        1.5,  # a JSON float, already inexact
        100.0,
        float("nan"),
        float("inf"),
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "sNaN",
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("sNaN"),
        "1e999999999",
        "1E+9999",
        "1e-9999",
        Decimal("1e999999999"),
        "1" * 41,  # 41 significant digits
        "1." + "1" * 40,
        "1" + "0" * 41,
        10**45,
        "1,000",  # thousands separators
        "¥100",
        "0x10",
        "",
        " ",
        "1 000",
        True,
        None,
        [1],
    ],
)
def test_event_amount__inexact_non_finite_absurd_values_rejected(amount: Any) -> None:
    with pytest.raises(ValidationError):
        _line(amount)


def test_event_amount__forty_digits_accepted_exactly() -> None:
    forty = "1234567890" * 4
    assert _line(forty).model_dump(mode="json")["amount"] == forty
    assert _line("12345678901234567.89").amount == Decimal("12345678901234567.89")


def test_event_amount__json_float_in_a_document_rejected() -> None:
    document = json.loads(
        '{"type": "BudgetLineRecorded", "fiscal_year": 2025, "line_id": "L", "agency": "A",'
        ' "category": "C", "amount": 1.10, "stage": "initial"}'
    )
    with pytest.raises(ValidationError, match="not a float"):
        parse_event(document)
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_json(json.dumps(document))


# -- codes -----------------------------------------------------------------------------------------


def test_event_code__nfkc_fullwidth_accepted_and_normalised() -> None:
    event = CategoryDefined(code="ＥＤＵ－０１".replace("－", "-"), name="x")
    assert event.code == "EDU-01"
    assert CategoryDefined(code="ＥＤＵ-01", name="x").code == "EDU-01"


@pytest.mark.parametrize(
    "code",
    [
        "\u0415DU-01",  # Cyrillic capital IE looks like E
        "EDU\u200b-01",  # zero-width space
        "EDU\u200d-01",  # zero-width joiner
        "\ufeffEDU-01",  # BOM / zero-width no-break space
        "E\u0301DU-01",  # combining acute accent
        "EDU 01",
        "-EDU",
        "",
        "A" * 65,
        "EDU/01",
        "EDU'01",
        "EDU;--",
    ],
)
def test_event_code__lookalikes_zero_width_and_punctuation_rejected(code: str) -> None:
    with pytest.raises(ValidationError, match="invalid code"):
        CategoryDefined(code=code, name="x")


def test_event_code__cyrillic_lookalike_is_not_the_latin_code() -> None:
    with pytest.raises(ValidationError, match="invalid code"):
        BudgetLineRecorded.model_validate({**_line(1).model_dump(), "category": "\u0415DU-01"})


# -- fiscal year, share, currency ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (1900, 1900),
        (2200, 2200),
        ("2025", 2025),
        ("FY2025", 2025),
        ("fy2027", 2027),
        (" FY2025 ", 2025),
    ],
)
def test_event_fiscal_year__accepted_forms(value: Any, year: int) -> None:
    assert (
        _line(1).model_validate({**_line(1).model_dump(), "fiscal_year": value}).fiscal_year == year
    )


@pytest.mark.parametrize(
    "value",
    [1899, 2201, 0, -2025, "FY25", "25", "FY 2025", "2025.0", 2025.0, True, None, "FY2025a"],
)
def test_event_fiscal_year__out_of_range_or_malformed_rejected(value: Any) -> None:
    with pytest.raises(ValidationError):
        BudgetLineRecorded.model_validate({**_line(1).model_dump(), "fiscal_year": value})


@pytest.mark.parametrize(
    ("share", "expected"),
    [("1", "1"), ("0.5", "0.5"), ("1.000", "1"), ("0.000001", "0.000001"), ("5E-1", "0.5")],
)
def test_event_share__in_zero_one_accepted(share: str, expected: str) -> None:
    event = CategoryIncluded(definition="d", version=1, category="c", share=share)
    assert event.model_dump(mode="json")["share"] == expected


def test_event_share__default_is_canonical_one() -> None:
    event = CategoryIncluded(definition="d", version=1, category="c")
    assert event.share == Decimal(1)
    assert event.model_dump(mode="json")["share"] == "1"


@pytest.mark.parametrize("share", ["0", "-0", "-0.5", "1.0000001", "2", "1E+1", 0.5])
def test_event_share__outside_zero_one_rejected(share: Any) -> None:
    with pytest.raises(ValidationError):
        CategoryIncluded(definition="d", version=1, category="c", share=share)


@pytest.mark.parametrize(
    ("currency", "expected"), [("JPY", "JPY"), ("usd", "USD"), (" EUR ", "EUR"), ("XDR", "XDR")]
)
def test_event_currency__iso_4217_accepted(currency: str, expected: str) -> None:
    assert (
        _line(1).model_validate({**_line(1).model_dump(), "currency": currency}).currency
        == expected
    )


@pytest.mark.parametrize("currency", ["JYP", "YEN", "¥", "JP", "JPYY", "ＪＰＹ", "XXX", 392])
def test_event_currency__not_iso_4217_rejected(currency: Any) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        BudgetLineRecorded.model_validate({**_line(1).model_dump(), "currency": currency})


@pytest.mark.parametrize(
    ("jurisdiction", "currency"), [("JP", "JPY"), ("US", "USD"), ("DE", "EUR"), ("gb", "GBP")]
)
def test_event_currency__defaults_from_jurisdiction(jurisdiction: str, currency: str) -> None:
    event = BudgetLineRecorded(
        jurisdiction=jurisdiction,
        fiscal_year=2025,
        line_id="L",
        agency="A",
        category="C",
        amount="1",
        stage="initial",
    )
    assert event.currency == currency


def test_event_currency__required_where_no_default_is_known() -> None:
    with pytest.raises(ValidationError, match="currency is required"):
        BudgetLineRecorded(
            jurisdiction="ZZ",
            fiscal_year=2025,
            line_id="L",
            agency="A",
            category="C",
            amount="1",
            stage="initial",
        )


def test_event_model__unknown_fields_and_unknown_types_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        BudgetLineRecorded.model_validate({**_line(1).model_dump(), "amount_yen": 1})
    with pytest.raises(ValidationError):
        parse_event({**_line(1).model_dump(), "type": "events.budget.BudgetLineRecorded"})


def test_event_model__frozen() -> None:
    event = _line(1)
    with pytest.raises(ValidationError):
        event.amount = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "CategoryDefined", "code": "A", "name": "nul\x00name"},
        {"type": "CategoryDefined", "code": "A", "name": "A", "description": "x\x00y"},
    ],
)
def test_text_fields__nul_is_refused_on_every_backend(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        parse_event(fields)


def test_provenance__nul_in_actor_or_reason_is_refused() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        Provenance(actor="nul\x00here")
    with pytest.raises(ValidationError, match="NUL"):
        Provenance(actor="a", reason="why\x00")
