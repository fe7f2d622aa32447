"""``import`` through the CLI: files and stdin, summaries, one-line errors with line numbers,
dry runs, revisions, size limit, progress only on a terminal, and the log round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import ok, one_line_error

import ledger.intake.importers as importers
from ledger.audit.verify import verify_ledger
from ledger.storage.store import EventStore

CATEGORIES = 'code,name,parent,description\nA,Core,,\nB,Related,A,=HYPERLINK("x")\n'
LINES = (
    "jurisdiction,fiscal_year,line_id,agency,program,category,amount,currency,stage,"
    "source_title,source_url\n"
    "JP,FY2025,MOD-DBP,Ministry of Defense,@SUM(1),A,8500000000000,JPY,initial,Yomiuri,"
    "https://japannews.yomiuri.co.jp/x\n"
    ",2025,JCG,Coast Guard,-1,B,1.5E11,,initial,,\n"
)
QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.jsonl"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "categories.csv").write_text(CATEGORIES, encoding="utf-8")
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    return tmp_path


def test_cli_import__csv_files_and_summary(
    store: EventStore, files: Path, cli: Callable[..., Result]
) -> None:
    first = ok(cli("import", str(files / "categories.csv")))
    assert first.stdout == ""
    assert first.stderr == "categories: 2 rows, added 2 events (seq 1..2), 0 already recorded\n"
    second = ok(cli("import", str(files / "lines.csv")))
    assert second.stderr == "lines: 2 rows, added 2 events (seq 3..4), 0 already recorded\n"
    assert store.get(2).payload["description"] == '=HYPERLINK("x")'
    assert store.get(3).payload["program"] == "@SUM(1)"
    assert store.get(4).payload["program"] == "-1"
    assert store.get(4).payload["amount"] == "150000000000"
    assert store.get(3).source["url"] == "https://japannews.yomiuri.co.jp/x"  # type: ignore[index]
    again = ok(cli("import", str(files / "lines.csv")))
    assert again.stderr == "lines: 2 rows, added 0 events, 2 already recorded\n"
    assert store.count() == 4 and verify_ledger(store).ok


def test_cli_import__stdin_with_bom_and_crlf(store: EventStore, cli: Callable[..., Result]) -> None:
    data = b"\xef\xbb\xbf" + CATEGORIES.replace("\n", "\r\n").encode()
    ok(cli("import", "-", input=data))
    assert [e.payload["code"] for e in store.read()] == ["A", "B"]


def test_cli_import__quiet(store: EventStore, files: Path, cli: Callable[..., Result]) -> None:
    result = ok(cli("import", "--quiet", str(files / "categories.csv")))
    assert result.stdout == result.stderr == ""


def test_cli_import__bad_rows_one_line_with_line_numbers_nothing_written(
    store: EventStore, files: Path, cli: Callable[..., Result]
) -> None:
    ok(cli("import", str(files / "categories.csv")))
    bad = files / "bad.csv"
    bad.write_text(
        LINES + "JP,2025,X1,MoD,p,NOPE,1,,initial,,\nJP,2025,X2,MoD,p,A,1.2.3,,initial,,\n"
    )
    message = one_line_error(cli("import", str(bad)), 2)
    assert message.startswith("Error: nothing imported: 2 problems in the lines file: ")
    assert "line 4: category NOPE is not defined" in message
    assert "line 5: amount:" in message
    assert store.count() == 2


def test_cli_import__kind_override_and_unknown_kind(
    store: EventStore, files: Path, cli: Callable[..., Result]
) -> None:
    odd = files / "odd.txt"
    odd.write_text("a,b\n1,2\n")
    assert "use --kind" in one_line_error(cli("import", str(odd)), 2)
    message = one_line_error(cli("import", "--kind", "gdp", str(files / "categories.csv")), 2)
    assert "line 1: unknown column code, name, parent, description for a gdp file" in message
    ok(cli("import", "--kind", "categories", str(files / "categories.csv")))
    assert store.count() == 2


def test_cli_import__dry_run_writes_nothing(
    store: EventStore, files: Path, cli: Callable[..., Result]
) -> None:
    result = ok(cli("import", "--dry-run", str(files / "categories.csv")))
    assert result.stderr == "categories: 2 rows, would add 2 events, 0 already recorded\n"
    assert store.count() == 0


def test_cli_import__changed_lines_need_reason(
    store: EventStore, files: Path, cli: Callable[..., Result]
) -> None:
    ok(cli("import", str(files / "categories.csv")))
    ok(cli("import", str(files / "lines.csv")))
    changed = files / "changed.csv"
    changed.write_text(
        LINES.replace("8500000000000,JPY", "8700000000000,JPY").replace(",-1,B,", ",-1,A,")
    )
    message = one_line_error(cli("import", str(changed)), 2)
    assert "line 2: budget line JP/FY2025/MOD-DBP is already recorded" in message
    assert "line 3: budget line JP/FY2025/JCG" in message
    assert store.count() == 4
    result = ok(cli("import", "--reason", "supplementary budget", str(changed)))
    assert "added 2 events" in result.stderr
    assert [(e.type, e.reason) for e in store.read(start=5)] == [
        ("BudgetLineRevised", "supplementary budget"),
        ("BudgetLineReclassified", "supplementary budget"),
    ]
    assert "added 0 events" in ok(cli("import", "--reason", "again", str(changed))).stderr


def test_cli_import__missing_file_is_one_line_exit_2(
    store: EventStore, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    message = one_line_error(cli("import", str(tmp_path / "nope.csv")), 2)
    assert "nope.csv" in message


def test_cli_import__size_limit_is_a_clear_error(
    store: EventStore, files: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 64)
    message = one_line_error(cli("import", str(files / "lines.csv")), 2)
    assert message == "Error: file is larger than the import limit of 64 bytes"
    assert one_line_error(cli("import", "-", input=LINES), 2) == message
    assert store.count() == 0


def test_cli_import__not_utf8_is_one_line(store: EventStore, cli: Callable[..., Result]) -> None:
    data = CATEGORIES.encode() + "C,Caf\u00e9\n".encode("latin-1")
    assert one_line_error(cli("import", "-", input=data), 2) == (
        "Error: line 4: file is not valid UTF-8"
    )


def _many_categories(count: int) -> str:
    return "code,name\n" + "".join(f"C{i},Category {i}\n" for i in range(count))


def test_cli_import__no_progress_when_stderr_is_not_a_terminal(
    store: EventStore, cli: Callable[..., Result]
) -> None:
    result = ok(cli("import", "-", input=_many_categories(2500)))
    assert "importing rows" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_cli_import__progress_lines_with_progress_and_none_with_quiet(
    store: EventStore, cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(_many_categories(2500))
    (tmp_path / "b.csv").write_text(_many_categories(2600))
    result = ok(cli("import", str(tmp_path / "a.csv"), "--progress"))
    assert result.stdout == ""  # progress is never data
    lines = result.stderr.splitlines()
    # one phase: the file is read, checked and written a chunk at a time
    assert lines[:2] == [
        "import: importing rows 0/2,500 (0%)", "import: importing rows 2,500/2,500 (100%)"
    ]  # fmt: skip
    assert lines[-1].startswith("categories: 2,500 rows, added 2,500 events")
    quiet = ok(cli("--progress", "import", str(tmp_path / "b.csv"), "-q"))
    assert quiet.stderr == "" and quiet.stdout == ""


def test_cli_import__verbose_says_each_phase_and_its_time(
    store: EventStore, cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(_many_categories(1200))
    result = ok(cli("import", str(tmp_path / "a.csv"), "-v"))
    phases = [line for line in result.stderr.splitlines() if line.startswith("import: ")]
    assert [p.split(":")[1].strip() for p in phases] == ["importing rows"]
    assert all(" in " in p and p.endswith(" s") for p in phases)


# -- the log round trip ---------------------------------------------------------------------------


def test_cli_import__log_jsonl_round_trips_into_a_fresh_ledger(
    store: EventStore, files: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    ok(cli("import", str(QUICKSTART)))
    ok(cli("import", str(files / "categories.csv")))
    (files / "more.csv").write_text(LINES.replace("MOD-DBP", "MOD-X"))
    ok(cli("import", str(files / "more.csv")))
    ok(cli("record", "category", "--code", "X", "--name", "restated", "--actor", "bob"))
    ok(cli("record", "category", "--code", "X", "--name", "restated", "--actor", "bob"))
    ok(cli("record", "target", "--target-id", "t", "--percent-of-gdp", "2", "--by-fy",
           "2027", "--reason", "cabinet", "--source-title", "NSS", "--hypothetical"))  # fmt: skip
    exported = tmp_path / "log.jsonl"
    ok(cli("log", "-o", str(exported)))
    assert verify_ledger(store).ok

    fresh = tmp_path / "fresh.db"
    runner = CliRunner()
    from cli.app import cli as app

    def fresh_cli(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(fresh), *args], catch_exceptions=False)

    result = fresh_cli("import", str(exported))
    assert result.exit_code == 0, result.stderr
    with EventStore.open(str(fresh)) as copy:
        original, imported = list(store.read()), list(copy.read())
        assert len(imported) == len(original)
        for a, b in zip(original, imported, strict=True):
            assert (b.type, b.payload, b.schema_version, b.stream, b.stream_version) == (
                a.type, a.payload, a.schema_version, a.stream, a.stream_version,
            )  # fmt: skip
            assert (b.actor, b.reason, b.source) == (a.actor, a.reason, a.source)
        assert verify_ledger(copy).ok
    again = fresh_cli("import", str(exported))
    assert again.exit_code == 0 and "added 0 events" in again.stderr
    round_two = tmp_path / "log2.jsonl"
    assert fresh_cli("log", "-o", str(round_two)).exit_code == 0
    strip = ("seq", "event_id", "recorded_at", "prev_hash", "hash", "idempotency_key")
    assert [{k: v for k, v in json.loads(x).items() if k not in strip}
            for x in round_two.read_text().splitlines()] == [
        {k: v for k, v in json.loads(x).items() if k not in strip}
        for x in exported.read_text().splitlines()
    ]  # fmt: skip
