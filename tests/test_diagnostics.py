"""No silent zeros: a measure that counts nothing or misses lines says why, with counts and
amounts, under the text table and in each JSON row's ``diagnostics`` — one test per cause."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import Result
from helpers import ok

Cli = Callable[..., Result]

BASE: list[dict[str, Any]] = [
    {"type": "CategoryDefined", "code": "NATO.DEF", "name": "Defence expenditure"},
    {"type": "CategoryDefined", "code": "NATO.PENS", "name": "Pensions"},
    {"type": "CategoryDefined", "code": "NATO.DEF.ARMY", "name": "Army", "parent": "NATO.DEF"},
    {"type": "DefinitionVersionOpened", "definition": "nato", "version": 1, "title": "NATO"},
    {"type": "CategoryIncluded", "definition": "nato", "version": 1, "category": "NATO.DEF"},
    {"type": "DefinitionStatusChanged", "definition": "nato", "version": 1, "status": "adopted",
     "effective_from": 2014},
]  # fmt: skip


def line(
    year: int, line_id: str, amount: str, *, stage: str = "settled", category: str = "NATO.DEF"
) -> dict[str, Any]:
    return {
        "type": "BudgetLineRecorded", "jurisdiction": "GB", "fiscal_year": year,
        "line_id": line_id, "agency": "MoD", "category": category, "amount": amount,
        "currency": "USD", "stage": stage,
    }  # fmt: skip


def gdp(year: int, currency: str = "USD") -> dict[str, Any]:
    return {"type": "GdpRecorded", "jurisdiction": "GB", "fiscal_year": year,
            "amount": "3000000000000", "currency": currency, "vintage": "2024-06"}  # fmt: skip


def load(cli: Cli, events: list[dict[str, Any]]) -> None:
    ok(cli("import", "-", input="\n".join(json.dumps(e) for e in BASE + events)))


def totals(cli: Cli, *args: str) -> tuple[list[dict[str, Any]], str]:
    rows = json.loads(ok(cli("totals", "-j", "GB", *args, "--format", "json")).stdout)["totals"]
    return rows, ok(cli("totals", "-j", "GB", *args)).stdout


def codes(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in row["diagnostics"]}


def test_stage_not_counted__the_gb_case_says_11_usd_lines_exist(cli: Cli) -> None:
    """The issue's case: the definition counts initial (its default), 11 lines in USD are
    settled. The total is 0, and the output says why, with the count and the money."""
    load(cli, [line(2014 + i, f"L{i}", "1000") for i in range(11)])
    rows, text = totals(cli, "--fy", "2014..2024", "--tier", "all")
    assert len(rows) == 11 and all(r["total"] == "0" for r in rows)
    found = codes(rows[0])["stage-not-counted"]
    assert found["lines"] == 1 and found["amounts"] == [{"currency": "USD", "amount": "1000"}]
    assert found["stages"] == ["settled"] and found["counted_stages"] == ["initial"]
    assert (
        "Note: GB FY2014: 1 line (1,000 USD) at stage settled, which nato@1 does not count "
        "(it counts initial)" in text
    )
    assert "and 10 more stage-not-counted diagnostics" in text  # one note, not eleven
    rows, _ = totals(cli, "--fy", "2014..2024", "--tier", "all", "--stages", "settled")
    assert codes(rows[0])["stage-not-counted"]["counted_stages"] == []


def test_stage_not_counted__json_only_when_something_counts(cli: Cli) -> None:
    load(cli, [line(2024, "S", "1000"), line(2024, "I", "5", stage="initial")])
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    assert rows[0]["total"] == "5" and "stage-not-counted" in codes(rows[0])
    assert "stage settled" not in text  # a definition may leave a stage out on purpose


def test_stage_replaced__the_latest_rule_says_which_stage_it_counts_instead(cli: Cli) -> None:
    """Under the ``latest`` stage rule an earlier stage of a year with a later one is replaced,
    not "not counted": its own code, in the JSON only (the year counts something); a stage the
    version never counts is still ``stage-not-counted``, without a --stage it was not given."""
    rule = {"type": "StagesSet", "definition": "nato", "version": 1,
            "stages": ["initial", "estimate", "settled"], "rule": "latest"}  # fmt: skip
    events = [
        *BASE[:5],
        rule,
        BASE[5],
        line(2024, "I", "90", stage="initial"),
        line(2024, "E", "100", stage="estimate"),
        line(2024, "R", "7", stage="request"),
    ]
    ok(cli("import", "-", input="\n".join(json.dumps(e) for e in events)))
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    assert rows[0]["total"] == "100"
    found = codes(rows[0])
    assert found["stage-replaced"]["stages"] == ["initial"]
    assert found["stage-replaced"]["latest_stages"] == ["estimate"]
    assert found["stage-replaced"]["amounts"] == [{"currency": "USD", "amount": "90"}]
    assert "rule latest: it counts estimate" in found["stage-replaced"]["message"]
    assert found["stage-not-counted"]["stages"] == ["request"]
    assert found["stage-not-counted"]["message"].endswith(
        "at stage request, which nato@1 does not count (it counts estimate)"
    )
    assert "stage initial" not in text  # counting the latest stage is on purpose
    rows, _ = totals(cli, "--fy", "2024", "--tier", "all", "--stages", "initial")
    assert rows[0]["total"] == "90"
    found = codes(rows[0])
    assert found["stage-not-counted"]["stages"] == ["estimate", "request"]
    assert "narrowed by --stages" in found["stage-not-counted"]["message"]
    assert "stage-replaced" not in found


def test_category_not_included__counted_and_named(cli: Cli) -> None:
    load(cli, [line(2024, "P", "70", stage="initial", category="NATO.PENS")])
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    found = codes(rows[0])
    assert rows[0]["total"] == "0"
    assert found["category-not-included"]["categories"] == ["NATO.PENS"]
    assert found["category-not-included"]["amounts"] == [{"currency": "USD", "amount": "70"}]
    assert "1 line (70 USD) in categories nato@1 does not include: NATO.PENS" in text
    assert found["included-without-lines"]["categories"] == ["NATO.DEF"]
    assert "GB FY2024: no line is in a category nato@1 includes (NATO.DEF)" in text


def test_category_not_included__a_child_of_an_included_category_is_always_said(
    cli: Cli,
) -> None:
    load(
        cli,
        [
            line(2024, "D", "100", stage="initial"),
            line(2024, "A", "40", stage="initial", category="NATO.DEF.ARMY"),
        ],
    )
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    assert rows[0]["total"] == "100"
    found = codes(rows[0])["category-not-included"]
    assert found["included_parents"] == {"NATO.DEF.ARMY": "NATO.DEF"}
    assert "inclusion is by exact code: NATO.DEF.ARMY is under NATO.DEF" in text


def test_no_exchange_rate__no_total_and_the_rate_to_record(cli: Cli) -> None:
    load(cli, [line(2024, "D", "100", stage="initial"), gdp(2024, "GBP")])
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    assert rows[0]["total"] == "" and rows[0]["share_of_gdp_pct"] == ""
    found = codes(rows[0])["no-exchange-rate"]
    assert found["currencies"] == ["USD"] and found["quote"] == "GBP" and found["lines"] == 1
    assert "record fx --base USD --quote GBP --fy 2024" in text
    rate = {"type": "ExchangeRateRecorded", "base": "USD", "quote": "GBP", "fiscal_year": 2024,
            "rate": "0.8"}  # fmt: skip
    ok(cli("import", "-", input=json.dumps(rate)))
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    assert rows[0]["total"] == "80" and "no-exchange-rate" not in codes(rows[0])


def test_before_effective__the_year_is_before_the_version_took_effect(cli: Cli) -> None:
    load(cli, [line(2013, "D", "100", stage="initial")])
    rows, text = totals(cli, "--fy", "2013", "--definition", "nato@1", "--tier", "all")
    assert rows[0]["total"] == "100"
    assert codes(rows[0])["before-effective"]["effective_from"] == 2014
    assert "Note: GB FY2013: FY2013 is before nato@1 took effect (FY2014)" in text


def test_no_gdp__said_per_row(cli: Cli) -> None:
    load(cli, [line(2024, "D", "100", stage="initial")])
    rows, text = totals(cli, "--fy", "2024", "--tier", "all")
    assert rows[0]["share_of_gdp_pct"] == ""
    assert codes(rows[0])["no-gdp"]["gdp_basis"] == "same-year"
    assert text.count("Note: no GDP recorded for GB FY2024 (GDP basis same-year)") == 1


def test_tier_counts_nothing__a_tier_row_of_zero_says_why(cli: Cli) -> None:
    related = {"type": "CategoryIncluded", "definition": "nato", "version": 1,
               "category": "NATO.PENS", "tier": "related"}  # fmt: skip
    events = [{**e} for e in BASE]
    events.insert(5, related)
    ok(cli("import", "-", input="\n".join(json.dumps(e) for e in events)))
    ok(cli("import", "-", input=json.dumps(line(2024, "D", "100", stage="initial"))))
    rows = json.loads(ok(cli("totals", "-j", "GB", "--format", "json")).stdout)["totals"]
    by_tier = {r["tier"]: r for r in rows}
    assert by_tier["related"]["total"] == "0"
    assert codes(by_tier["related"])["tier-counts-nothing"]["categories"] == ["NATO.PENS"]
    assert "tier-counts-nothing" not in codes(by_tier["core"])
    text = ok(cli("totals", "-j", "GB")).stdout
    assert "tier related of nato@1 counts nothing in GB FY2024" in text


def test_trace__carries_the_same_diagnostics(cli: Cli) -> None:
    load(cli, [line(2024, "D", "100")])
    body = json.loads(ok(cli("trace", "-j", "GB", "--fy", "2024", "--format", "json")).stdout)
    assert {d["code"] for d in body["meta"]["diagnostics"]} >= {"stage-not-counted", "no-gdp"}
    text = ok(cli("trace", "-j", "GB", "--fy", "2024")).stdout
    assert "Note: GB FY2024: 1 line (100 USD) at stage settled" in text
