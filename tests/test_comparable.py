"""Like with like: calendar years from fiscal years (SIPRI's rule, reproduced exactly), exchange
rates as recorded series, constant prices from recorded price indexes."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from events import load_stored
from ledger.errors import InvalidInput
from ledger.projections.calendar import CalendarRule, weight_text
from ledger.projections.comparable import parse_convention
from ledger.projections.prices import PriceIndex
from ledger.projections.rates import RateRecord, find_rate

DATA = Path(__file__).parent / "data" / "sipri_milex_japan.csv"
SEED = Path(__file__).resolve().parent.parent / "ledger" / "demo" / "seed"
SIPRI = list(csv.DictReader(DATA.open(encoding="utf-8")))


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def _error(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    return line


def _jsonl(tmp_path: Path, name: str, events: list[dict[str, Any]]) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return str(path)


def _sipri_events(rule: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """SIPRI's fiscal-year series for Japan from the shared data file, as a source's lines,
    with Japan's year basis and a calendarisation rule."""
    events: list[dict[str, Any]] = [
        {"type": "YearBasisSet", "jurisdiction": "JP", "basis": "fiscal", "start_month": 4},
        {"type": "CalendarisationRuleSet", "jurisdiction": "JP", **(rule or {})},
        {"type": "CategoryDefined", "code": "SIPRI.MILEX", "name": "SIPRI military expenditure"},
        {"type": "DefinitionVersionOpened", "definition": "sipri", "version": 1, "title": "SIPRI"},
        {"type": "CategoryIncluded", "definition": "sipri", "version": 1,
         "category": "SIPRI.MILEX"},
        {"type": "StagesSet", "definition": "sipri", "version": 1, "stages": ["estimate"]},
        {"type": "DefinitionStatusChanged", "definition": "sipri", "version": 1,
         "status": "adopted", "effective_from": 2010},
    ]  # fmt: skip
    for row in SIPRI:
        events.append(
            {"type": "BudgetLineRecorded", "fiscal_year": int(row["year"]),
             "line_id": "SIPRI-MILEX", "agency": "SIPRI", "category": "SIPRI.MILEX",
             "amount": row["milex_lcu_financial_year_yen"], "stage": "estimate"}
        )  # fmt: skip
    return events


@pytest.fixture
def sipri(cli: Callable[..., Result], tmp_path: Path) -> Callable[..., Result]:
    _ok(cli("import", _jsonl(tmp_path, "sipri.jsonl", _sipri_events())))
    return cli


# -- period: SIPRI's calendar years ---------------------------------------------------------


def test_sipri_calendarisation__reproduces_all_14_calendar_years_exactly(
    sipri: Callable[..., Result],
) -> None:
    result = _ok(sipri("totals", "--definition", "sipri", "--period", "calendar",
                       "--fy", "2011..2024", "--tier", "all", "--format", "json"))  # fmt: skip
    rows = {int(r["year"]): r for r in json.loads(result.stdout)["totals"]}
    published = {
        int(r["year"]): r["milex_lcu_calendar_year_yen"] for r in SIPRI if r["year"] != "2010"
    }
    assert sorted(rows) == sorted(published) == list(range(2011, 2025))
    matches = [year for year in published if rows[year]["total"] == published[year]]
    assert len(matches) == 14  # 14/14, exact to the yen
    for year, row in rows.items():
        assert row["total_exact"] == published[year]
        assert [c["fiscal_year"] for c in row["components"]] == [year - 1, year]
        assert [c["weight"] for c in row["components"]] == ["0.25", "0.75"]
    assert rows[2024]["conversion"] == "0.25×FY2023 + 0.75×FY2024"


def test_sipri_calendarisation__default_years_are_those_both_fiscal_years_cover(
    sipri: Callable[..., Result],
) -> None:
    result = _ok(sipri("totals", "--definition", "sipri", "--period", "calendar", "--tier",
                       "all", "--format", "json"))  # fmt: skip
    years = [int(r["year"]) for r in json.loads(result.stdout)["totals"]]
    assert years == list(range(2011, 2025))  # not 2010 (no FY2009), not 2025 (no FY2025)
    asked = _ok(sipri("totals", "--definition", "sipri", "--period", "calendar", "--fy",
                      "2024..2025", "--tier", "all"))  # fmt: skip
    assert "no budget lines for JP FY2025 (part of 2025)" in asked.stdout


def test_sipri_calendarisation__trace_shows_both_fiscal_years_and_weights(
    sipri: Callable[..., Result],
) -> None:
    result = _ok(sipri("trace", "--definition", "sipri", "--period", "calendar", "--fy", "2024",
                       "--format", "json"))  # fmt: skip
    doc = json.loads(result.stdout)
    rows = doc["trace"]
    lines = [(r["fiscal_year"], r["weight"], r["amount"]) for r in rows if r["role"] == "line"]
    assert lines == [(2023, "0.25", "7157500000000"), (2024, "0.75", "8776400000000")]
    parts = [(r["fiscal_year"], r["weighted"]) for r in rows if r["role"] == "component"]
    assert parts == [(2023, "1789375000000"), (2024, "6582300000000")]
    [rule] = [r for r in rows if r["role"] == "period"]
    assert rule["event"] == "CalendarisationRuleSet"
    assert "2024 = 0.25 × FY2023 + 0.75 × FY2024" in rule["detail"]
    assert rows[-1]["role"] == "total" and rows[-1]["contribution"] == "8371675000000"
    assert doc["meta"]["conversion"]["calendarisation_rule"]["start_month"] == 4


def test_sipri_calendarisation__replay_moves_when_either_fiscal_year_does(
    sipri: Callable[..., Result],
) -> None:
    _ok(sipri("record", "revise", "--fiscal-year", "2023", "--line-id", "SIPRI-MILEX",
              "--amount", "7157500000004", "--reason", "test"))  # fmt: skip
    result = _ok(sipri("replay", "--definition", "sipri", "--period", "calendar", "--fy",
                       "2024", "--format", "json"))  # fmt: skip
    totals = [r["total"] for r in json.loads(result.stdout)["replay"] if r["total"]]
    assert totals[-2:] == ["8371675000000", "8371675000001"]


def test_shipped_comparisons__record_sipris_fiscal_years_as_printed() -> None:
    events = [json.loads(line) for line in (SEED / "comparisons.jsonl").open(encoding="utf-8")]
    lines = {e["fiscal_year"]: e["amount"] for e in events if e["type"] == "BudgetLineRecorded"}
    assert lines == {int(r["year"]): r["milex_lcu_financial_year_yen"] for r in SIPRI}
    assert all(e.get("source", {}).get("url") for e in events)


def test_calendarisation__needs_a_recorded_rule(cli: Callable[..., Result], tmp_path: Path) -> None:
    events = [e for e in _sipri_events() if e["type"] != "CalendarisationRuleSet"]
    _ok(cli("import", _jsonl(tmp_path, "no-rule.jsonl", events)))
    error = _error(cli("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024"))
    assert "no calendarisation rule is recorded for JP" in error


@pytest.mark.parametrize(
    ("start", "named_by", "expected"),
    [
        (4, "start", [(2023, 3), (2024, 9)]),  # Japan, UK, Canada, India
        (10, "end", [(2024, 9), (2025, 3)]),  # United States: FY2025 = Oct 2024 - Sep 2025
        (7, "start", [(2023, 6), (2024, 6)]),  # Australia: FY2024 = Jul 2024 - Jun 2025
        (7, "end", [(2024, 6), (2025, 6)]),
        (1, "start", [(2024, 12)]),
        (2, "start", [(2023, 1), (2024, 11)]),
    ],
)
def test_calendar_rule__weights_are_months_over_twelve(
    start: int, named_by: str, expected: list[tuple[int, int]]
) -> None:
    rule = CalendarRule("XX", "even-spread", start, named_by, 1, None)
    weights = rule.weights(2024)
    assert [(w.fiscal_year, w.months) for w in weights] == expected
    assert sum(w.weight for w in weights) == 1


def test_calendar_rule__formula_and_weight_text() -> None:
    rule = CalendarRule("JP", "even-spread", 4, "start", 1, None)
    assert rule.general_formula() == "CY(y) = 0.25 × FY(y−1) + 0.75 × FY(y)"
    assert rule.formula(2024) == "2024 = 0.25 × FY2023 + 0.75 × FY2024"
    assert weight_text(Fraction(11, 12)) == "11/12"
    assert weight_text(Fraction(1, 2)) == "0.5" and weight_text(Fraction(1)) == "1"


def test_calendar_rule__the_rules_own_months_win_over_the_year_basis(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    events = _sipri_events({"start_month": 7, "named_by": "start"})
    _ok(cli("import", _jsonl(tmp_path, "july.jsonl", events)))
    result = _ok(cli("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024",
                     "--tier", "all", "--format", "json"))  # fmt: skip
    [row] = json.loads(result.stdout)["totals"]
    assert [c["weight"] for c in row["components"]] == ["0.5", "0.5"]
    assert row["total"] == str((Decimal(7157500000000) + Decimal(8776400000000)) / 2)


# -- currency ---------------------------------------------------------------------------------


def _rate(base: str, quote: str, year: int, rate: str, **extra: Any) -> dict[str, Any]:
    return {"type": "ExchangeRateRecorded", "base": base, "quote": quote, "fiscal_year": year,
            "rate": rate, "period": "calendar", **extra}  # fmt: skip


def test_currency__uses_only_recorded_rates_and_says_which(
    sipri: Callable[..., Result], tmp_path: Path
) -> None:
    args = ("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024", "--tier",
            "all", "--currency", "USD", "--format", "json")  # fmt: skip
    error = _error(sipri(*args))
    assert "no exchange rate JPY→USD for 2024 is recorded" in error
    assert "never chained through a third currency" in error
    # a rate for the fiscal year does not convert a calendar year, nor one of another year
    rates = [_rate("USD", "JPY", 2024, "151.458", period="fiscal"),
             _rate("USD", "JPY", 2023, "140.221")]  # fmt: skip
    _ok(sipri("import", _jsonl(tmp_path, "rates.jsonl", rates)))
    assert "rates recorded for JPY/USD: 2023, FY2024" in _error(sipri(*args))
    _ok(
        sipri(
            "import",
            _jsonl(
                tmp_path, "r24.jsonl", [_rate("USD", "JPY", 2024, "151.458", vintage="sipri-2025")]
            ),
        )
    )
    [row] = json.loads(_ok(sipri(*args)).stdout)["totals"]
    assert Fraction(row["total_fraction"]) == Fraction(8371675000000) / Fraction("151.458")
    assert row["total"] == "55273904316.71"  # SIPRI prints 55273.90431670826 (US$ m)
    assert row["currency"] == "USD"
    assert "÷151.458 USD/JPY 2024 [sipri-2025" in row["conversion"]
    [step] = row["exchange_rates"]
    assert (step["rate"], step["vintage"], step["operation"]) == ("151.458", "sipri-2025",
                                                                  "divide")  # fmt: skip


def test_currency__no_implicit_chaining_but_via_when_asked(
    sipri: Callable[..., Result], tmp_path: Path
) -> None:
    rates = [_rate("EUR", "JPY", 2024, "163.8"), _rate("EUR", "USD", 2024, "1.08")]
    _ok(sipri("import", _jsonl(tmp_path, "eur.jsonl", rates)))
    args = ("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024", "--tier",
            "all", "--currency", "USD")  # fmt: skip
    assert "no exchange rate JPY→USD" in _error(sipri(*args))
    [row] = json.loads(_ok(sipri(*args, "--via", "EUR", "--format", "json")).stdout)["totals"]
    expected = Fraction(8371675000000) / Fraction("163.8") * Fraction("1.08")
    assert Fraction(row["total_fraction"]) == expected
    assert [(s["from"], s["to"], s["operation"]) for s in row["exchange_rates"]] == [
        ("JPY", "EUR", "divide"), ("EUR", "USD", "multiply")]  # fmt: skip
    text = _ok(sipri(*args, "--via", "EUR")).stdout
    assert "Rate: 1 EUR = 163.8 JPY" in text and "Rate: 1 EUR = 1.08 USD" in text


def test_currency__a_named_vintage_or_the_latest_and_as_of_the_one_known_then(
    sipri: Callable[..., Result], tmp_path: Path
) -> None:
    _ok(sipri("import", _jsonl(tmp_path, "a.jsonl", [_rate("USD", "JPY", 2024, "150",
                                                            vintage="first")])))  # fmt: skip
    before = json.loads(_ok(sipri("digest")).stdout)["seq"]
    _ok(sipri("import", _jsonl(tmp_path, "b.jsonl", [_rate("USD", "JPY", 2024, "151.458",
                                                            vintage="second")])))  # fmt: skip
    args = ("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024", "--tier",
            "all", "--format", "json")  # fmt: skip

    def vintage(*more: str) -> str:
        [row] = json.loads(_ok(sipri(*args, *more)).stdout)["totals"]
        return str(row["exchange_rates"][0]["vintage"])

    assert vintage("--currency", "USD") == "second"
    assert vintage("--currency", "USD@first") == "first"
    assert vintage("--currency", "USD", "--as-of", str(before)) == "first"
    assert "at vintage 'third'" in _error(sipri(*args, "--currency", "USD@third"))


def test_currency__the_rate_direction_decides_multiply_or_divide() -> None:
    record = RateRecord("USD", "JPY", 2024, "calendar", Decimal("150"), "average", None, 1)
    assert find_rate([record], "USD", "JPY", 2024, "calendar").factor == 150
    assert find_rate([record], "JPY", "USD", 2024, "calendar").factor == Fraction(1, 150)
    with pytest.raises(InvalidInput, match="no exchange rate JPY→EUR"):
        find_rate([record], "JPY", "EUR", 2024, "calendar")


def test_exchange_rate_v1__reads_as_a_fiscal_year_rate_with_no_vintage() -> None:
    event = load_stored(
        "ExchangeRateRecorded",
        1,
        {
            "base": "USD",
            "quote": "JPY",
            "fiscal_year": 2025,
            "rate": "154.5",
            "rate_type": "implied",
        },  # fmt: skip
    )
    assert (event.period, event.vintage, event.rate_type) == ("fiscal", None, "implied")
    with pytest.raises(ValueError, match="a v1 ExchangeRateRecorded has no period"):
        load_stored("ExchangeRateRecorded", 1, {"base": "USD", "quote": "JPY",
                                                "fiscal_year": 2025, "rate": "1",
                                                "period": "fiscal"})  # fmt: skip


def test_exchange_rate__a_calendar_rate_never_converts_a_fiscal_total(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    events = [
        {"type": "CategoryDefined", "code": "A", "name": "A"},
        {"type": "DefinitionVersionOpened", "definition": "d", "version": 1, "title": "d"},
        {"type": "CategoryIncluded", "definition": "d", "version": 1, "category": "A"},
        {"type": "BudgetLineRecorded", "fiscal_year": 2024, "line_id": "L", "agency": "x",
         "category": "A", "amount": "100", "currency": "USD", "stage": "initial"},
        {"type": "BudgetLineRecorded", "fiscal_year": 2024, "line_id": "M", "agency": "x",
         "category": "A", "amount": "1000", "stage": "initial"},
        _rate("USD", "JPY", 2024, "150"),
    ]  # fmt: skip
    _ok(cli("import", _jsonl(tmp_path, "mixed.jsonl", events)))
    result = _ok(cli("totals", "--fy", "2024", "--definition", "d@1", "--format", "json"))
    [row, _] = json.loads(result.stdout)["totals"]
    assert row["total"] == ""  # the USD line is not converted by a calendar-year rate
    assert any(d["code"] == "no-exchange-rate" for d in row["diagnostics"])


# -- prices -----------------------------------------------------------------------------------


def _cpi(vintage: str, base: int, values: dict[int, str]) -> dict[str, Any]:
    return {"type": "PriceIndexRecorded", "series": "cpi", "vintage": vintage,
            "base_year": base, "period": "calendar",
            "values": [{"year": y, "value": v} for y, v in values.items()]}  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.integers(2000, 2030),
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3),
        min_size=2,
        max_size=8,
    ),
    st.data(),
)
def test_prices__rebase_is_exact_and_reversible(values: dict[int, Decimal], data: Any) -> None:
    years = sorted(values)
    source, base, year = (data.draw(st.sampled_from(years)) for _ in range(3))
    index = PriceIndex("JP", "cpi", "v", source, "calendar", values, 1)
    rebased = index.rebased(base)
    assert rebased[base] == 100
    # re-based back to the source's base year, the source's values exactly (relative to it)
    back = {y: v * Fraction(index.value(source)) / rebased[source] for y, v in rebased.items()}
    assert back == {y: Fraction(v) for y, v in values.items()}
    # constant prices do not depend on the base the source printed
    shifted = PriceIndex("JP", "cpi", "w", base, "calendar",
                         {y: Decimal(v.numerator) / Decimal(v.denominator) for y, v in
                          rebased.items() if v.denominator == 1}, 2)  # fmt: skip
    if year in shifted.values and base in shifted.values:
        assert shifted.factor(year, base) == index.factor(year, base)
    # current → constant → current gives back the figure exactly
    amount = Fraction(data.draw(st.integers(1, 10**15)))
    assert amount * index.factor(year, base) * index.factor(base, year) == amount


def test_prices__constant_prices_exact_with_the_index_and_vintage_named(
    sipri: Callable[..., Result], tmp_path: Path
) -> None:
    cpi = _cpi("2020-base", 2020, {2023: "105.2", 2024: "107.9"})
    _ok(sipri("import", _jsonl(tmp_path, "cpi.jsonl", [cpi])))
    args = ("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024", "--tier",
            "all", "--format", "json")  # fmt: skip
    [row] = json.loads(_ok(sipri(*args, "--prices", "constant:2023")).stdout)["totals"]
    expected = Fraction(8371675000000) * Fraction("105.2") / Fraction("107.9")
    assert Fraction(row["total_fraction"]) == expected
    assert row["prices"] == "constant:2023"
    index = row["price_index"]
    assert (index["vintage"], index["index_year"], index["index_prices_of"]) == (
        "2020-base", "107.9", "105.2")  # fmt: skip
    # a fiscal-year figure needs a fiscal-year index
    fiscal = _error(sipri("totals", "--definition", "sipri", "--fy", "2024", "--prices",
                          "constant:2023"))  # fmt: skip
    assert "is by calendar years and the figure is a fiscal year" in fiscal
    missing = _error(sipri(*args, "--prices", "constant:2015"))
    assert "has no value for 2015" in missing


def test_prices__a_rebased_series_is_a_new_vintage_and_as_of_shows_the_one_used(
    sipri: Callable[..., Result], tmp_path: Path
) -> None:
    first_vintage = _cpi("2020-base", 2020, {2023: "105.2", 2024: "107.9"})
    _ok(sipri("import", _jsonl(tmp_path, "v1.jsonl", [first_vintage])))
    first = json.loads(_ok(sipri("digest")).stdout)["seq"]
    # the source re-bases (2023 = 100) and revises 2024: a new vintage beside the old one
    second_vintage = _cpi("2023-base", 2023, {2023: "100", 2024: "102.5"})
    _ok(sipri("import", _jsonl(tmp_path, "v2.jsonl", [second_vintage])))
    args = ("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024", "--tier",
            "all", "--prices", "constant:2023", "--format", "json")  # fmt: skip
    [now] = json.loads(_ok(sipri(*args)).stdout)["totals"]
    [then] = json.loads(_ok(sipri(*args, "--as-of", str(first))).stdout)["totals"]
    assert now["price_index"]["vintage"] == "2023-base"
    assert Fraction(now["total_fraction"]) == Fraction(8371675000000) * 100 / Fraction("102.5")
    assert then["price_index"]["vintage"] == "2020-base"
    [named] = json.loads(
        _ok(
            sipri(*args[:-4], "--prices", "constant:2023:cpi@2020-base", "--format", "json")
        ).stdout  # fmt: skip
    )["totals"]
    assert named["total_fraction"] == then["total_fraction"]


def test_convention__parsing_refuses_what_it_cannot_read() -> None:
    assert parse_convention("calendar", "usd@imf", None, "constant:FY2023:cpi@v2").describe() == (
        "calendar years, constant 2023 prices, in USD@imf"
    )
    for args, message in [
        (("weekly", None, None, None), "--period 'weekly'"),
        ((None, "YEN", None, None), "--currency 'YEN'"),
        ((None, None, "EUR", None), "--via goes with --currency"),
        ((None, None, None, "constant"), "--prices 'constant'"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            parse_convention(*args)


# -- diff by calendar year --------------------------------------------------------------------

SEED_FILES = (SEED / "japan.jsonl", SEED / "comparisons.jsonl")


def _diff(cli: Callable[..., Result], *args: str) -> dict[str, Any]:
    return dict(json.loads(_ok(cli("diff", *args, "--format", "json")).stdout))


def test_diff_by_calendar_year__is_the_weighted_sum_of_the_fiscal_years(
    cli: Callable[..., Result],
) -> None:
    for path in SEED_FILES:
        _ok(cli("import", str(path)))
    specs = ("jp-defense-related@1", "nato@1")
    [calendar] = _diff(cli, *specs, "--period", "calendar", "--fy", "2024")["sections"]
    [fy23] = _diff(cli, *specs, "--fy", "FY2023")["sections"]
    [fy24] = _diff(cli, *specs, "--fy", "FY2024")["sections"]
    assert calendar["year_label"] == "2024"

    def weighted(field: Callable[[dict[str, Any]], str]) -> Decimal:
        return Decimal("0.25") * Decimal(field(fy23)) + Decimal("0.75") * Decimal(field(fy24))

    assert Decimal(calendar["a"]["total"]) == weighted(lambda s: s["a"]["total"])
    assert Decimal(calendar["b"]["total"]) == weighted(lambda s: s["b"]["total"])
    by_key = {(c["kind"], c["key"]): Decimal(c["delta_amount"]) for c in calendar["changes"]}
    for kind_key in {(c["kind"], c["key"]) for s in (fy23, fy24) for c in s["changes"]}:
        expected = sum(
            (Decimal(w) * Decimal(c["delta_amount"]) for w, s in (("0.25", fy23), ("0.75", fy24))
             for c in s["changes"] if (c["kind"], c["key"]) == kind_key),
            Decimal(0),
        )  # fmt: skip
        assert by_key[kind_key] == expected
    assert sum(by_key.values()) == Decimal(calendar["b"]["total"]) - Decimal(calendar["a"]["total"])
    lines = {line["line_id"]: line for c in calendar["changes"] for line in c["lines"]}
    assert list(lines) == ["FY2024/REL-ALL"]  # nato@1 does not count the FY2024 estimate
    assert lines["FY2024/REL-ALL"]["delta"] == "-712800000000"  # 0.75 × ¥950.4 bn
    assert any(n.startswith("Calendar year 2024 = 0.25 × FY2023 + 0.75 × FY2024")
               for n in calendar["notes"])  # fmt: skip


def test_diff_by_calendar_year__what_if_and_shares_at_a_fixed_gdp(
    cli: Callable[..., Result],
) -> None:
    for path in SEED_FILES:
        _ok(cli("import", str(path)))
    doc = json.loads(
        _ok(
            cli(
                "what-if",
                "jp-defense-related@1",
                "--stages",
                "initial,supplementary",
                "--period",
                "calendar",
                "--fy",
                "2025",
                "--format",
                "json",
            )
        ).stdout  # fmt: skip
    )
    [section] = doc["sections"]
    [change] = section["changes"]
    assert change["delta_amount"] == "860400000000"  # 0.75 × the FY2025 supplementary
    assert Fraction(change["delta_pp_fraction"]) == Fraction(860400000000 * 100, 560 * 10**12)


def test_diff_by_calendar_year__needs_decimal_weights(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    events = _sipri_events({"start_month": 2, "named_by": "start"})
    _ok(cli("import", _jsonl(tmp_path, "feb.jsonl", events)))
    result = cli("diff", "sipri@1", "sipri@1", "--period", "calendar", "--fy", "2024")
    assert "needs weights that are finite decimals" in _error(result)
    totals = _ok(cli("totals", "--definition", "sipri", "--period", "calendar", "--fy", "2024",
                     "--tier", "all", "--format", "json"))  # fmt: skip
    [row] = json.loads(totals.stdout)["totals"]
    assert [c["weight"] for c in row["components"]] == ["1/12", "11/12"]
    expected = Fraction(7157500000000, 12) + Fraction(8776400000000 * 11, 12)
    assert Fraction(row["total_fraction"]) == expected
