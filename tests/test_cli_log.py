"""``log`` and ``show`` through the CLI: filters, every output format and -o FILE, SQL-looking
arguments as plain data, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import category, line, one_line_error, pending

from ledger.audit.verify import verify_ledger
from ledger.storage.store import EventStore

READ_COMMANDS = [("log",), ("show", "2"), ("verify",), ("digest",)]
HOSTILE = [
    "'; DROP TABLE events; --",
    '" OR 1=1 --',
    "x' OR '1'='1",
    "%",
    "_",
    "line/%*",
    "Robert'); DELETE FROM streams;--",
    "\\",
]


@pytest.fixture
def filled(store: EventStore) -> EventStore:
    store.append_events([category("A"), category("B")])
    store.append_events([line("L1", "100", "A"), line("L2", "2.5", "B", fiscal_year=2026)])
    store.append_events(
        [pending("TargetSet", actor="alice", target_id="t", percent_of_gdp="2",
                 by_fiscal_year=2027, reason="cabinet decision")]
    )  # fmt: skip
    return store


def parse(text: str, fmt: str) -> object:
    """Check that ``text`` is well-formed ``fmt`` and return something comparable."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(x) for x in text.splitlines()]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(len(r) == len(rows[0]) for r in rows)
        return rows
    if fmt == "markdown":
        rows = text.strip().split("\n\n")[0].splitlines()
        assert rows[0].startswith("| ") and set(rows[1]) <= set("|-:")
        return rows
    assert text.strip()
    return text


# -- formats --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "markdown"])
@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_cli_read_commands__every_format_to_stdout_and_file(
    filled: EventStore, cli: Callable[..., Result], tmp_path: Path, command: tuple[str, ...],
    fmt: str,
) -> None:  # fmt: skip
    result = cli(*command, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    parse(result.stdout, fmt)
    target = tmp_path / f"out.{fmt}"
    written = cli(*command, "--format", fmt, "-o", str(target))
    assert written.exit_code == 0, written.stderr
    assert target.read_text(encoding="utf-8") == result.stdout or command == ("verify",)
    parse(target.read_text(encoding="utf-8"), fmt)


@pytest.mark.parametrize(
    ("extension", "fmt"),
    [(".json", "json"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".csv", "csv"),
     (".md", "markdown"), (".txt", "table")],
)  # fmt: skip
@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_cli_read_commands__format_from_output_extension(
    filled: EventStore, cli: Callable[..., Result], tmp_path: Path, command: tuple[str, ...],
    extension: str, fmt: str,
) -> None:  # fmt: skip
    target = tmp_path / f"out{extension}"
    result = cli(*command, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" or command == ("verify",) and fmt == "table"
    assert target.exists(), f"{command[0]} -o {target.name} wrote nothing"
    parse(target.read_text(encoding="utf-8"), fmt)
    explicit = cli(*command, "--format", fmt)
    if command != ("verify",) and command != ("digest",):
        assert target.read_text(encoding="utf-8") == explicit.stdout


def test_cli_log__json_document_and_stable_keys(
    filled: EventStore, cli: Callable[..., Result]
) -> None:
    document = json.loads(cli("log", "--format", "json").stdout)
    assert document["meta"]["head_seq"] == 5 and document["meta"]["count"] == 5
    first = document["events"][2]
    assert list(first)[0] == "type"
    assert first["amount"] == "100" and isinstance(first["amount"], str)
    envelope = {"seq", "event_id", "stream", "stream_version", "recorded_at", "prev_hash", "hash",
                "actor", "reason", "source", "idempotency_key", "schema_version"}  # fmt: skip
    assert envelope <= set(first)


def test_cli_log__table_has_summary_columns(filled: EventStore, cli: Callable[..., Result]) -> None:
    table = cli("log").stdout.splitlines()
    assert table[0].split() == [
        "seq",
        "recorded_at",
        "actor",
        "type",
        "stream",
        "summary",
        "reason",
    ]
    assert len(table) == 2 + 5
    rows = list(csv.DictReader(io.StringIO(cli("log", "--format", "csv").stdout)))
    assert rows[4]["reason"] == "cabinet decision" and rows[4]["actor"] == "alice"
    assert rows[2]["summary"] == "A 100 JPY (initial)"


def test_cli_show__envelope_as_json(filled: EventStore, cli: Callable[..., Result]) -> None:
    envelope = json.loads(cli("show", "3", "--format", "json").stdout)
    assert envelope["seq"] == 3 and envelope["payload"]["amount"] == "100"
    assert envelope == filled.get(3).envelope()


# -- filters --------------------------------------------------------------------------------------


def _seqs(result: Result) -> list[int]:
    assert result.exit_code == 0, result.stderr
    return [row["seq"] for row in json.loads(result.stdout)["events"]]


def test_cli_log__filters(filled: EventStore, cli: Callable[..., Result]) -> None:
    assert _seqs(cli("log", "--format", "json", "--stream", "line/JP/FY2025/L1")) == [3]
    assert _seqs(cli("log", "--format", "json", "--stream", "line/*")) == [3, 4]
    assert _seqs(cli("log", "--format", "json", "--stream", "line/JP/FY2026/*")) == [4]
    assert _seqs(cli("log", "--format", "json", "--type", "CategoryDefined")) == [1, 2]
    assert _seqs(
        cli("log", "--format", "json", "--type", "CategoryDefined", "--type", "TargetSet")
    ) == [1, 2, 5]
    assert _seqs(cli("log", "--format", "json", "--actor", "alice")) == [5]
    assert _seqs(cli("log", "--format", "json", "-n", "2")) == [4, 5]
    at = filled.get(3).recorded_at
    assert _seqs(cli("log", "--format", "json", "--since", at)) == [3, 4, 5]
    assert _seqs(cli("log", "--format", "json", "--until", "2000-01-01")) == []
    assert _seqs(cli("log", "--format", "json", "--since", "2999-01-01T00:00:00Z")) == []


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("option", ["--stream", "--actor"])
def test_cli_log__sql_looking_filters_are_plain_data(
    filled: EventStore, cli: Callable[..., Result], option: str, value: str
) -> None:
    before = [e.envelope() for e in filled.read()]
    result = cli("log", "--format", "json", option, value)
    assert _seqs(result) == []
    assert [e.envelope() for e in filled.read()] == before
    assert verify_ledger(filled).ok


@pytest.mark.parametrize("value", HOSTILE)
def test_cli_log__sql_looking_type_is_an_unknown_type(
    filled: EventStore, cli: Callable[..., Result], value: str
) -> None:
    message = one_line_error(cli("log", "--type", value), 2)
    assert "unknown event type" in message
    assert filled.count() == 5 and verify_ledger(filled).ok


@pytest.mark.parametrize("option", ["--stream", "--actor", "--type", "--since"])
def test_cli_log__nul_in_a_filter_is_refused_naming_the_option(
    filled: EventStore, cli: Callable[..., Result], option: str
) -> None:
    """No argument may hold NUL (cli.options.refuse_nul): one line, exit 2, nothing read."""
    message = one_line_error(cli("log", option, "a\u0000b"), 2)
    assert message.startswith(f"Error: {option}: 'a\\x00b' holds a NUL character")
    assert filled.count() == 5 and verify_ledger(filled).ok


@pytest.mark.parametrize(
    "value", ["'; DROP TABLE events; --", "yesterday", "2025-13-01", "1 OR 1=1"]
)
def test_cli_log__bad_time_is_one_line_exit_2(
    filled: EventStore, cli: Callable[..., Result], value: str
) -> None:
    assert "is not" in one_line_error(cli("log", "--since", value), 2)
    assert filled.count() == 5


# -- errors ----------------------------------------------------------------------------------------


def test_cli_show__missing_seq_is_one_line_exit_2(
    filled: EventStore, cli: Callable[..., Result]
) -> None:
    assert one_line_error(cli("show", "99"), 2) == "Error: no event with seq 99"


def test_cli_read__no_ledger_is_one_line_exit_2(tmp_path: Path, runner: object) -> None:
    from click.testing import CliRunner

    from cli.app import cli as app

    missing = tmp_path / "nothing-here.db"
    for args in (["log"], ["show", "1"], ["verify"], ["digest"]):
        result = CliRunner().invoke(app, ["--db", str(missing), *args], catch_exceptions=False)
        message = one_line_error(result, 2)
        assert "no ledger at" in message and "defledger init" in message
    assert not missing.exists(), "a read command must not create a ledger"


@pytest.mark.parametrize(
    "args",
    [
        ("log", "--format", "xml"),
        ("log", "-n", "0"),
        ("show", "abc"),
        ("show",),
        ("log", "--bogus"),
    ],
)
def test_cli_usage_errors__exit_2_without_traceback(
    filled: EventStore, cli: Callable[..., Result], args: tuple[str, ...]
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")


def test_cli_log__output_to_unwritable_path_is_one_line(
    filled: EventStore, cli: Callable[..., Result], tmp_path: Path
) -> None:
    message = one_line_error(cli("log", "-o", str(tmp_path / "no-such-dir" / "log.csv")), 1)
    assert "No such file or directory" in message
