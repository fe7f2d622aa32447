"""``reconcile A B``: the difference of two measures split exactly into definition, stage,
period, prices and currency effects — on the shipped scenario (Japan FY2024 MoD initial budget
vs SIPRI calendar 2024) and, as a property, on any ledger."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from events import Provenance, parse_event
from ledger.errors import InvalidInput
from ledger.intake.recording import record
from ledger.queries.asof import resolve_as_of
from ledger.reports.reconcile import parse_measure, reconcile
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

SEED = Path(__file__).resolve().parent.parent / "ledger" / "demo" / "seed"
WORKED = ("jp-mod-core@1", "sipri-milex@1,period=calendar", "--year", "2024")


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def compared(cli: Callable[..., Result]) -> Callable[..., Result]:
    """The Japan scenario and the comparisons scenario shipped with it."""
    _ok(cli("import", str(SEED / "japan.jsonl")))
    _ok(cli("import", str(SEED / "comparisons.jsonl")))
    return cli


def test_reconcile__japan_fy2024_mod_initial_budget_with_sipri_calendar_2024(
    compared: Callable[..., Result],
) -> None:
    doc = json.loads(_ok(compared("reconcile", *WORKED, "--format", "json")).stdout)
    assert doc["sides"]["a"]["total"] == "7949600000000"  # ¥7兆9,496億 (MOF)
    assert doc["sides"]["b"]["total"] == "8371675000000"  # SIPRI's calendar 2024, to the yen
    assert doc["difference"] == "422075000000"
    parts = [(p["kind"], p["delta_amount"]) for p in doc["parts"]]
    assert parts == [("definition", "826800000000"), ("period", "-404725000000")]
    assert sum(Fraction(p["delta_amount_fraction"]) for p in doc["parts"]) == 422075000000
    definition, period = doc["parts"]
    assert {line["line"]: line["delta"] for line in definition["lines"]} == {
        "FY2024/SIPRI-MILEX": "8776400000000",
        "FY2024/MOD-DBP": "-7724900000000",
        "FY2024/MOD-SACO-USFJ": "-224700000000",
    }
    assert {line["line"]: line["delta"] for line in period["lines"]} == {
        "FY2024/SIPRI-MILEX": "-2194100000000",  # 0.75 × FY2024 instead of all of it
        "FY2023/SIPRI-MILEX": "1789375000000",  # + 0.25 × FY2023
    }
    assert doc["unit"] == "JPY" and doc["attribution"] == "sequential"
    assert doc["summary"] == "definition +¥826.80B, period -¥404.73B: B − A = +¥422.08B"
    text = _ok(compared("reconcile", *WORKED)).stdout
    assert "1  definition  jp-mod-core@1  sipri-milex@1  +826,800,000,000" in text
    assert "2  period      fiscal         calendar       -404,725,000,000" in text


def test_reconcile__a_stage_effect_alone(compared: Callable[..., Result]) -> None:
    doc = json.loads(
        _ok(
            compared(
                "reconcile",
                "jp-defense-related@2,stage=initial",
                "jp-defense-related@2",
                "--fy",
                "FY2025",
                "--format",
                "json",
            )
        ).stdout  # fmt: skip
    )
    assert [(p["kind"], p["delta_amount"]) for p in doc["parts"]] == [("stage", "1147200000000")]
    assert len(doc["parts"][0]["lines"]) == 3  # the supplementary's MoD, JCG/PKO and cyber


def test_reconcile__two_currencies_are_reported_in_the_converted_sides(
    compared: Callable[..., Result],
) -> None:
    doc = json.loads(
        _ok(
            compared(
                "reconcile",
                "jp-mod-core@1",
                "sipri-milex@1,period=calendar,currency=USD",
                "--year",
                "2024",
                "--format",
                "json",
            )
        ).stdout  # fmt: skip
    )
    assert doc["unit"] == "USD"
    [step] = doc["translation"]
    assert (step["rate"], step["vintage"], step["operation"]) == ("151.458", "sipri-2025",
                                                                  "divide")  # fmt: skip
    rate = Fraction("151.458")
    assert Fraction(doc["sides"]["a"]["total_fraction"]) == Fraction(7949600000000) / rate
    assert Fraction(doc["sides"]["b"]["total_fraction"]) == Fraction(8371675000000) / rate
    kinds = {p["kind"]: Fraction(p["delta_amount_fraction"]) for p in doc["parts"]}
    assert kinds == {
        "definition": Fraction(826800000000) / rate,
        "period": Fraction(-404725000000) / rate,
        "currency": 0,  # both sides translated at the one rate
    }
    assert "translated to USD at the rate the converted side uses" in doc["notes"][0]


def test_reconcile__a_point_with_no_value_joins_its_two_steps(
    compared: Callable[..., Result],
) -> None:
    doc = json.loads(
        _ok(
            compared(
                "reconcile",
                "jp-defense-related@1,stage=initial",
                "sipri-milex@1",
                "--fy",
                "2024",
                "--format",
                "json",
            )
        ).stdout  # fmt: skip
    )
    [part] = doc["parts"]
    assert part["kind"] == "definition + stage"
    assert part["note"].startswith("not separable: the point between has no value")
    assert "counts no line here" in part["note"]
    assert Fraction(part["delta_amount_fraction"]) == 8776400000000 - 8900000000000


def test_reconcile__formats_and_chart(compared: Callable[..., Result], tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    _ok(compared("reconcile", *WORKED, "-o", str(page)))
    html = page.read_text(encoding="utf-8")
    assert '<svg class="bridge"' in html and "1.\u00a0definition" in html
    spec = json.loads((tmp_path / "r.vl.json").read_text(encoding="utf-8"))
    labels = [v["label"] for v in spec["vconcat"][0]["data"]["values"]]
    assert labels[0].startswith("A: jp-mod-core@1") and labels[-1].startswith("B: sipri")
    csv = _ok(compared("reconcile", *WORKED, "--format", "csv")).stdout.splitlines()
    assert csv[0].startswith("report,a,b,jurisdiction,year,unit,part,kind")
    assert len(csv) == 3
    markdown = _ok(compared("reconcile", *WORKED, "--format", "markdown")).stdout
    assert markdown.startswith("# Reconciliation: jp-mod-core@1 → sipri-milex@1,period=calendar")
    assert compared("reconcile", *WORKED, "--exit-code").exit_code == 4


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("jp-mod-core@1,colour=red", "sipri-milex@1", "'colour=red' is not KEY=VALUE"),
        ("jp-mod-core@1,period=lunar", "sipri-milex@1", "--period 'lunar'"),
        ("jp-mod-core@1,stage=initial,stage=settled", "sipri-milex@1", "stage is given twice"),
        ("jp-mod-core@1", "sipri-milex@1,currency=USD,prices=constant:2023",
         "is by calendar years and the figure is a fiscal year"),
        ("jp-mod-core@1", "sipri-milex@1,currency=USD", "no exchange rate JPY→USD for FY2024"),
        ("jp-mod-core@1,currency=EUR", "sipri-milex@1,currency=USD", "no exchange rate"),
    ],
)  # fmt: skip
def test_reconcile__bad_measures_are_one_clear_error(
    compared: Callable[..., Result], a: str, b: str, message: str
) -> None:
    result = compared("reconcile", a, b, "--year", "2024")
    assert result.exit_code == 2, result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and message in line


def test_parse_measure__qualifiers() -> None:
    spec = parse_measure("nato@1, stage=initial+supplementary, tier=core, currency=usd@imf")
    assert (spec.definition, spec.stages, spec.tier) == ("nato@1", ("initial", "supplementary"),
                                                          "core")  # fmt: skip
    assert (spec.convention.currency, spec.convention.currency_vintage) == ("USD", "imf")
    with pytest.raises(InvalidInput, match="not a definition"):
        parse_measure("no spaces allowed,stage=initial")


# -- the property: the parts always sum to B − A, and the lines to each part --------------------

AMOUNTS = st.integers(1, 10**13).map(str)
SHARES = st.sampled_from(["1", "0.5", "0.25", "0.3"])
STAGES = ("initial", "supplementary", "estimate")


def _events(draw: Callable[..., Any]) -> list[dict[str, Any]]:
    start = draw(st.sampled_from([1, 4, 7, 10]))
    events: list[dict[str, Any]] = [
        {"type": "YearBasisSet", "jurisdiction": "JP", "basis": "fiscal", "start_month": start},
        {"type": "CalendarisationRuleSet", "jurisdiction": "JP"},
    ]
    for code in ("A", "B", "C"):
        events.append({"type": "CategoryDefined", "code": code, "name": code})
    for name, cats in (("d1", ("A", "B")), ("d2", ("B", "C"))):
        events.append({"type": "DefinitionVersionOpened", "definition": name, "version": 1,
                       "title": name})  # fmt: skip
        for code, tier in zip(cats, ("core", "related"), strict=True):
            events.append({"type": "CategoryIncluded", "definition": name, "version": 1,
                           "category": code, "share": draw(SHARES), "tier": tier})  # fmt: skip
        stages = draw(st.lists(st.sampled_from(STAGES), min_size=1, unique=True))
        events.append({"type": "StagesSet", "definition": name, "version": 1, "stages": stages})
    years = [2022, 2023, 2024, 2025]
    for year in years:
        for index in range(draw(st.integers(1, 4))):
            events.append(
                {"type": "BudgetLineRecorded", "fiscal_year": year, "line_id": f"L{index}",
                 "agency": "x", "category": draw(st.sampled_from(["A", "B", "C"])),
                 "amount": draw(AMOUNTS), "stage": draw(st.sampled_from(STAGES))}
            )  # fmt: skip
    for period in ("fiscal", "calendar"):
        for year in years:
            events.append(
                {"type": "ExchangeRateRecorded", "base": "USD", "quote": "JPY",
                 "fiscal_year": year, "period": period, "vintage": "v",
                 "rate": draw(st.sampled_from(["150", "151.458", "140.221", "7"]))}
            )  # fmt: skip
        events.append(
            {"type": "PriceIndexRecorded", "series": "cpi", "vintage": period, "base_year": 2020,
             "period": period, "values": [
                 {"year": y, "value": draw(st.sampled_from(["100", "105.2", "107.9", "99.5"]))}
                 for y in years]}
        )  # fmt: skip
    return events


def _spec(draw: Callable[..., Any]) -> str:
    parts = [draw(st.sampled_from(["d1@1", "d2@1"]))]
    if draw(st.booleans()):
        parts.append("stage=" + "+".join(draw(st.lists(st.sampled_from(STAGES), min_size=1,
                                                       unique=True))))  # fmt: skip
    if draw(st.booleans()):
        parts.append("tier=" + draw(st.sampled_from(["core", "related", "all"])))
    if draw(st.booleans()):
        parts.append("period=calendar")
    prices = draw(st.sampled_from([None, "constant:2023", "constant:2024"]))
    if prices:
        series = draw(st.sampled_from(["", ":cpi@fiscal", ":cpi@calendar"]))
        parts.append(f"prices={prices}{series}")
    if draw(st.booleans()):
        parts.append("currency=USD")
    return ",".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_reconcile__parts_sum_exactly_to_the_difference(data: Any) -> None:
    events = _events(data.draw)
    a, b = _spec(data.draw), _spec(data.draw)
    year = str(data.draw(st.sampled_from([2023, 2024])))
    with tempfile.TemporaryDirectory() as folder:
        store = EventStore.open(str(Path(folder) / "p.db"), create=True)
        try:
            for event in events:
                record(store, PendingEvent(parse_event(event), Provenance(actor="t")))
            try:
                report = reconcile(store, a, b, year=year, as_of=resolve_as_of(store, None))
            except InvalidInput:
                assume(False)  # a rule, rate or index value the measures need: not recorded
                return
        finally:
            store.close()
    assert report.a.value is not None and report.b.value is not None
    assert sum((p.delta for p in report.parts), Fraction(0)) == report.b.value - report.a.value
    for part in report.parts:
        assert sum((d.delta for d in part.lines), Fraction(0)) == part.delta
    assert sum((c.amount for c in report.a.lines.values()), Fraction(0)) == report.a.value
    changed = [d for p in report.parts for d in p.dimensions]
    assert changed == sorted(changed, key=("definition", "stage", "period", "prices",
                                           "currency").index)  # fmt: skip


def test_comparisons__same_answers_on_both_backends(backend_cli: Callable[..., Result]) -> None:
    """The rules, rates, indexes, programmes and obligations are read from their streams (with
    their sources) alike on SQLite and PostgreSQL."""
    _ok(backend_cli("import", str(SEED / "japan.jsonl")))
    _ok(backend_cli("import", str(SEED / "comparisons.jsonl")))
    doc = json.loads(_ok(backend_cli("reconcile", *WORKED, "--format", "json")).stdout)
    assert [p["delta_amount"] for p in doc["parts"]] == ["826800000000", "-404725000000"]
    totals = json.loads(
        _ok(
            backend_cli(
                "totals",
                "--definition",
                "sipri-milex",
                "--period",
                "calendar",
                "--fy",
                "2024",
                "--tier",
                "all",
                "--currency",
                "USD",
                "--prices",
                "constant:2023",
                "--format",
                "json",
            )
        ).stdout  # fmt: skip
    )["totals"]
    [row] = totals
    expected = Fraction(8371675000000) * Fraction("105.2") / Fraction("107.9") / Fraction("140.221")
    assert Fraction(row["total_fraction"]) == expected
    assert row["price_index"]["source"].startswith("Jiji Press")
    programmes = json.loads(_ok(backend_cli("programmes", "--format", "json")).stdout)
    assert len(programmes["programmes"]) == 6
