"""``defledger diff`` and ``what-if`` through the CLI: formats, --stat, --exit-code, errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from deepdiff import Delta
from deepdiff.serialization import json_loads
from helpers.diff_scenario import BOTH, base_events, e, open_version, record

from ledger.storage.store import EventStore

Cli = Callable[..., Result]
V2 = open_version("jp", 2, [], based_on=1, stages=BOTH) + [
    e("CategoryExcluded", definition="jp", version=2, category="JP.REL.JCG"),
    e("CategoryExcluded", definition="jp", version=2, category="JP.REL.PKO"),
    e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.SPACE", share="0.5"),
]


@pytest.fixture
def seeded(store: EventStore) -> int:
    return record(store, base_events() + V2)


def _floats(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return [value] if isinstance(value, float) else []


def test_diff__table_summary_first_then_details(cli: Cli, seeded: int) -> None:
    result = cli("diff", "jp@1", "jp@2", "--fy", "FY2025")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = "1 stage added, 1 category added, 2 removed: +¥500.00B, +0.09 pp"
    assert summary in lines
    assert lines.index(summary) < next(i for i, ln in enumerate(lines) if "Σ = B − A" in ln)
    assert "supplementary" in result.stdout and "-0.09" in result.stdout  # pp to --places
    finer = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--places", "6").stdout
    assert "-0.089286" in finer


def test_diff__stat_is_one_line_per_year(cli: Cli, seeded: int) -> None:
    result = cli("diff", "jp@1", "jp@2", "--fy", "FY2024..FY2025", "--stat")
    assert result.stdout == (
        "JP FY2024 jp@1 → jp@2: 1 stage added, 1 category added, 2 removed: "
        "+¥1.10T, +0.20 pp\n"
        "JP FY2025 jp@1 → jp@2: 1 stage added, 1 category added, 2 removed: "
        "+¥500.00B, +0.09 pp\n"
    )


def test_diff__exit_code_4_only_with_differences(cli: Cli, seeded: int) -> None:
    assert cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--exit-code").exit_code == 4
    same = cli("diff", "jp@1", "jp@1", "--fy", "FY2025", "--exit-code", "--stat")
    assert same.exit_code == 0
    assert same.stdout == "JP FY2025 jp@1 → jp@1: no differences: ¥0, 0.00 pp\n"


def test_diff__json_is_stable_exact_and_its_delta_reapplies(cli: Cli, seeded: int) -> None:
    result = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--format", "json")
    document = json.loads(result.stdout)
    assert _floats(document) == []
    assert (document["report"], document["schema_version"]) == ("definition-diff", 2)
    section = document["sections"][0]
    structure = section["structure"]
    delta = Delta(json.dumps(structure["delta"]), deserializer=json_loads, bidirectional=True)
    assert structure["a"] + delta == structure["b"]
    assert structure["b"] - delta == structure["a"]
    assert section["delta"]["amount"] == "500000000000"
    assert sum(int(c["delta_amount"]) for c in section["changes"]) == 500000000000
    removed = next(c for c in section["changes"] if c["key"] == "JP.REL.JCG")
    assert removed["lines"][0]["counted_before"] == "500000000000"


def test_diff__jsonl_and_csv_have_one_row_per_change(cli: Cli, seeded: int) -> None:
    rows = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--format", "jsonl").stdout.splitlines()
    kinds = [json.loads(row)["kind"] for row in rows]
    assert kinds == ["stage-added", "category-added", "category-removed", "category-removed"]
    text = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--format", "csv").stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["key"] for r in table] == [
        "supplementary",
        "JP.CAND.SPACE",
        "JP.REL.JCG",
        "JP.REL.PKO",
    ]
    assert table[1]["delta_amount"] == "100000000000"


def test_diff__markdown_and_output_file(cli: Cli, seeded: int, tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    result = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "-o", str(target))
    assert result.exit_code == 0 and result.stderr == f"wrote {target}\n"
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Definition diff: jp@1 → jp@2\n")
    assert "| # | change | key |" in text


def test_diff__across_definitions(cli: Cli, store: EventStore) -> None:
    record(store, base_events() + open_version("nato", 1, [("JP.REL.JCG", "0.5", "core")]))
    result = cli("diff", "jp@1", "nato@1", "--fy", "FY2025", "--stat")
    assert result.stdout == (
        "JP FY2025 jp@1 → nato@1: 3 categories removed, 1 re-weighted, 1 moved tier: "
        "-¥9.75T, -1.74 pp\n"
    )


def test_diff__as_of_once_compares_the_past(cli: Cli, store: EventStore) -> None:
    t1 = record(store, base_events() + open_version("jp", 2, [], based_on=1))
    record(store, [e("CategoryExcluded", definition="jp", version=2, category="JP.REL.JCG")])
    then = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--as-of", str(t1), "--stat")
    assert then.stdout == "JP FY2025 jp@1 → jp@2: no differences: ¥0, 0.00 pp\n"
    now = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--stat")
    assert now.stdout == "JP FY2025 jp@1 → jp@2: 1 category removed: -¥500.00B, -0.09 pp\n"


def test_diff__two_as_of_decompose(cli: Cli, store: EventStore) -> None:
    t1 = record(store, base_events() + open_version("jp", 2, [], based_on=1))
    t2 = record(store, [
        e("BudgetLineRevised", fiscal_year=2025, line_id="PKO", amount="300000000000",
          reason="a correction"),
    ])  # fmt: skip
    args = (
        "diff",
        "--as-of",
        str(t1),
        "--as-of",
        str(t2),
        "--definition",
        "jp@2",
        "--fy",
        "FY2025",
    )
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert "(b) figure changes alone" in result.stdout and "lines revised" in result.stdout
    assert "restate" not in result.stdout
    document = json.loads(cli(*args, "--format", "json").stdout)
    assert document["attribution"] == "alone-and-joint"
    parts = {p["part"]: p["delta_amount"] for p in document["sections"][0]["parts"]}
    assert parts == {"definition": "0", "figures": "100000000000", "joint": "0", "gdp": "0"}
    assert cli(*args, "--exit-code", "--stat").exit_code == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("diff", "jp@1"), "Error: give two definitions (NAME@A NAME@B), or --as-of T1"),
        (("diff", "jp@1", "nope@1", "--fy", "FY2025"), "Error: unknown definition 'nope'"),
        (("diff", "jp@1", "jp@9", "--fy", "FY2025"), "Error: unknown definition version jp@9"),
        (("diff", "jp@1", "jp@2", "--format", "html"), "Error: --format html needs -o"),
        (("diff", "jp@1", "jp@2", "--fy", "20x5"), "Error: "),
        (("diff", "jp@1", "jp@2", "--jurisdiction", "Japan"), "Error: jurisdiction 'Japan'"),
        (("diff", "--as-of", "1", "--as-of", "99999"), "Error: seq 99999 is beyond"),
    ],
)  # fmt: skip
def test_diff__bad_input_is_one_line_exit_2(cli: Cli, seeded: int, args: Any, message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_what_if__prints_the_same_report_as_diff(cli: Cli, seeded: int) -> None:
    hypothetical = cli("what-if", "jp@1", "--stages", "initial,supplementary", "--exclude",
                       "JP.REL.JCG", "--exclude", "JP.REL.PKO", "--include",
                       "JP.CAND.SPACE=0.5", "--fy", "FY2025", "--format", "json")  # fmt: skip
    recorded = cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--format", "json")
    ours, theirs = json.loads(hypothetical.stdout), json.loads(recorded.stdout)
    mine, real = ours["sections"][0], theirs["sections"][0]
    assert ours["report"] == "what-if" and ours["meta"]["hypothetical"] is True
    assert mine["structure"]["delta"] == real["structure"]["delta"]
    keys = ("kind", "key", "delta_amount", "delta_pp_fraction")
    assert [[c[k] for k in keys] for c in mine["changes"]] == [
        [c[k] for k in keys] for c in real["changes"]
    ]


def test_diff__end_points_match_totals(cli: Cli, seeded: int) -> None:
    diff = json.loads(cli("diff", "jp@1", "jp@2", "--fy", "FY2025", "--format", "json").stdout)
    for side in ("a", "b"):
        measured = diff["sections"][0][side]
        spec = f"jp@{measured['version']}"
        totals = json.loads(
            cli("totals", "--definition", spec, "--fy", "FY2025", "--format", "json").stdout
        )
        row = next(r for r in totals["totals"] if r["tier"] == "all")
        assert row["total"] == measured["total"]
        assert row["share_of_gdp_pct_exact"] == measured["share_pct"]
