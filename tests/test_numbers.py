"""``ledger.numbers``: exact spellings for machines, one way of writing numbers for people."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.numbers import (
    NumberFormat,
    brief,
    compact,
    dec_str,
    grouped,
    parse_unit,
    places_of,
    pp,
    rounded_str,
    scaled,
)

AMOUNT = "11047700000000"


def test_numbers__amounts_in_each_unit_with_the_unit_in_the_header() -> None:
    assert NumberFormat().amount(AMOUNT) == "11,047,700,000,000"
    assert NumberFormat(unit="T").amount(AMOUNT) == "11.0477"
    assert NumberFormat(unit="B").amount(AMOUNT) == "11,047.7"
    assert NumberFormat(unit="M").amount(AMOUNT) == "11,047,700"
    assert NumberFormat(unit="k").amount(AMOUNT) == "11,047,700,000"
    assert NumberFormat(unit="T").unit_label("JPY") == "JPY T"
    assert (
        NumberFormat().unit_label("JPY") == "JPY" and NumberFormat(unit="B").unit_label(None) == "B"
    )


def test_numbers__a_column_has_one_number_of_decimals_at_most_four() -> None:
    column = NumberFormat(unit="T").amounts([AMOUNT, "1500000000000", "", None, "123456789"])
    assert column == ["11.0477", "1.5000", "", "", "0.0001"]  # the last rounded half up
    assert NumberFormat(unit="T").amounts(["-200000000000"], sign=True) == ["-0.2"]
    assert NumberFormat(unit="T").amounts(["200000000000"], sign=True) == ["+0.2"]


def test_numbers__unit_1_is_exact_whatever_the_decimals() -> None:
    assert NumberFormat().amount("178358983.7425897") == "178,358,983.7425897"
    assert NumberFormat().amount("-0.5") == "-0.5"
    assert NumberFormat().amount(Decimal("1E+3")) == "1,000"


def test_numbers__shares_and_pp_to_places_half_up() -> None:
    share = Fraction(110477, 56000)  # 1.972803571428…
    assert NumberFormat().percent(share) == "1.97"
    assert NumberFormat(places=4).percent(share) == "1.9728"
    assert NumberFormat().percent("1.975") == "1.98"  # from the exact string
    assert NumberFormat().pp(Fraction(1, 28)) == "+0.04"  # the demo's +0.035714 pp
    assert NumberFormat().pp(Fraction(-1, 28)) == "-0.04"
    assert NumberFormat().pp(Fraction(1, 1000)) == "0.00"  # no sign on a rounded zero
    assert NumberFormat(places=2, pp_places=6).pp(Fraction(1, 28)) == "+0.035714"
    assert NumberFormat().percent(None) == "" and NumberFormat().percent("") == ""
    assert pp(None) == "n/a"


def test_numbers__fixed_spellings() -> None:
    assert compact(Decimal("320000000000"), "JPY", sign=True) == "+¥320.00B"
    assert compact(Decimal("-5"), "USD") == "-$5"
    assert scaled(AMOUNT, "T", 4) == "11.0477" and scaled(AMOUNT, "T", 1) == "11.0"
    assert brief(Fraction(110477, 56000)) == "1.9728035714…" and brief(Fraction(1, 4)) == "0.25"
    assert places_of("1.6") == 1 and places_of("11") == 0
    assert dec_str(Decimal("1.500")) == "1.5" and rounded_str(Fraction(1, 8), 2) == "0.13"


@pytest.mark.parametrize("text", ["T", "t", "B", "b", "M", "m", "k", "K", "1"])
def test_numbers__units(text: str) -> None:
    assert parse_unit(text) in ("T", "B", "M", "k", "1")


def test_numbers__an_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown unit"):
        parse_unit("G")


@given(st.decimals(min_value=-(10**18), max_value=10**18, places=6, allow_nan=False))
def test_numbers__grouped_is_the_exact_value_with_separators(value: Decimal) -> None:
    text = grouped(value)
    assert Decimal(text.replace(",", "")) == value
    assert dec_str(value).lstrip("-") == text.replace(",", "").lstrip("-")


@given(
    st.integers(min_value=-(10**16), max_value=10**16),
    st.sampled_from(["k", "M", "B", "T"]),
)
def test_numbers__a_scaled_amount_is_within_half_a_last_digit(value: int, unit: str) -> None:
    text = NumberFormat(unit=unit).amount(value)
    places = places_of(text.replace(",", ""))
    shown = Decimal(text.replace(",", "")).scaleb({"k": 3, "M": 6, "B": 9, "T": 12}[unit])
    assert (
        abs(shown - value) <= Decimal(10) ** ({"k": 3, "M": 6, "B": 9, "T": 12}[unit] - places) / 2
    )
