"""``defledger rebuild``: no differences on a healthy ledger; a tampered projection is reported
(exit 3) and repaired."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

ROOT = Path(__file__).resolve().parent.parent
Cli = Callable[..., Result]


def test_rebuild__healthy_ledger_has_no_differences(cli: Cli) -> None:
    assert cli("import", str(ROOT / "examples" / "primer.jsonl")).exit_code == 0
    assert cli("totals").exit_code == 0  # the projections catch up
    result = cli("rebuild")
    assert result.exit_code == 0, result.stderr
    # nothing differs: no empty table on stdout, the verdict on stderr
    assert result.stdout == ""
    assert (
        "rebuilt projections from 43 events" in result.stderr and "no differences" in result.stderr
    )
    body = json.loads(cli("rebuild", "--check", "--format", "json").stdout)
    assert body["differences"] == [] and body["meta"]["events"] == 43
    assert body["meta"]["replaced"] is False


def test_rebuild__reports_each_difference_exit_3_then_repairs(cli: Cli, db_path: Path) -> None:
    assert cli("import", str(ROOT / "examples" / "primer.jsonl")).exit_code == 0
    assert cli("totals").exit_code == 0
    with sqlite3.connect(db_path) as raw:
        raw.execute(
            "UPDATE proj_sums SET amount = '1' WHERE category = 'JP.CORE.DBP' AND stage = 'initial'"
        )
        raw.execute("DELETE FROM proj_gdp")
    checked = cli("rebuild", "--check", "--format", "csv")
    assert checked.exit_code == 3
    assert (
        checked.stderr == "Error: 2 difference(s) between the stored projections and the events\n"
    )
    assert (
        "proj_sums,JP/2025/initial/JP.CORE.DBP/JPY,JP | 2025 | initial | JP.CORE.DBP | JPY | 1 | 1,"
        in checked.stdout
    )
    assert "proj_gdp,JP/2022/2022-12-estimate,(absent)," in checked.stdout
    repaired = cli("rebuild", "--format", "markdown")
    assert repaired.exit_code == 3 and "(replaced by the rebuilt ones)" in repaired.stderr
    assert cli("rebuild").exit_code == 0
    rows = json.loads(cli("totals", "--fy", "2025", "--tier", "all", "--format", "json").stdout)[
        "totals"
    ]
    assert rows[0]["total"] == "11100000000000"


def test_rebuild__empty_ledger(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    result = cli("rebuild", "--format", "jsonl")
    assert result.exit_code == 0 and result.stdout == ""
