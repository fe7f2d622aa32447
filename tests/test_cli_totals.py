"""``defledger totals``: every format, the meta block, and bad inputs as one line with exit 2."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
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


def test_totals__table_shows_rounded_share_and_the_basis_used(primer: Cli) -> None:
    result = primer("totals", "--fy", "FY2025")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:6] == [
        "jurisdiction",
        "fiscal_year",
        "definition",
        "version",
        "status",
        "tier",
    ]
    all_row = next(line for line in lines if " all " in line)
    assert "11,100,000,000,000" in all_row and "1.98" in all_row
    assert "FY2022 [2022-12-estimate, seq 22]" in all_row
    assert "rounded half-up to 2 places" in result.stdout


def test_totals__json_meta_has_head_as_of_definition_gdp(primer: Cli) -> None:
    body = json.loads(primer("totals", "--fy", "FY2025", "--format", "json").stdout)
    meta = body["meta"]
    assert meta["head"]["seq"] == 43 and len(meta["head"]["hash"]) == 64
    assert meta["as_of"] == {**meta["as_of"], "seq": 43, "spec": None}
    assert [(d["definition"], d["version"], d["status"]) for d in meta["definitions"]] == [
        (D, 3, "adopted")
    ]
    assert meta["gdp"] == [
        {
            "basis": "fixed-year FY2022",
            "jurisdiction": "JP",
            "fiscal_year": 2022,
            "vintage": "2022-12-estimate",
            "amount": "560000000000000",
            "currency": "JPY",
            "seq": 22,
        }
    ]
    row = body["totals"][-1]
    assert (row["tier"], row["share_of_gdp_pct"]) == ("all", "1.98")
    assert row["share_of_gdp_pct_exact"] == "1.9821428571428571428571428571428571428571428571429"


def test_totals__jsonl_csv_markdown_and_output_file(primer: Cli, tmp_path: Path) -> None:
    jsonl = primer("totals", "--fy", "FY2025", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["tier"] for line in jsonl] == ["core", "related", "all"]
    table = list(
        csv.DictReader(io.StringIO(primer("totals", "--fy", "FY2025", "--format", "csv").stdout))
    )
    assert table[-1]["total"] == "11100000000000" and table[-1]["share_of_gdp_pct"] == "1.98"
    markdown = primer("totals", "--fy", "FY2025", "--format", "markdown").stdout
    assert markdown.startswith("| jurisdiction | fiscal_year |") and "| 1.98 |" in markdown
    out = tmp_path / "totals.json"
    assert primer("totals", "--fy", "FY2025", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["totals"][0]["tier"] == "core"


def test_totals__compare_versions_and_by_category(primer: Cli) -> None:
    body = json.loads(
        primer(
            "totals",
            "--fy",
            "FY2025",
            "--definition",
            f"{D}@1",
            "--definition",
            f"{D}@4",
            "--tier",
            "related",
            "--by-category",
            "--format",
            "json",
        ).stdout
    )
    rows = [(r["version"], r["category"], r["total"]) for r in body["totals"]]
    assert rows == [
        (1, "JP.REL.JCG", "700000000000"),
        (1, "JP.REL.OTHER", "800000000000"),
        (1, "*", "1500000000000"),
        (4, "JP.CAND.SHIP", "120000000000"),
        (4, "JP.CAND.SPACE", "200000000000"),
        (4, "JP.REL.JCG", "700000000000"),
        (4, "JP.REL.OTHER", "800000000000"),
        (4, "*", "1820000000000"),
    ]
    assert [d["status"] for d in body["meta"]["definitions"]] == ["superseded", "draft"]


def test_totals__range_and_as_of_by_time(primer: Cli) -> None:
    body = json.loads(primer("totals", "--fy", "FY2024..FY2026", "--format", "json").stdout)
    assert {r["fiscal_year"] for r in body["totals"]} == {2025}
    assert (
        json.loads(primer("totals", "--as-of", "2999-01-01", "--format", "json").stdout)["meta"][
            "as_of"
        ]["seq"]
        == 43
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--definition", "nope"),
            "Error: unknown definition 'nope' (definitions: jp-defense-related)",
        ),
        (
            ("--definition", f"{D}@9"),
            f"Error: unknown definition version {D}@9 (versions: {D}@1 superseded",
        ),
        (("--fy", "FY1800"), "Error: fiscal year 1800 is outside 1900..2200"),
        (("--fy", "FY2027..FY2025"), "Error: fiscal year range 'FY2027..FY2025' runs backwards"),
        (("--fy", "next"), "Error: fiscal year 'next' is not like 2025 or FY2025"),
        (
            ("--fy", "FY2025", "--gdp-basis", "FY2019"),
            "Error: no GDP recorded for JP FY2019 (GDP basis FY2019)",
        ),
        (
            ("--fy", "FY2025", "--gdp-basis", "FY2022@nope"),
            "Error: no GDP recorded for JP FY2022 at vintage nope",
        ),
        (
            ("--gdp-basis", "last-year"),
            "Error: --gdp-basis 'last-year': use same-year, FY2022 or FY2022@VINTAGE",
        ),
        (
            ("--fy", "FY2025", "--tier", "space"),
            "Error: unknown tier 'space' (tiers: all, core, related)",
        ),
        (("--fy", "FY2021"), "Error: no budget lines are recorded for JP FY2021 as of seq 43"),
        (("--as-of", "999"), "Error: seq 999 is beyond the ledger's head (seq 43)"),
        (("-j", "JPN"), "Error: jurisdiction 'JPN' is not an ISO 3166-1 alpha-2 code like JP"),
        (("-j", "US"), "Error: no budget lines are recorded for US as of seq 43"),
    ],
)
def test_totals__bad_input_is_one_line_exit_2(
    primer: Cli, args: tuple[str, ...], message: str
) -> None:
    result = primer("totals", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_totals__missing_ledger_is_exit_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("--db", str(tmp_path / "absent.db"), "totals")
    assert result.exit_code == 2 and "no ledger at" in result.stderr
