"""``defledger replay``: the timeline of one measure, in every format."""

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


def test_replay__in_force_version_timeline(primer: Cli) -> None:
    body = json.loads(
        primer("replay", "--fy", "FY2025", "--format", "json", "--places", "6").stdout
    )
    steps = [
        (r["seq"], r["event"], r["version"], r["total"], r["share_of_gdp_pct"])
        for r in body["replay"]
    ]
    assert steps == [
        (15, "DefinitionStatusChanged", f"{D}@1", "0", ""),
        (16, "BudgetLineRecorded", f"{D}@1", "8500000000000", ""),
        (17, "BudgetLineRecorded", f"{D}@1", "9200000000000", ""),
        (18, "BudgetLineRecorded", f"{D}@1", "10000000000000", ""),
        (22, "GdpRecorded", f"{D}@1", "10000000000000", "1.785714"),
        (34, "DefinitionStatusChanged", f"{D}@3", "11100000000000", "1.982143"),
    ]  # fmt: skip
    assert body["replay"][-1]["change_total"] == "1100000000000"
    assert body["replay"][-1]["change_pp_exact"].startswith("0.196428571428571428")
    assert body["replay"][4]["summary"] == "JP FY2022 560,000,000,000,000 JPY [2022-12-estimate]"
    assert body["meta"]["events_read"] > len(steps)


def test_replay__a_revision_moves_the_total(primer: Cli) -> None:
    revise = ("record", "revise", "--fy", "2025", "--line-id", "MOD-DBP")
    assert (
        primer(
            *revise, "--amount", "8400000000000", "--reason", "r", "--actor", "auditor"
        ).exit_code
        == 0
    )
    rows = json.loads(
        primer("replay", "--fy", "2025", "--definition", f"{D}@1", "--format", "json").stdout
    )["replay"]
    last = rows[-1]
    assert (last["seq"], last["actor"], last["event"], last["change_total"]) == (
        44,
        "auditor",
        "BudgetLineRevised",
        "-100000000000",
    )
    early = json.loads(
        primer(
            "replay", "--fy", "2025", "--definition", f"{D}@1", "--as-of", "43", "--format", "json"
        ).stdout
    )
    assert early["replay"][-1]["seq"] < 44


def test_replay__table_csv_markdown_jsonl(primer: Cli) -> None:
    table = primer("replay", "--fy", "2025", "--tier", "core").stdout
    assert table.splitlines()[0].split() == [
        "seq",
        "recorded_at",
        "actor",
        "event",
        "summary",
        "version",
        "total",
        "(JPY)",  # amounts for people: the currency in the header, thousands separators
        "share_of_gdp_pct",
        "change_total",
        "(JPY)",
        "change_pp",
    ]
    rows = list(
        csv.DictReader(io.StringIO(primer("replay", "--fy", "2025", "--format", "csv").stdout))
    )
    assert rows[-1]["total"] == "11100000000000"
    assert primer("replay", "--fy", "2025", "--format", "markdown").stdout.startswith("| seq |")
    jsonl = primer("replay", "--fy", "2025", "--format", "jsonl").stdout.splitlines()
    assert json.loads(jsonl[-1])["version"] == f"{D}@3"


def test_replay__bad_input_exit_2(primer: Cli) -> None:
    missing = primer("replay")
    assert missing.exit_code == 2 and "--fy" in missing.stderr
    unknown = primer("replay", "--fy", "2025", "--definition", "nato")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("Error: unknown definition 'nato'")
