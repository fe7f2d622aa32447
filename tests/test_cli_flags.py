"""Flags spelled one way everywhere (old spellings warn for a release), global options before or
after the command, and what reaches a terminal: pager, colour, numbers for people."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import ok, one_line_error

from cli import terminal

ROOT = Path(__file__).resolve().parent.parent
Cli = Callable[..., Result]


@pytest.fixture
def primer(cli: Cli) -> Cli:
    assert cli("import", str(ROOT / "examples" / "primer.jsonl")).exit_code == 0
    return cli


# -- one spelling, old ones warn -------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (("totals", "--fy", "FY2025", "--stage", "initial", "--format", "json"),
         ("totals", "--fy", "FY2025", "--stages", "initial", "--format", "json")),
        (("record", "gdp", "--fiscal-year", "2030", "--amount", "1", "--vintage", "v"),
         ("record", "gdp", "--fy", "2030", "--amount", "1", "--vintage", "v2")),
        (("record", "target", "--target-id", "a", "--percent-of-gdp", "2",
          "--by-fiscal-year", "2030"),
         ("record", "target", "--target-id", "b", "--percent-of-gdp", "2", "--by-fy", "2030")),
        (("record", "definition", "--definition", "x", "--version", "1", "--title", "t"),
         ("record", "definition", "--definition", "y@1", "--title", "t")),
    ],
)  # fmt: skip
def test_flags__an_old_spelling_still_works_with_a_warning(
    primer: Cli, old: tuple[str, ...], new: tuple[str, ...]
) -> None:
    before, after = ok(primer(*old)), ok(primer(*new))
    assert "is deprecated, use" in before.stderr and "deprecated" not in after.stderr
    if old[0] == "totals":
        assert json.loads(before.stdout)["totals"] == json.loads(after.stdout)["totals"]


def test_flags__old_spellings_are_not_in_help(cli: Cli) -> None:
    assert "--stage " not in cli("totals", "--help").stdout
    assert "--fiscal-year" not in cli("record", "line", "--help").stdout
    assert "--version" not in cli("record", "include", "--help").stdout


def test_flags__stages_repeated_or_comma_separated_are_the_same(primer: Cli) -> None:
    def shares(*stages: str) -> object:
        result = ok(primer("totals", "--fy", "FY2025", *stages, "--format", "json"))
        return [row["total"] for row in json.loads(result.stdout)["totals"]]

    both = shares("--stages", "initial,supplementary")
    assert both == shares("--stages", "initial", "--stages", "supplementary")
    assert both == shares("--stages", "supplementary, initial")
    assert both != shares("--stages", "initial")
    refused = primer("totals", "--stages", "initial,final")
    assert refused.exit_code == 2 and "'final' is not a stage" in refused.stderr


def test_flags__stages_offers_every_stage_an_event_can_hold(primer: Cli) -> None:
    """The CLI spells the stages without loading the event models; they stay the same list."""
    from cli.options import STAGES
    from events import Stage

    assert STAGES == tuple(stage.value for stage in Stage)
    for stage in ("plan", "estimate"):
        ok(primer("totals", "--fy", "FY2025", "--stages", stage, "--format", "json"))


def test_flags__what_if_takes_stages_both_ways_and_j(primer: Cli) -> None:
    one = primer("what-if", "jp-defense-related@3", "--stages", "initial", "--fy", "FY2025",
                 "-j", "JP", "--format", "json")  # fmt: skip
    two = primer("what-if", "jp-defense-related@3", "--stages", "initial", "--stages",
                 "request", "--fy", "FY2025", "--format", "json")  # fmt: skip
    assert ok(one).stdout and ok(two).stdout
    assert json.loads(one.stdout)["b"].endswith("(what-if: stages initial)")
    assert "stages initial,request" in json.loads(two.stdout)["b"]


def test_flags__diff_takes_j(primer: Cli) -> None:
    result = primer("diff", "jp-defense-related@1", "jp-defense-related@2", "-j", "JP",
                    "--fy", "FY2025", "--stat")  # fmt: skip
    assert ok(result).stdout.startswith("JP FY2025")


def test_flags__record_names_the_version_as_name_at_n(cli: Cli) -> None:
    ok(cli("record", "definition", "--definition", "d@1", "--title", "t"))
    message = one_line_error(cli("record", "include", "--definition", "d", "--category", "A"), 2)
    assert message == "Error: --definition 'd': give the version too, as NAME@N"
    disagree = cli("record", "include", "--definition", "d@1", "--version", "2", "--category", "A")
    assert disagree.exit_code == 2 and "disagree" in disagree.stderr


def test_flags__the_adopt_error_names_the_flag(cli: Cli) -> None:
    ok(cli("record", "definition", "--definition", "d@1", "--title", "t"))
    message = one_line_error(
        cli("record", "status", "--definition", "d@1", "--status", "adopted"), 2
    )
    assert message.endswith("adopting a version requires --effective-from")


# -- show and log take a seq, an event id, a time --------------------------------------------


def test_show__a_seq_or_an_event_id(primer: Cli) -> None:
    by_seq = json.loads(ok(primer("show", "20", "--format", "json")).stdout)
    by_id = json.loads(ok(primer("show", by_seq["event_id"], "--format", "json")).stdout)
    assert by_id == by_seq and json.loads(ok(primer("show", "#20", "--format", "json")).stdout)
    assert "is not a seq or an event id" in primer("show", "yesterday").stderr


def test_log__since_and_until_take_a_seq_an_event_id_or_a_time(primer: Cli) -> None:
    def seqs(*args: str) -> list[int]:
        result = ok(primer("log", *args, "--format", "json"))
        return [event["seq"] for event in json.loads(result.stdout)["events"]]

    assert seqs("--since", "40") == [40, 41, 42, 43]
    assert seqs("--since", "10", "--until", "12") == [10, 11, 12]
    event_id = json.loads(primer("show", "41", "--format", "json").stdout)["event_id"]
    assert seqs("--since", event_id) == [41, 42, 43]
    assert seqs("--until", event_id, "--since", "41") == [41]
    assert seqs("--since", "2000-01-01T00:00:00Z") == list(range(1, 44))
    assert seqs("--since", "50") == []


# -- global options ------------------------------------------------------------------------------


def test_global_options__before_or_after_the_command(primer: Cli) -> None:
    for args in (("-q", "rebuild"), ("rebuild", "-q"), ("rebuild", "--quiet")):
        result = ok(primer(*args))
        assert result.stdout == "" and result.stderr == "", args
    assert "no differences" in ok(primer("rebuild")).stderr
    assert ok(primer("-v", "verify", "--progress")).stderr.count("verify:") >= 2


def test_rebuild_check__no_differences_is_said_on_stderr_not_as_an_empty_table(
    primer: Cli,
) -> None:
    result = ok(primer("rebuild", "--check"))
    assert result.stdout == ""
    assert "no differences; stored projections kept (--check)." in result.stderr


# -- the terminal --------------------------------------------------------------------------------


def test_terminal__colour_only_on_a_terminal_and_never_with_no_color(
    primer: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\x1b[" not in primer("log", "-n", "2").stdout  # not a terminal
    monkeypatch.setattr(terminal, "stdout_is_tty", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    assert "\x1b[1m" in primer("log", "-n", "2").stdout
    assert "\x1b[" not in primer("log", "-n", "2", "--no-color").stdout
    assert "\x1b[" not in primer("log", "-n", "2", "--format", "csv").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in primer("log", "-n", "2").stdout


def test_terminal__long_output_goes_through_the_pager_unless_no_pager(
    primer: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    paged = tmp_path / "paged.txt"
    monkeypatch.setattr(terminal, "stdout_is_tty", lambda: True)
    monkeypatch.setattr(terminal, "_is_tty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "10")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PAGER", f"sh -c 'cat > {paged}'")
    result = ok(primer("log"))
    assert result.stdout == "" and "\nseq  " in paged.read_text()
    paged.unlink()
    assert "\nseq  " in ok(primer("log", "--no-pager")).stdout and not paged.exists()
    assert "\nseq  " in ok(primer("log", "-n", "2")).stdout  # short: no pager
    assert ok(primer("log", "--format", "json")).stdout == "" and paged.exists()
    monkeypatch.setenv("DEFLEDGER_PAGER", "cat")  # cat: none
    assert "\nseq  " in ok(primer("log")).stdout


def test_numbers__every_table_writes_amounts_once(primer: Cli) -> None:
    """totals, replay and trace printed 11047700000000, diff 11,047,700,000,000: now one way,
    and --unit scales them, the unit in the header; CSV and JSON stay exact."""
    fy = ("--fy", "FY2025", "--definition", "jp-defense-related")
    for command in (("totals", "--fy", "FY2025"), ("replay", *fy), ("trace", *fy)):
        table = ok(primer(*command)).stdout
        assert "11,100,000,000,000" in table and "11100000000000" not in table, command
        scaled = ok(primer(*command, "--unit", "T")).stdout
        assert "(JPY T)" in scaled and "11.1" in scaled
        assert "11100000000000" in ok(primer(*command, "--format", "csv")).stdout
    trace = ok(primer("trace", *fy)).stdout
    assert "1.9821428571… %" in trace and "1.98214285714285714285" not in trace
    refused = primer("totals", "--unit", "G")
    assert refused.exit_code == 2 and "unknown unit G" in refused.stderr


def test_global_options__every_command_takes_them_after_its_name(cli: Cli) -> None:
    from helpers.cli_commands import ALL_COMMANDS

    for path in ALL_COMMANDS:
        for option in ("-q", "-vv", "--no-pager", "--no-color", "--progress"):
            result = cli(*path, option, "--help")
            assert result.exit_code == 0, (path, option, result.stderr)
