"""Multi-year programmes (an envelope, its parts, so far / remaining / pace needed) and
obligations (their own measure, never spending): Japan's Defense Buildup Program."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from pydantic import ValidationError

from events import ProgrammeDefined, parse_event

SEED = Path(__file__).resolve().parent.parent / "ledger" / "demo" / "seed"
TRILLION = Decimal(10) ** 12


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def _dbp(parts: list[tuple[str, str]], envelope: str = "43") -> dict[str, Any]:
    return {
        "type": "ProgrammeDefined", "programme_id": "jp-dbp-2023", "name": "DBP",
        "first_year": 2023, "last_year": 2027,
        "envelope": str(Decimal(envelope) * TRILLION),
        "parts": [{"part_id": f"p{i}", "name": name, "amount": str(Decimal(amount) * TRILLION)}
                  for i, (name, amount) in enumerate(parts)],
    }  # fmt: skip


def test_programme__envelope_is_its_parts_40_5_plus_1_6_plus_0_9_is_43_0() -> None:
    parts = [("annual budgets", "40.5"), ("facilities", "1.6"), ("surpluses", "0.9")]
    programme = parse_event(_dbp(parts))
    assert isinstance(programme, ProgrammeDefined)
    assert sum(part.amount for part in programme.parts) == programme.envelope
    assert programme.envelope == Decimal("43.0") * TRILLION
    with pytest.raises(ValidationError, match="add up to .* = 43000000000000, not the envelope"):
        parse_event(_dbp(parts, "43.5"))  # the contract ceiling is another figure
    with pytest.raises(ValidationError, match="= 42900000000000, not the envelope"):
        parse_event(_dbp([("annual budgets", "40.5"), ("facilities", "1.6"),
                          ("surpluses", "0.8")]))  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_year": 2028}, "first_year must not be after last_year"),
        ({"parts": [{"part_id": "a", "name": "x", "amount": "1"},
                    {"part_id": "a", "name": "y", "amount": "1"}], "envelope": "2"},
         "a part_id is given more than once"),
        ({"parts": [{"part_id": "a", "name": "x", "amount": "1", "categories": ["C"]},
                    {"part_id": "b", "name": "y", "amount": "1", "categories": ["C"]}],
          "envelope": "2"}, "a category counts against one part only"),
    ],
)  # fmt: skip
def test_programme__refuses_what_does_not_add_up(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_event({**_dbp([("a", "43")]), **change})


def test_shipped_programmes__dbp_level_and_contract_ceiling_are_two_figures() -> None:
    events = [json.loads(line) for line in (SEED / "comparisons.jsonl").open(encoding="utf-8")]
    programmes = {e["programme_id"]: e for e in events if e["type"] == "ProgrammeDefined"}
    level, ceiling = programmes["jp-dbp-2023"], programmes["jp-dbp-2023-contracts"]
    assert [Decimal(p["amount"]) / TRILLION for p in level["parts"]] == [
        Decimal("40.5"), Decimal("1.6"), Decimal("0.9")]  # fmt: skip
    assert Decimal(level["envelope"]) / TRILLION == Decimal("43.0")
    assert Decimal(ceiling["envelope"]) / TRILLION == Decimal("43.5")
    assert (level["basis"], ceiling["basis"]) == ("expenditure", "contract")
    contracts = {
        (e["fiscal_year"], e["obligation_id"]): Decimal(e["amount"])
        for e in events if e["type"] == "ObligationRecorded"
    }  # fmt: skip
    # MOF: FY2025 new contract amounts ¥8兆7,896億, of which DBP target expenses ¥8兆4,332億
    assert contracts[(2025, "MOD-DBP-CONTRACTS")] == Decimal("8.4332") * TRILLION
    assert sum(a for (y, _), a in contracts.items() if y == 2025) == Decimal("8.7896") * TRILLION
    assert sum(a for (y, _), a in contracts.items() if y == 2024) == Decimal("9.6803") * TRILLION


@pytest.fixture
def japan(cli: Callable[..., Result]) -> Callable[..., Result]:
    _ok(cli("import", str(SEED / "japan.jsonl")))
    _ok(cli("import", str(SEED / "comparisons.jsonl")))
    return cli


def _programmes(cli: Callable[..., Result], *args: str) -> dict[tuple[str, str], Any]:
    doc = json.loads(_ok(cli("programmes", *args, "--format", "json")).stdout)
    return {(r["programme"], r["part"]): r for r in doc["programmes"]}


def test_programmes__dbp_so_far_remaining_and_pace_needed(japan: Callable[..., Result]) -> None:
    rows = _programmes(japan)
    annual = rows[("jp-dbp-2023", "annual-budgets")]
    # DBP target expenses, initial budgets: FY2023 6.6001 + FY2024 7.7249 + FY2025 8.4748
    assert annual["by_year"] == {"FY2023": "6600100000000", "FY2024": "7724900000000",
                                 "FY2025": "8474800000000"}  # fmt: skip
    assert annual["so_far"] == "22799800000000"
    assert annual["remaining"] == "17700200000000"  # 40.5 − 22.7998
    assert (annual["years_left"], annual["pace_needed"]) == (2, "8850100000000")
    assert Fraction(annual["pace_so_far_fraction"]) == Fraction(22799800000000, 3)
    facilities = rows[("jp-dbp-2023", "facilities")]
    assert facilities["so_far"] == "" and facilities["missing"] == ""
    whole = rows[("jp-dbp-2023", "*")]
    assert (whole["envelope"], whole["remaining"]) == ("43000000000000", "20200200000000")
    contracts = rows[("jp-dbp-2023-contracts", "*")]
    assert contracts["so_far"] == "17795700000000"  # FY2024 9.3625 + FY2025 8.4332
    assert contracts["missing"] == "FY2023"  # not recorded: the total is incomplete
    text = _ok(japan("programmes")).stdout
    assert "jp-dbp-2023-contracts new-contracts: no figure for FY2023" in text


def test_programmes__as_of_an_earlier_moment(japan: Callable[..., Result]) -> None:
    log = [json.loads(line) for line in _ok(japan("log", "--format", "jsonl")).stdout.splitlines()]
    seq = next(e["seq"] for e in log if e["type"] == "ObligationRecorded"
               and e["fiscal_year"] == 2025)  # fmt: skip
    then = _programmes(japan, "jp-dbp-2023-contracts", "--as-of", str(seq - 1))
    assert then[("jp-dbp-2023-contracts", "*")]["so_far"] == "9362500000000"  # FY2024 only
    assert then[("jp-dbp-2023-contracts", "*")]["years_left"] == 3
    error = japan("programmes", "jp-dbp-2023", "--as-of", "10")
    assert error.exit_code == 2 and "'jp-dbp-2023' as of seq 10" in error.stderr


def test_obligations__their_own_measure_never_added_to_spending(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    _ok(cli("import", str(SEED / "japan.jsonl")))
    before = json.loads(_ok(cli("totals", "--format", "json")).stdout)["totals"]
    events = [json.loads(line) for line in (SEED / "comparisons.jsonl").open(encoding="utf-8")]
    owed = tmp_path / "obligations.jsonl"
    owed.write_text("".join(json.dumps(e) + "\n" for e in events
                            if e["type"] == "ObligationRecorded"), encoding="utf-8")  # fmt: skip
    _ok(cli("import", str(owed)))
    after = json.loads(_ok(cli("totals", "--format", "json")).stdout)["totals"]
    assert after == before
    doc = json.loads(_ok(cli("obligations", "--fy", "FY2025", "--format", "json")).stdout)
    totals = [r for r in doc["obligations"] if r["obligation_id"] == "*"]
    assert totals == [{"jurisdiction": "JP", "fiscal_year": 2025, "obligation_id": "*",
                       "kind": "new-contracts", "amount": "8789600000000",
                       "currency": "JPY"}]  # fmt: skip
    assert "never added to spending" in _ok(cli("obligations")).stdout


def test_obligations__need_a_defined_category(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli(
        "record", "obligation", "--fiscal-year", "2025", "--obligation-id", "X", "--agency",
        "MoD", "--category", "NOPE", "--amount", "1", "--stage", "initial",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "category NOPE is not defined" in result.stderr


def test_programmes__a_pace_that_is_no_finite_decimal_is_exact_as_a_fraction(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    events = [
        {"type": "CategoryDefined", "code": "A", "name": "A"},
        {"type": "BudgetLineRecorded", "fiscal_year": 2023, "line_id": "L", "agency": "x",
         "category": "A", "amount": "1", "stage": "initial"},
        {"type": "ProgrammeDefined", "programme_id": "p", "name": "p", "first_year": 2023,
         "last_year": 2026, "envelope": "11",
         "parts": [{"part_id": "all", "name": "all", "amount": "11", "categories": ["A"]}]},
    ]  # fmt: skip
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    _ok(cli("import", str(path)))
    row = _programmes(cli)[("p", "all")]
    assert (row["remaining"], row["years_left"]) == ("10", 3)
    assert row["pace_needed_fraction"] == "10/3" and row["pace_needed"] == "3.33"


def test_demo_comparisons__builds_the_demo_with_the_comparisons_scenario(
    cli: Callable[..., Result],
) -> None:
    """`demo --comparisons` (for an installed package, where the scenario file is not at hand)
    gives the ledger docs/comparisons.md uses: the DBP is there; running it again adds
    nothing, and the plain demo on it adds nothing either."""
    japan_events = sum(1 for line in (SEED / "japan.jsonl").open() if line.strip())
    comparisons_events = sum(1 for line in (SEED / "comparisons.jsonl").open() if line.strip())
    doc = json.loads(_ok(cli("demo", "--comparisons", "--format", "json")).stdout)
    ledger = doc["ledger"]
    assert ledger["scenarios"] == ["japan.jsonl", "comparisons.jsonl"]
    assert ledger["added"] == ledger["events_in_scenario"] == japan_events + comparisons_events
    assert ledger["head"]["seq"] == japan_events + comparisons_events
    again = json.loads(_ok(cli("demo", "--comparisons", "--format", "json")).stdout)["ledger"]
    assert (again["added"], again["already_recorded"]) == (0, japan_events + comparisons_events)
    plain = json.loads(_ok(cli("demo", "--format", "json")).stdout)["ledger"]
    assert (plain["added"], plain["scenarios"]) == (0, ["japan.jsonl"])
    rows = _programmes(cli)
    assert rows[("jp-dbp-2023", "*")]["envelope"] == "43000000000000"
