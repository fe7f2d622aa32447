"""The domain primer's worked examples (§8), exactly, through the real import and record path;
revisions and as-of; targets; currencies; NATO's published USD table."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from ledger.projections.measure import round_half_up
from ledger.queries.totals import all_totals_rows

ROOT = Path(__file__).resolve().parent.parent
PRIMER = ROOT / "examples" / "primer.jsonl"
# 22 rows of shared/data/nato_def_exp_2024_edition.csv (every 18th row, and three of the rows
# known not to reproduce: France 2020, Netherlands 2024, United States 2020), copied verbatim.
NATO_SAMPLE = ROOT / "tests" / "data" / "nato_def_exp_2024_sample.csv"
D = "jp-defense-related"
TN = Decimal(10) ** 12

Cli = Callable[..., Result]


def _json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _all_tier(cli: Cli, *args: str) -> dict[str, Any]:
    rows = _json(cli, "totals", "--fy", "FY2025", "--tier", "all", *args)["totals"]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def primer(cli: Cli) -> Cli:
    result = cli("import", str(PRIMER))
    assert result.exit_code == 0, result.stderr
    return cli


def _revise_to_government_total(cli: Cli) -> None:
    """The government's unrounded FY2025 initial total is ~9.9, not 8.5 + 1.5 = 10.0."""
    result = cli(
        "record",
        "revise",
        "--fy",
        "FY2025",
        "--line-id",
        "REL-OTHER",
        "--amount",
        "700000000000",
        "--reason",
        "government total about 9.9 trillion",
    )
    assert result.exit_code == 0, result.stderr


def test_example1__baseline_ten_over_560(primer: Cli) -> None:
    row = _all_tier(primer, "--definition", f"{D}@1", "--places", "6")
    assert Decimal(row["total"]) == Decimal("10.0") * TN
    assert row["share_of_gdp_pct"] == "1.785714"
    assert row["share_of_gdp_pct_exact"].startswith("1.785714285714285714")
    assert _all_tier(primer, "--definition", f"{D}@1", "--places", "1")["share_of_gdp_pct"] == "1.8"
    _revise_to_government_total(primer)
    assert (
        _all_tier(primer, "--definition", f"{D}@1", "--places", "6")["share_of_gdp_pct"]
        == "1.767857"
    )


def test_example2__narrowing_is_minus_0_125_pp_exactly(primer: Cli) -> None:
    base = _all_tier(primer, "--definition", f"{D}@1", "--places", "6")
    narrow = _all_tier(primer, "--definition", f"{D}@2", "--places", "6")
    assert Decimal(narrow["total"]) == Decimal("9.3") * TN
    assert narrow["share_of_gdp_pct"] == "1.660714" and narrow["status"] == "proposed"
    change = Decimal(narrow["share_of_gdp_pct_exact"]) - Decimal(base["share_of_gdp_pct_exact"])
    assert change == Decimal("-0.125")


def test_example3__counting_the_supplementary_is_a_definition_change(primer: Cli) -> None:
    row = _all_tier(primer, "--definition", f"{D}@3", "--places", "6")
    assert Decimal(row["total"]) == Decimal("11.1") * TN
    assert row["share_of_gdp_pct"] == "1.982143" and row["stages"] == "initial,supplementary"
    base = _all_tier(primer, "--definition", f"{D}@1", "--places", "6")
    pp = Decimal(row["share_of_gdp_pct_exact"]) - Decimal(base["share_of_gdp_pct_exact"])
    assert pp.quantize(Decimal("0.000001"), ROUND_HALF_UP) == Decimal("0.196429")
    _revise_to_government_total(primer)
    official = _all_tier(primer, "--places", "6")  # default: the version in force for FY2025
    assert (official["version"], Decimal(official["total"])) == (3, Decimal("11.0") * TN)
    assert official["share_of_gdp_pct"] == "1.964286"
    assert _all_tier(primer, "--places", "1")["share_of_gdp_pct"] == "2.0"
    assert (
        _all_tier(primer, "--stages", "initial", "--places", "6")["share_of_gdp_pct"] == "1.767857"
    )


def test_example4__widening_adds_the_reclassified_funds(primer: Cli) -> None:
    row = _all_tier(primer, "--definition", f"{D}@4", "--places", "6")
    assert Decimal(row["total"]) == Decimal("10.32") * TN and row["share_of_gdp_pct"] == "1.842857"
    both = _all_tier(primer, "--definition", f"{D}@5", "--places", "6")
    assert (
        Decimal(both["total"]) == Decimal("11.42") * TN and both["share_of_gdp_pct"] == "2.039286"
    )


def test_example5__566_5_basis_and_the_distance_to_targets(primer: Cli) -> None:
    _revise_to_government_total(primer)
    result = primer(
        "record",
        "gdp",
        "--fy",
        "2022",
        "--amount",
        "566500000000000",
        "--vintage",
        "esri-2023-annual",
        "--source-title",
        "ESRI national accounts for 2022",
    )
    assert result.exit_code == 0, result.stderr
    on_560 = _all_tier(primer, "--places", "6")
    assert on_560["gdp_vintage"] == "2022-12-estimate"  # the definition pins its vintage
    on_566 = _all_tier(primer, "--places", "6", "--gdp-basis", "FY2022@esri-2023-annual")
    assert on_566["share_of_gdp_pct"] == "1.941748" and on_566["gdp"] == "566500000000000"
    pp = Decimal(on_566["share_of_gdp_pct_exact"]) - Decimal(on_560["share_of_gdp_pct_exact"])
    assert pp.quantize(Decimal("0.000001"), ROUND_HALF_UP) == Decimal("-0.022538")
    targets = _json(primer, "totals", "--fy", "FY2025", "--tier", "all", "--target")["totals"]
    by_id = {row["target"]: row for row in targets}
    assert {k: Decimal(v["target_amount"]) / TN for k, v in by_id.items()} == {
        "cap-1pct": Decimal("5.6"),
        "nss-2pct": Decimal("11.2"),
        "us-ask": Decimal("19.6"),
        "nato-5pct": Decimal("28"),
    }
    assert Decimal(by_id["us-ask"]["gap"]) == Decimal("8.6") * TN
    assert by_id["nss-2pct"]["by_fiscal_year"] == 2025  # the latest TargetSet is in force
    assert (by_id["nss-2pct"]["met"], by_id["cap-1pct"]["met"]) == (False, False)
    assert by_id["nss-2pct"]["gap_pp"] == "0.04"


def test_revision__as_of_the_earlier_seq_returns_the_old_figure(primer: Cli) -> None:
    before = _json(primer, "log", "-n", "1")["events"][-1]["seq"]
    _revise_to_government_total(primer)
    now = _all_tier(primer, "--definition", f"{D}@1")
    then = _all_tier(primer, "--definition", f"{D}@1", "--as-of", str(before))
    assert (Decimal(now["total"]), Decimal(then["total"])) == (Decimal("9.9") * TN, 10 * TN)
    meta = _json(primer, "totals", "--fy", "FY2025", "--as-of", str(before))["meta"]
    assert meta["as_of"]["seq"] == before and meta["head"]["seq"] == before + 1


def test_change__year_on_year(cli: Cli) -> None:
    lines = (
        "fiscal_year,line_id,agency,category,amount,stage\n"
        "2024,A,MoD,C,8900,initial\n2025,A,MoD,C,9900,initial\n"
    )
    events = [
        {"type": "CategoryDefined", "code": "C", "name": "C"},
        {"type": "DefinitionVersionOpened", "definition": "d", "version": 1, "title": "t"},
        {"type": "CategoryIncluded", "definition": "d", "version": 1, "category": "C"},
        {
            "type": "DefinitionStatusChanged",
            "definition": "d",
            "version": 1,
            "status": "adopted",
            "effective_from": 2024,
        },
        {"type": "GdpRecorded", "fiscal_year": 2024, "amount": "560000", "vintage": "v"},
        {"type": "GdpRecorded", "fiscal_year": 2025, "amount": "560000", "vintage": "v"},
    ]
    assert cli("import", "-", input="\n".join(json.dumps(e) for e in events)).exit_code == 0
    assert cli("import", "-", input=lines).exit_code == 0
    rows = _json(cli, "totals", "--fy", "FY2024..FY2025", "--tier", "all", "--change")["totals"]
    assert [(r["fiscal_year"], r["total"], r["change_total"]) for r in rows] == [
        (2024, "8900", ""),
        (2025, "9900", "1000"),
    ]
    assert rows[1]["change_pp"] == "0.18" and rows[0]["share_of_gdp_pct"] == "1.59"


def _usd_ledger(cli: Cli, rate: bool) -> None:
    events = [
        {"type": "CategoryDefined", "code": "C", "name": "C"},
        {"type": "DefinitionVersionOpened", "definition": "d", "version": 1, "title": "t"},
        {
            "type": "CategoryIncluded",
            "definition": "d",
            "version": 1,
            "category": "C",
            "share": "0.5",
        },
        {
            "type": "BudgetLineRecorded",
            "fiscal_year": 2025,
            "line_id": "Y",
            "agency": "a",
            "category": "C",
            "amount": "1000",
            "stage": "initial",
        },
        {
            "type": "BudgetLineRecorded",
            "fiscal_year": 2025,
            "line_id": "U",
            "agency": "a",
            "category": "C",
            "amount": "10.5",
            "currency": "USD",
            "stage": "initial",
        },
        {"type": "GdpRecorded", "fiscal_year": 2025, "amount": "100000", "vintage": "v"},
    ]
    if rate:
        events.append(
            {
                "type": "ExchangeRateRecorded",
                "base": "USD",
                "quote": "JPY",
                "fiscal_year": 2025,
                "rate": "150.5",
            }
        )
    assert cli("import", "-", input="\n".join(json.dumps(e) for e in events)).exit_code == 0


def test_currency__converted_only_through_a_recorded_rate(cli: Cli) -> None:
    _usd_ledger(cli, rate=True)
    body = _json(cli, "totals", "--fy", "2025", "--definition", "d@1", "--tier", "all")
    # (1000 + 10.5 × 150.5) × 0.5 = 1290.125
    assert body["totals"][0]["total"] == "1290.125" and body["totals"][0]["currency"] == "JPY"
    assert body["meta"]["exchange_rates"] == [
        {"base": "USD", "quote": "JPY", "fiscal_year": 2025, "rate": "150.5", "seq": 7}
    ]


def test_currency__mixed_without_a_rate_gives_no_total_and_says_why(cli: Cli) -> None:
    """A total that would leave the USD line out is not given (no silent shortfall); the
    row's diagnostic says which lines and which rate to record. ``trace`` still refuses."""
    _usd_ledger(cli, rate=False)
    body = _json(cli, "totals", "--fy", "2025", "--definition", "d@1", "--tier", "all")
    row = body["totals"][0]
    assert (row["total"], row["share_of_gdp_pct"], row["currency"]) == ("", "", "JPY")
    (diagnostic,) = [d for d in row["diagnostics"] if d["code"] == "no-exchange-rate"]
    assert diagnostic["lines"] == 1 and diagnostic["quote"] == "JPY"
    assert diagnostic["amounts"] == [{"currency": "USD", "amount": "10.5"}]
    text = cli("totals", "--fy", "2025", "--definition", "d@1").stdout
    assert "Note: JP FY2025: 1 line (10.5 USD) counted by d@1 is in USD" in text
    assert "record fx --base USD --quote JPY --fy 2025" in text
    result = cli("trace", "--fy", "2025", "--definition", "d@1")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: JP FY2025 has USD lines but the total is in JPY")
    assert result.stderr.count("\n") == 1


ISO = {
    "Albania": "AL",
    "Belgium": "BE",
    "Bulgaria": "BG",
    "Canada": "CA",
    "Croatia": "HR",
    "Czechia": "CZ",
    "Denmark": "DK",
    "Estonia": "EE",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Greece": "GR",
    "Hungary": "HU",
    "Italy": "IT",
    "Latvia": "LV",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Montenegro": "ME",
    "Netherlands": "NL",
    "North Macedonia": "MK",
    "Norway": "NO",
    "Poland": "PL",
    "Portugal": "PT",
    "Romania": "RO",
    "Slovak Republic": "SK",
    "Slovenia": "SI",
    "Spain": "ES",
    "Sweden": "SE",
    "Türkiye": "TR",
    "United Kingdom": "GB",
    "United States": "US",
}


def _nato_sample() -> list[dict[str, str]]:
    with NATO_SAMPLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _million(text: str) -> str:
    return format(Decimal(text).scaleb(6), "f")


def test_nato__usd_table_computes_as_published(cli: Cli, tmp_path: Path) -> None:
    sample = _nato_sample()
    header = "jurisdiction,fiscal_year,line_id,agency,category,amount,currency,stage,source_title\n"
    lines = header + "".join(
        f"{ISO[r['country']]},{r['year']},NATO-DEF,{ISO[r['country']]} government,NATO.DEF,"
        f"{_million(r['def_exp_usd_million_current_full'])},USD,initial,NATO Table 2\n"
        for r in sample
    )
    gdp = "jurisdiction,fiscal_year,amount,currency,vintage,source_title\n" + "".join(
        f"{ISO[r['country']]},{r['year']},{_million(r['gdp_usd_million_current_full'])},USD,"
        "nato-2024-06,NATO Table 5\n"
        for r in sample
    )
    setup = [
        {
            "type": "CategoryDefined",
            "code": "NATO.DEF",
            "name": "Defence expenditure (NATO definition)",
        },
        {
            "type": "DefinitionVersionOpened",
            "definition": "nato",
            "version": 1,
            "title": "NATO 2023 review",
        },
        {"type": "CategoryIncluded", "definition": "nato", "version": 1, "category": "NATO.DEF"},
        {
            "type": "DefinitionStatusChanged",
            "definition": "nato",
            "version": 1,
            "status": "adopted",
            "effective_from": 2014,
        },
    ]
    for name, text in (
        ("setup.jsonl", "\n".join(json.dumps(e) for e in setup)),
        ("lines.csv", lines),
        ("gdp.csv", gdp),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert cli("import", str(tmp_path / name)).exit_code == 0
    exceptions = 0
    for r in sample:
        row = _json(cli, "totals", "-j", ISO[r["country"]], "--fy", r["year"], "--tier", "all")[
            "totals"
        ][0]
        assert row["currency"] == "USD" and row["total"] == _million(
            r["def_exp_usd_million_current_full"]
        )
        if r["reproduces_published_share_2dp"] == "true":
            assert row["share_of_gdp_pct"] == r["share_gdp_pct_published"], r["country"]
        else:
            exceptions += 1
            assert row["share_of_gdp_pct"] != r["share_gdp_pct_published"], r["country"]
    assert exceptions >= 3 and len(sample) >= 20


def test_round_half_up__is_not_bankers_rounding() -> None:
    from fractions import Fraction

    assert str(round_half_up(Fraction(1125, 1000), 2)) == "1.13"  # round() would give 1.12
    assert str(round_half_up(Fraction(-1125, 1000), 2)) == "-1.13"
    assert str(round_half_up(Fraction(2, 3), 0)) == "1"


def test_all_totals_rows__same_from_the_store_and_from_the_pure_fold(
    primer: Cli, db_path: Path
) -> None:
    from ledger.projections.fold import fold_all
    from ledger.storage.store import EventStore

    with EventStore.open(str(db_path)) as store:
        events = list(store.read())
        from_store = all_totals_rows(store, None)
        offline = all_totals_rows(fold_all(events), len(events))
        earlier = all_totals_rows(store, 30)
        assert earlier == all_totals_rows(fold_all(events[:30]), 30)
    assert from_store == offline
    assert len(from_store) == 5 * 3  # five versions × (core, related, all) for JP FY2025
    first = from_store[0]
    assert list(first) == [
        "jurisdiction",
        "fiscal_year",
        "definition",
        "version",
        "status",
        "tier",
        "currency",
        "total",
        "gdp",
        "gdp_fiscal_year",
        "gdp_vintage",
        "share_of_gdp_pct",
    ]
    assert (first["definition"], first["version"], first["tier"], first["total"]) == (
        D,
        1,
        "core",
        "8500000000000",
    )


SEED = ROOT / "ledger" / "demo" / "seed" / "japan.jsonl"


def test_change__growth_in_percent_is_exact_and_matches_published_figures(cli: Cli) -> None:
    """The MOF reports defense budgets by growth on the year before: FY2023 +26.3 %, FY2024
    +16.5 %, FY2025 +9.4 % (MoD budget incl. SACO/US realignment), and DBP target expenses
    FY2024 +17.0 %. The ledger's figures give exactly those, rounded only for display."""
    from fractions import Fraction

    from ledger.projections.measure import exact_str

    assert cli("import", str(SEED)).exit_code == 0
    rows = _json(cli, "totals", "--fy", "FY2022..FY2025", "--definition", "jp-mod-core@1",
                 "--tier", "all", "--change", "--places", "1")["totals"]  # fmt: skip
    assert [(r["fiscal_year"], r["change_pct"]) for r in rows] == [
        (2022, ""), (2023, "26.3"), (2024, "16.5"), (2025, "9.4")
    ]  # fmt: skip
    exact = Fraction(79_496 - 68_219, 68_219) * 100  # ¥7兆9,496億 over ¥6兆8,219億
    assert rows[2]["change_pct_exact"] == exact_str(exact)
    assert rows[2]["change_pct_exact"].startswith("16.53058532080505431038")
    assert rows[2]["change_total"] == "1127700000000"
    # the DBP target expenses alone
    for args in (("definition", "--definition", "dbp@1", "--title", "DBP"),
                 ("include", "--definition", "dbp@1", "--category", "JP.CORE.DBP"),
                 ("status", "--definition", "dbp@1", "--status", "adopted",
                  "--effective-from", "2023")):  # fmt: skip
        assert cli("record", *args).exit_code == 0
    rows = _json(cli, "totals", "--fy", "FY2024", "--definition", "dbp", "--tier", "all",
                 "--change", "--places", "1")["totals"]  # fmt: skip
    assert (rows[0]["change_pct"], rows[0]["change_pct_exact"]) == (
        "17.0",
        exact_str(Fraction(77_249 - 66_001, 66_001) * 100),
    )
    text = cli("totals", "--fy", "FY2024", "--definition", "dbp", "--change").stdout
    assert "change_pct" in text.splitlines()[0] and "17.04" in text


def test_change__growth_from_nothing_is_not_a_number(cli: Cli) -> None:
    assert cli("import", str(SEED)).exit_code == 0
    # --stages request on a version that counts initial budgets only: both years count nothing
    rows = _json(cli, "totals", "--fy", "FY2024..FY2025", "--definition", "jp-mod-core@1",
                 "--tier", "all", "--change", "--stages", "request")["totals"]  # fmt: skip
    assert [(r["fiscal_year"], r["total"]) for r in rows] == [(2024, "0"), (2025, "0")]
    assert (rows[1]["change_total"], rows[1]["change_pct"], rows[1]["change_pct_exact"]) == (
        "0", "", ""
    )  # fmt: skip
