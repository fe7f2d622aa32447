"""Bad input is one ``Error:`` line with exit 2, never an internal error, and no argument can
make a command grow without bound (issue 12, items 10 and 11).

- every integer option and argument is bounded at its type (``cli.options.BoundedInt``);
- NUL is refused in every argument, before any command runs;
- every file a user names is read to a size limit (``/dev/zero`` is refused, not read);
- quoted values are cut (``events.quoting``): a 100,000-digit amount is not repeated;
- JSON nesting is bounded before a recursive parser sees it;
- ``totals`` refuses more than ``MAX_CELLS`` fiscal year × definition version cells."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from helpers import category, one_line_error
from helpers.cli_commands import ALL_COMMANDS, command_at

from cli.app import cli as app
from cli.options import MAX_SEQ, BoundedInt
from events.quoting import MAX_QUOTED, clipped, named, quoted
from ledger.storage.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
Cli = Callable[..., Result]
HUGE = "99999999999999999999"


@pytest.fixture
def primer(cli: Cli) -> Cli:
    assert cli("import", str(ROOT / "examples" / "primer.jsonl")).exit_code == 0
    return cli


# -- the four inputs of issue 12, item 10 ----------------------------------------------------------


def test_import__100000_nested_brackets_is_a_line_numbered_problem(
    cli: Cli, tmp_path: Path
) -> None:
    deep = tmp_path / "d.jsonl"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    message = one_line_error(cli("import", str(deep)), 2)
    assert message == (
        "Error: nothing imported: 1 problem in the events file: "
        "line 1: JSON nested deeper than 32 levels"
    )
    nested_in_event = tmp_path / "e.jsonl"
    nested_in_event.write_text(
        '{"type": "CategoryDefined", "code": "A", "name": "A"}\n'
        '{"type": "CategoryDefined", "x": ' + "[" * 5000 + "]" * 5000 + "}\n"
    )
    message = one_line_error(cli("import", str(nested_in_event)), 2)
    assert message.endswith("line 2: JSON nested deeper than 32 levels")


@pytest.mark.parametrize("args", [["log", "-n", HUGE], ["show", HUGE], ["prove", HUGE]])
def test_huge_integer__is_out_of_range_not_overflow(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "internal error" not in result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert len(errors) == 1 and f"{HUGE} is not in the range 1<=x<=2^63-1." in errors[0]


def test_largest_seq__is_accepted_and_not_found(cli: Cli, store: EventStore) -> None:
    store.append_events([category("A")])
    assert one_line_error(cli("show", str(MAX_SEQ)), 2) == f"Error: no event with seq {MAX_SEQ}"
    assert cli("log", "-n", str(MAX_SEQ), "--format", "json").exit_code == 0


def test_export__nul_in_root_is_refused_naming_the_option(cli: Cli, tmp_path: Path) -> None:
    message = one_line_error(cli("export", "--root", "\x00", "-o", str(tmp_path / "x")), 2)
    assert message == (
        "Error: --root: '\\x00' holds a NUL character, which no argument may contain"
    )
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["totals", "--fy=FY2025\x00"],
        ["record", "category", "--code", "A", "--name", "a\x00b"],
        ["import", "a\x00.jsonl"],
        ["verify-export", "\x00"],
        ["log", "--actor", "x", "--stream", "\x00"],
    ],
)
def test_nul__refused_in_every_kind_of_argument(cli: Cli, args: list[str]) -> None:
    message = one_line_error(cli(*args), 2)
    assert "holds a NUL character" in message


def test_nul__refused_in_the_database_option(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--db", "ledger\x00.db", "log"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --db: 'ledger\\x00.db' holds a NUL character, which no argument may contain\n"
    )


def test_amount_of_100000_digits__error_quotes_60_characters(cli: Cli) -> None:
    digits = "9" * 100_000
    result = cli("record", "gdp", "--fy", "2025", "--amount", digits, "--vintage", "v")
    message = one_line_error(result, 2)
    assert f"'{'9' * 60}'…(100,000 chars) is not a decimal number" in message
    assert len(message) < 300


def test_import_amount_of_100000_digits__error_quotes_60_characters(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "big.csv"
    source.write_text(
        f"fiscal_year,line_id,agency,category,amount,stage\n2025,L1,MoD,A,{'9' * 99_000},initial\n"
    )
    message = one_line_error(cli("import", str(source)), 2)
    assert "…(99,000 chars) is not a decimal number" in message and len(message) < 400


def test_usage_errors__quote_at_most_300_characters(cli: Cli) -> None:
    result = cli("demo", "--format", "x" * 10_000)
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert result.exit_code == 2 and len(errors) == 1
    assert errors[0].endswith("…(10,033 chars)") and len(errors[0]) < 400


# -- quoting --------------------------------------------------------------------------------------


def test_quoted__short_values_whole_long_ones_cut_with_their_length() -> None:
    assert quoted("abc") == "'abc'"
    assert quoted("a\nb\x00") == "'a\\nb\\x00'"
    assert quoted("x" * 61) == f"'{'x' * 60}'…(61 chars)"
    assert quoted(10**100_000) == "an integer of 100,001 digits"  # str() would refuse it
    assert quoted(-(10**60)) == "an integer of 61 digits"
    assert quoted(10**60 - 1) == "9" * 60
    assert quoted(True) == "True"
    assert len(quoted([[[[[["x" * 1000]]]]]] * 1000)) <= MAX_QUOTED + 20
    assert clipped("1" * 61) == "1" * 60 + "…(61 chars)"
    assert named("kept.checkpoint") == "kept.checkpoint"
    assert named("tab\there") == "'tab\\there'"


# -- integer options ------------------------------------------------------------------------------


def test_every_integer_parameter__is_bounded_at_both_ends() -> None:
    """An integer parameter that is not a BoundedInt would reach a command unbounded."""
    seen = []
    for path in ALL_COMMANDS:
        for param in command_at(path).params:
            if isinstance(param.type, click.types.IntParamType):
                seen.append((" ".join(path), param.name))
                assert isinstance(param.type, BoundedInt), (path, param.name)
                assert param.type.min is not None and param.type.max is not None
                assert param.type.max <= MAX_SEQ
    assert ("prove", "seq") in seen and ("log", "limit") in seen and ("totals", "places") in seen


@pytest.mark.parametrize("value", ["abc", "1.5", "0x10", "²", "9" * 100_000, "", "-"])
def test_bounded_int__refuses_what_is_not_an_integer(cli: Cli, value: str) -> None:
    result = cli("show", value)
    assert result.exit_code == 2
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert len(errors) == 1 and len(errors[0]) < 200, errors


# -- files ----------------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--digest", "/dev/zero"], "the digest /dev/zero is larger than 64 KiB"),
        (
            ["verify", "--checkpoint", "/dev/zero"],
            "the checkpoint /dev/zero is larger than 1 MiB",
        ),
        (
            ["verify-proof", "/dev/zero", "--checkpoint", "/dev/zero"],
            "the proof /dev/zero is larger than 16 MiB",
        ),
        (["export", "-o", "x", "--sign", "/dev/zero"], "the key /dev/zero is larger than 64 KiB"),
        (["import", "/dev/zero"], "file is larger than the import limit of 1,000 bytes"),
    ],
)
def test_endless_file__is_refused_at_its_size_limit(
    cli: Cli,
    store: EventStore,
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``verify --digest /dev/zero`` read until the kernel killed it (the fuzzer's 21 GB)."""
    import ledger.intake.importers

    monkeypatch.setattr(ledger.intake.importers, "MAX_FILE_BYTES", 1000)  # not 512 MiB of zeros
    store.append_events([category("A")])
    monkeypatch.chdir(tmp_path)
    assert message in one_line_error(cli(*args), 2)


def test_binary_checkpoint__is_not_utf8_exit_2(cli: Cli, store: EventStore, tmp_path: Path) -> None:
    store.append_events([category("A")])
    junk = tmp_path / "junk.checkpoint"
    junk.write_bytes(b"\xff\xfe" * 10)
    message = one_line_error(cli("verify", "--checkpoint", str(junk)), 2)
    assert message == f"Error: the checkpoint {junk} is not UTF-8 text (byte 1)"


# -- growth ---------------------------------------------------------------------------------------


def test_totals__refuses_more_cells_than_the_limit(
    primer: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.queries.totals

    body = json.loads(primer("totals", "--format", "json").stdout)
    cells = {(r["fiscal_year"], r["definition"], r["version"]) for r in body["totals"]}
    monkeypatch.setattr(ledger.queries.totals, "MAX_CELLS", len(cells))
    assert primer("totals").exit_code == 0  # at the limit
    monkeypatch.setattr(ledger.queries.totals, "MAX_CELLS", len(cells) - 1)
    message = one_line_error(primer("totals"), 2)
    assert message == (
        f"Error: this would measure {len(cells):,} jurisdiction × fiscal year × definition "
        f"version cells; the limit is {len(cells) - 1:,}: narrow -j or --fy, or name the "
        "definitions with --definition"
    )


def test_log_n__without_filters_reads_only_the_last_n(
    cli: Cli, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``log -n N`` kept the last N of a scan of the whole ledger; it now reads seqs from
    head − N + 1 (they are gapless), and with a filter keeps at most N while scanning."""
    store.append_events([category(code) for code in "ABCDE"])
    starts: list[int] = []
    original = EventStore.read

    def read(self: EventStore, **filters: object) -> object:
        starts.append(int(str(filters.get("start", 1))))
        return original(self, **filters)

    monkeypatch.setattr(EventStore, "read", read)
    body = json.loads(cli("log", "-n", "2", "--format", "json").stdout)
    assert [e["seq"] for e in body["events"]] == [4, 5] and starts == [4]
    body = json.loads(cli("log", "-n", str(MAX_SEQ), "--format", "json").stdout)
    assert [e["seq"] for e in body["events"]] == [1, 2, 3, 4, 5] and starts[-1] == 1
    body = json.loads(cli("log", "-n", "1", "--actor", "tester", "--format", "json").stdout)
    assert [e["seq"] for e in body["events"]] == [5] and starts[-1] == 1
