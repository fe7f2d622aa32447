"""End-to-end smoke tests of the core commands through CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result


def test_record_then_log__shows_the_events(cli: Callable[..., Result]) -> None:
    assert cli("record", "category", "--code", "JP.CORE.DBP", "--name", "DBP").exit_code == 0
    result = cli(
        "record", "line", "--fy", "FY2025", "--line-id", "MOD-DBP", "--agency", "MoD",
        "--category", "JP.CORE.DBP", "--amount", "8.5E12", "--stage", "initial",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    log = json.loads(cli("log", "--format", "json").stdout)
    assert [e["type"] for e in log["events"]] == ["CategoryDefined", "BudgetLineRecorded"]
    assert log["events"][1]["amount"] == "8500000000000"
    assert log["meta"]["head_seq"] == 2


def test_record__unknown_category_is_one_line_exit_2(cli: Callable[..., Result]) -> None:
    result = cli(
        "record", "line", "--fy", "2025", "--line-id", "X", "--agency", "MoD",
        "--category", "NOPE", "--amount", "1", "--stage", "initial",
    )  # fmt: skip
    assert result.exit_code == 2
    assert (
        result.stderr == "Error: category NOPE is not defined (define it first, or fix the code)\n"
    )


def test_verify__ok_on_fresh_records(cli: Callable[..., Result]) -> None:
    cli("record", "category", "--code", "A", "--name", "A")
    result = cli("verify")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 1 events verified")
