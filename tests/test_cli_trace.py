"""``defledger trace`` / ``explain``: every contributing event, enough to recompute by hand."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent
D = "jp-defense-related"
Cli = Callable[..., Result]


@pytest.fixture
def primer(cli: Cli) -> Cli:
    assert cli("import", str(ROOT / "examples" / "primer.jsonl")).exit_code == 0
    return cli


def _trace(cli: Cli, *args: str) -> dict:
    result = cli("trace", "--fy", "FY2025", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_trace__lines_recompute_the_total_and_name_their_events(primer: Cli) -> None:
    body = _trace(primer, "--definition", f"{D}@5")
    lines = [r for r in body["trace"] if r["role"] == "line"]
    assert [r["ref"] for r in lines] == [
        "JP/FY2025/JCG-PKO", "JP/FY2025/MOD-DBP", "JP/FY2025/REL-OTHER", "JP/FY2025/SHIP-FUND",
        "JP/FY2025/SPACE-FUND", "JP/FY2025/SUPP-2025",
    ]  # fmt: skip
    for row in lines:
        assert Decimal(row["amount"]) * Decimal(row["share"]) == Decimal(row["contribution"])
    total = sum(Decimal(r["contribution"]) for r in lines)
    assert total == Decimal(body["meta"]["total"]) == Decimal("11420000000000")
    space = next(r for r in lines if r["ref"].endswith("SPACE-FUND"))
    assert space["events"] == [20, 36] and space["category"] == "JP.CAND.SPACE"
    included_by = {r["seq"]: r for r in body["trace"] if r["event"] == "CategoryIncluded"}
    assert included_by[space["included_by"]]["ref"] == f"{D}@5"
    gdp = [r for r in body["trace"] if r["role"] == "gdp"]
    assert [(g["seq"], g["amount"]) for g in gdp] == [(22, "560000000000000")]
    targets = {r["ref"]: r for r in body["trace"] if r["role"] == "target"}
    assert (
        targets["nss-2pct"]["target_amount"] == "11200000000000"
        and targets["nss-2pct"]["seq"] == 25
    )
    total_row = body["trace"][-1]
    assert total_row["role"] == "total" and total_row["share_of_gdp_pct"] == "2.04"
    stages = next(r for r in body["trace"] if r["event"] == "StagesSet")
    assert stages["seq"] == 33  # inherited from @3, which @5 was based on


def test_trace__explain_alias_all_lines_and_tier(primer: Cli) -> None:
    result = primer(
        "explain",
        "--fy",
        "2025",
        "--definition",
        f"{D}@2",
        "--all-lines",
        "--tier",
        "related",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    reasons = {r["ref"]: r["detail"] for r in rows if r["role"] == "line"}
    assert "not counted: category JP.REL.JCG is not included" in reasons["JP/FY2025/JCG-PKO"]
    assert "not counted: stage supplementary is not counted" in reasons["JP/FY2025/SUPP-2025"]
    assert "not counted: counts in tier core" in reasons["JP/FY2025/MOD-DBP"]
    assert rows[-1]["contribution"] == "800000000000"


def test_trace__every_format(primer: Cli) -> None:
    table = primer("trace", "--fy", "2025").stdout
    assert "Σ contributions = 11,100,000,000,000 JPY" in table and "≈ 1.98 %" in table
    markdown = primer("trace", "--fy", "2025", "--format", "markdown").stdout
    assert markdown.startswith("| role | seq | event |")
    jsonl = primer("trace", "--fy", "2025", "--format", "jsonl").stdout.splitlines()
    assert json.loads(jsonl[-1])["role"] == "total"


def test_trace__as_of_before_the_reclassification(primer: Cli) -> None:
    body = _trace(primer, "--definition", f"{D}@1", "--as-of", "20", "--all-lines")
    space = next(r for r in body["trace"] if r["ref"] == "JP/FY2025/SPACE-FUND")
    assert space["category"] == "JP.NONDEF" and space["events"] == [20]
    assert body["meta"]["as_of"]["seq"] == 20 and body["meta"]["share_of_gdp_pct"] == ""


def test_trace__several_definitions_in_force_is_exit_2(primer: Cli) -> None:
    primer("record", "definition", "--definition", "nato@1", "--title", "NATO")
    primer(
        "record",
        "status",
        "--definition",
        "nato@1",
        "--status",
        "adopted",
        "--effective-from",
        "2014",
    )
    result = primer("trace", "--fy", "2025")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: several definitions are in force ({D}@3, nato@1); choose one with --definition\n"
    )
