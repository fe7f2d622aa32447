"""Periods as the source states them: ``YearBasisSet`` decides whether a jurisdiction's years
print as ``FY2024`` or ``2024`` in totals, trace, replay, diff, what-if and the demo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import ok, one_line_error
from pydantic import ValidationError
from test_jurisdictions import build, doc

from events import YearBasisSet
from ledger.projections.periods import describe_basis, fold_periods, year_basis_of

Cli = Callable[..., Result]


def calendar(cli: Cli, place: str = "DE") -> None:
    ok(
        cli(
            "record", "year-basis", "--jurisdiction", place, "--basis", "calendar",
            "--source-title", "NATO, Defence Expenditure of NATO Countries (2014-2024)",
        )
    )  # fmt: skip


def test_labels__fiscal_without_a_year_basis_calendar_with_one(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    before = ok(cli("totals", "-j", "all", "--fy", "2024")).stdout
    assert "GDP DE FY2024 =" in before and "FY2024 [2024-06" in before
    calendar(cli)
    table = doc(cli, "totals", "-j", "all", "--fy", "2024")
    labels = {r["jurisdiction"]: r["gdp_basis"] for r in table["totals"]}
    assert labels["DE"].startswith("2024 [") and labels["PL"].startswith("FY2024 [")
    assert table["meta"]["year_bases"]["DE"]["basis"] == "calendar"
    assert table["meta"]["year_bases"]["DE"]["seq"] == 21
    assert table["meta"]["year_bases"]["PL"] == {
        "basis": "fiscal", "start_month": None, "named_by": "start", "seq": None,
        "label": "FY2025", "description": "fiscal years (start month not recorded)",
    }  # fmt: skip
    text = ok(cli("totals", "-j", "all", "--fy", "2024")).stdout
    assert "GDP DE 2024 =" in text and "GDP PL FY2024 =" in text
    assert "Years of DE: calendar years (YearBasisSet)." in text
    assert table["totals"][0]["fiscal_year"] == 2024  # the number itself does not change


def test_labels__notes_and_errors_of_a_calendar_jurisdiction(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    calendar(cli)
    calendar(cli, "PL")
    notes = doc(cli, "totals", "-j", "DE", "--fy", "2023..2025")["meta"]["notes"]
    assert "no budget lines for DE 2025 as of seq 22" in notes
    error = one_line_error(cli("totals", "-j", "DE", "--fy", "2030..2031"), 2)
    assert error == "Error: no budget lines are recorded for DE 2030..2031 as of seq 22"
    meta = doc(cli, "totals", "-j", "all", "--fy", "2024", "--definition", "nato")["meta"]
    assert "nato@1: adopted from 2014" in ok(cli("totals", "-j", "all", "--fy", "2024")).stdout
    assert meta["definitions"][0]["effective_from"] == 2014


def test_labels__trace_replay_diff_and_what_if(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    calendar(cli)
    trace = doc(cli, "trace", "-j", "DE", "--fy", "2024", "--definition", "nato@1")
    assert trace["meta"]["year_basis"]["basis"] == "calendar"
    caption = ok(cli("trace", "-j", "DE", "--fy", "2024", "--definition", "nato@1")).stdout
    assert "\nDE 2024 nato@1 (adopted) tier all" in caption
    assert "status adopted from 2014" in caption
    replay = ok(cli("replay", "-j", "DE", "--year", "2024", "--definition", "nato")).stdout
    assert "changes of DE 2024 nato (all)" in replay
    stat = ok(cli("diff", "nato@1", "nato@2", "-j", "all", "--fy", "2024", "--stat")).stdout
    assert stat.splitlines()[0].startswith("DE 2024 nato@1 → nato@2")
    assert stat.splitlines()[1].startswith("PL FY2024 nato@1 → nato@2")
    sections = doc(cli, "diff", "nato@1", "nato@2", "-j", "all", "--fy", "2024")["sections"]
    assert [s["year_label"] for s in sections] == ["2024", "FY2024"]
    text = ok(cli("what-if", "nato@1", "--include", "NATO.PENS", "-j", "DE", "--fy", "2024"))
    assert "· DE 2024" in text.stdout and "FY2024" not in text.stdout


def test_labels__as_of_a_moment_before_the_basis_was_recorded(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    calendar(cli)
    now = doc(cli, "totals", "-j", "DE", "--fy", "2024")["totals"][0]["gdp_basis"]
    then = doc(cli, "totals", "-j", "DE", "--fy", "2024", "--as-of", "20")["totals"][0]
    assert now.startswith("2024 [") and then["gdp_basis"].startswith("FY2024 [")


def test_year_basis__restated_by_a_later_event(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    calendar(cli)
    ok(
        cli(
            "record", "year-basis", "--jurisdiction", "DE", "--basis", "fiscal",
            "--start-month", "4", "--reason", "the ministry's own tables",
        )
    )  # fmt: skip
    meta = doc(cli, "totals", "-j", "DE", "--fy", "2024")["meta"]["year_bases"]["DE"]
    assert meta["basis"] == "fiscal" and meta["start_month"] == 4 and meta["seq"] == 22
    assert meta["description"] == "fiscal years from April (FY2025 = April 2025 – March 2026)"


@pytest.mark.parametrize("spelling", [("--fy", "2024"), ("--fy", "FY2024"), ("--year", "2024")])
def test_years__both_spellings_are_accepted(
    cli: Cli, tmp_path: Path, spelling: tuple[str, str]
) -> None:
    build(cli, tmp_path)
    calendar(cli)
    rows = doc(cli, "totals", "-j", "DE", *spelling)["totals"]
    assert [r["fiscal_year"] for r in rows] == [2024, 2024]


def test_year_basis_event__validates_and_describes() -> None:
    with pytest.raises(ValidationError, match="calendar year starts in month 1"):
        YearBasisSet(jurisdiction="DE", basis="calendar", start_month=4)
    with pytest.raises(ValidationError):
        YearBasisSet(jurisdiction="DE", basis="fiscal", start_month=13)
    us = YearBasisSet(jurisdiction="us", basis="fiscal", start_month=10, named_by="end")
    payload = us.model_dump(mode="json")
    assert describe_basis(year_basis_of(payload)) == (
        "fiscal years from October (FY2025 = October 2024 – September 2025)"
    )
    periods = fold_periods([(3, "YearBasisSet", payload), (4, "GdpRecorded", {})])
    assert periods.label("US", 2025) == "FY2025" and periods.of("US").seq == 3
    assert periods.label("JP", 2025) == "FY2025"
    assert periods.span(["US"], [2022, 2023]) == "FY2022..FY2023"


def test_demo__labels_japan_s_years_as_fiscal(cli: Cli, tmp_path: Path) -> None:
    document = json.loads(
        ok(cli("demo", "--db", str(tmp_path / "demo.db"), "--format", "json")).stdout
    )
    assert document["year_labels"] == {str(y): f"FY{y}" for y in (2022, 2023, 2024, 2025)}
    assert document["year_basis"]["basis"] == "fiscal"
