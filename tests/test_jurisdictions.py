"""Every jurisdiction at once: ``-j`` repeatable and ``-j all`` on every read command, and the
ledger's default jurisdiction (``init --jurisdiction``, else the only one recorded)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import ok, one_line_error

ROOT = Path(__file__).resolve().parent.parent
Cli = Callable[..., Result]

SETUP = [
    {"type": "CategoryDefined", "code": "NATO.DEF", "name": "Defence expenditure"},
    {"type": "CategoryDefined", "code": "NATO.PENS", "name": "Military pensions"},
    {"type": "DefinitionVersionOpened", "definition": "nato", "version": 1, "title": "NATO"},
    {"type": "CategoryIncluded", "definition": "nato", "version": 1, "category": "NATO.DEF"},
    {"type": "StagesSet", "definition": "nato", "version": 1, "stages": ["settled"]},
    {"type": "DefinitionVersionOpened", "definition": "nato", "version": 2, "based_on": 1,
     "title": "NATO with pensions"},
    {"type": "CategoryIncluded", "definition": "nato", "version": 2, "category": "NATO.PENS"},
    {"type": "DefinitionStatusChanged", "definition": "nato", "version": 1, "status": "adopted",
     "effective_from": 2014},
]  # fmt: skip
FIGURES = {  # jurisdiction: {year: (defence, pensions, gdp)} in million EUR / PLN
    "DE": {2023: ("64000", "5000", "4121000"), 2024: ("90600", "5200", "4305000")},
    "PL": {2023: ("118000", "4000", "3410000"), 2024: ("159000", "4200", "3601000")},
}
CURRENCY = {"DE": "EUR", "PL": "PLN"}


def events(places: tuple[str, ...] = ("DE", "PL")) -> list[dict[str, Any]]:
    found = list(SETUP)
    for place in places:
        for year, (defence, pensions, gdp) in FIGURES[place].items():
            for line_id, category, amount in (
                ("DEF", "NATO.DEF", defence),
                ("PENS", "NATO.PENS", pensions),
            ):
                found.append(
                    {"type": "BudgetLineRecorded", "jurisdiction": place, "fiscal_year": year,
                     "line_id": line_id, "agency": "MoD", "category": category,
                     "amount": amount + "000000", "currency": CURRENCY[place],
                     "stage": "settled"}
                )  # fmt: skip
            found.append(
                {"type": "GdpRecorded", "jurisdiction": place, "fiscal_year": year,
                 "amount": gdp + "000000", "currency": CURRENCY[place], "vintage": "2024-06"}
            )  # fmt: skip
    return found


def build(cli: Cli, tmp_path: Path, places: tuple[str, ...] = ("DE", "PL")) -> None:
    path = tmp_path / "setup.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events(places)) + "\n", encoding="utf-8")
    ok(cli("import", str(path)))


def doc(cli: Cli, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(ok(cli(*args, "--format", "json")).stdout)
    return result


def test_totals__a_de_pl_ledger_without_a_default_asks_which_and_never_says_jp(
    cli: Cli, tmp_path: Path
) -> None:
    build(cli, tmp_path)
    error = one_line_error(cli("totals", "--fy", "2024"), 2)
    assert "DE, PL" in error and "-j" in error and "init --jurisdiction" in error
    assert "JP" not in error


def test_totals__answers_for_the_only_jurisdiction_recorded(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path, ("PL",))
    rows = doc(cli, "totals", "--fy", "2024", "--tier", "all")["totals"]
    assert {r["jurisdiction"] for r in rows} == {"PL"}
    assert rows[0]["total"] == "159000000000"


def test_init__stores_the_default_once_and_read_commands_use_it(
    backend_cli: Cli, tmp_path: Path
) -> None:
    cli = backend_cli  # SQLite, and PostgreSQL when a server is given
    assert "default jurisdiction DE" in ok(cli("init", "--jurisdiction", "de")).stderr
    ok(cli("init", "-j", "DE"))  # the same default again: harmless
    error = one_line_error(cli("init", "-j", "PL"), 2)
    assert "already DE" in error
    build(cli, tmp_path)
    meta = doc(cli, "totals", "--fy", "2024")
    assert {r["jurisdiction"] for r in meta["totals"]} == {"DE"}
    assert meta["meta"]["jurisdictions"] == ["DE"] and meta["meta"]["jurisdiction"] == "DE"
    both = doc(cli, "totals", "--fy", "2024", "-j", "DE", "-j", "PL")["totals"]
    assert {r["jurisdiction"] for r in both} == {"DE", "PL"}


def test_init__all_as_the_default(cli: Cli, tmp_path: Path) -> None:
    ok(cli("init", "-j", "all"))
    build(cli, tmp_path)
    rows = doc(cli, "totals", "--fy", "2024")["totals"]
    assert {r["jurisdiction"] for r in rows} == {"DE", "PL"}


def test_init__a_bad_code_creates_nothing(cli: Cli, db_path: Path) -> None:
    one_line_error(cli("init", "-j", "Germany"), 2)
    assert not db_path.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("totals", "--fy", "2023..2024", "--change"),
        ("totals", "--fy", "2024", "--definition", "nato@1", "--definition", "nato@2"),
        ("totals", "--by-category"),
        ("trace", "--fy", "2024", "--definition", "nato@2", "--all-lines"),
        ("replay", "--fy", "2024", "--definition", "nato"),
    ],
)
def test_all__equals_the_per_jurisdiction_calls(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    build(cli, tmp_path)
    name = args[0]
    every = doc(cli, *args, "-j", "all")
    each = [doc(cli, *args, "-j", place) for place in ("DE", "PL")]
    assert every[name] == [row for one in each for row in one[name]]
    assert every[name] and all(row["jurisdiction"] for row in every[name])
    assert every["meta"]["jurisdictions"] == ["DE", "PL"]
    same = doc(cli, *args, "-j", "DE,PL")
    assert same[name] == every[name]
    table = ok(cli(*args, "-j", "all")).stdout
    assert table.splitlines()[0].split()[0] == "jurisdiction"


def test_diff_and_what_if__all_equals_the_per_jurisdiction_calls(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    for args in (
        ("diff", "nato@1", "nato@2", "--fy", "2023..2024"),
        ("what-if", "nato@1", "--include", "NATO.PENS", "--fy", "2024"),
    ):
        every = doc(cli, *args, "-j", "all")
        each = [doc(cli, *args, "-j", place) for place in ("DE", "PL")]
        assert every["sections"] == [s for one in each for s in one["sections"]]
        assert [s["jurisdiction"] for s in every["sections"]][0] == "DE"
        assert every["meta"]["jurisdictions"] == ["DE", "PL"]


def test_jurisdiction_option__refuses_all_with_codes_and_bad_codes(
    cli: Cli, tmp_path: Path
) -> None:
    build(cli, tmp_path)
    assert "not both" in one_line_error(cli("totals", "-j", "all", "-j", "DE"), 2)
    assert "'DEU'" in one_line_error(cli("totals", "-j", "DEU"), 2)
    assert "empty code" in one_line_error(cli("totals", "-j", "DE,"), 2)
    error = one_line_error(cli("totals", "-j", "FR", "--fy", "2024"), 2)
    assert error == "Error: no budget lines are recorded for FR FY2024 as of seq 20"


def test_all__a_jurisdiction_without_an_answer_is_a_note(cli: Cli, tmp_path: Path) -> None:
    build(cli, tmp_path)
    table = doc(cli, "trace", "--fy", "2024", "-j", "DE", "-j", "FR", "--definition", "nato@1")
    assert {r["jurisdiction"] for r in table["trace"]} == {"DE", "FR"}  # FR: a total of 0
    rows = doc(cli, "totals", "--fy", "2024", "-j", "DE", "-j", "FR")
    assert {r["jurisdiction"] for r in rows["totals"]} == {"DE"}
    assert "no budget lines for FR FY2024 as of seq 20" in rows["meta"]["notes"]


def test_ledger__spells_the_jp_default_once() -> None:
    """``JP`` as a default lives in one place (events.base.SCHEMA_JURISDICTION); only the
    shipped Japan scenario names it in ledger/ (a table keyed by jurisdiction may list it)."""
    default = re.compile(r"""["']JP["'](?!\s*:)""")
    found = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "ledger").rglob("*.py"))
        if "demo" not in path.parts and default.search(path.read_text("utf-8"))
    ]
    assert found == [], found


def test_copy__carries_the_default(cli: Cli, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.app import cli as app

    ok(cli("init", "-j", "PL"))
    build(cli, tmp_path)
    target = tmp_path / "copy.db"
    ok(cli("copy", "--to", str(target)))
    args = ["--db", str(target), "totals", "--fy", "2024", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {r["jurisdiction"] for r in json.loads(result.stdout)["totals"]} == {"PL"}
