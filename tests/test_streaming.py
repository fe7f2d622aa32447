"""Imports and reads that stream: a file is checked and appended a chunk at a time in one
transaction (tests make the chunks tiny), and ``log`` writes JSON Lines and CSV as it reads."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import Result

from ledger.errors import InvalidInput
from ledger.intake import importers
from ledger.intake.import_file import ImportFile
from ledger.intake.importers import import_table, import_text
from ledger.storage.store import EventStore

Cli = Callable[..., Result]
CATEGORIES = "code,name\nA,Core\nB,Related\n"


def _lines(count: int, category: str = "A", start: int = 0) -> list[str]:
    return [
        f"JP,2025,L{i},MOD,P,{category},{100 + i},,initial,Budget,https://example.org/{i}"
        for i in range(start, start + count)
    ]


def _csv(rows: list[str]) -> str:
    return ",".join(importers.LINE_COLUMNS) + "\n" + "\n".join(rows) + "\n"


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importers, "CHUNK_ROWS", 3)


@pytest.mark.usefixtures("tiny_chunks")
def test_import_chunks__a_later_chunk_sees_the_earlier_ones(store: EventStore) -> None:
    events = [
        '{"type":"CategoryDefined","code":"A","name":"Core"}',
        *(
            f'{{"type":"BudgetLineRecorded","fiscal_year":2025,"line_id":"L{i}",'
            f'"agency":"MOD","category":"A","amount":"{i + 1}","stage":"initial"}}'
            for i in range(4)
        ),
        '{"type":"BudgetLineRevised","fiscal_year":2025,"line_id":"L0","amount":"7","reason":"r"}',
    ]
    report = import_text(store, "\n".join(events), actor="t")
    assert (report.rows, report.appended, report.first_seq, report.last_seq) == (6, 6, 1, 6)
    again = import_text(store, "\n".join(events), actor="t")  # every chunk finds its own
    assert (again.appended, again.skipped) == (0, 6)


@pytest.mark.usefixtures("tiny_chunks")
def test_import_chunks__bad_rows_in_any_chunk_are_all_reported_and_nothing_is_written(
    store: EventStore,
) -> None:
    import_text(store, CATEGORIES, actor="t")
    rows = _lines(10)
    rows[1] = rows[1].replace(",A,", ",NOPE,")
    rows[8] = rows[8].replace(",initial,", ",someday,")
    with pytest.raises(InvalidInput) as raised:
        import_text(store, _csv(rows), actor="t")
    message = str(raised.value)
    assert message.startswith("nothing imported: 2 problems in the lines file: line 3: ")
    assert "line 10: " in message
    assert store.count() == 2


@pytest.mark.usefixtures("tiny_chunks")
def test_import_chunks__the_first_20_problems_stop_the_import(store: EventStore) -> None:
    import_text(store, CATEGORIES, actor="t")
    rows = _lines(40, category="NOPE")
    with pytest.raises(InvalidInput, match=r"\d\d problems .*\(first 20 shown\)"):
        import_text(store, _csv(rows), actor="t")
    assert store.count() == 2


@pytest.mark.usefixtures("tiny_chunks")
def test_import_chunks__a_line_twice_in_one_file_is_refused_in_any_two_chunks(
    store: EventStore,
) -> None:
    """A re-imported line becomes a revision only if the ledger held it before the file: the
    same line twice in one file is refused, whether the two rows share a chunk or not."""
    import_text(store, CATEGORIES, actor="t")
    rows = _lines(5)
    for twice in (rows[0].replace(",100,", ",999,"), rows[4].replace(",104,", ",999,")):
        with pytest.raises(InvalidInput, match="is already recorded"):
            import_text(store, _csv([*rows, twice]), actor="t", reason="why")
    assert store.count() == 2


@pytest.mark.usefixtures("tiny_chunks")
def test_import_chunks__a_dry_run_reads_every_chunk_and_writes_nothing(
    store: EventStore,
) -> None:
    import_text(store, CATEGORIES, actor="t")
    report = import_text(store, _csv(_lines(8)), actor="t", dry_run=True, preview=5)
    assert (report.dry_run, report.rows, report.appended, len(report.preview)) == (
        True, 8, 8, 5,
    )  # fmt: skip
    assert report.by_type == (("BudgetLineRecorded", 8),)
    assert store.count() == 2


@pytest.mark.usefixtures("tiny_chunks")
def test_import_file__read_as_parsed_equals_the_text_import(
    store: EventStore, tmp_path: Path
) -> None:
    import_text(store, CATEGORIES, actor="t")
    path = tmp_path / "lines.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv(_lines(7)).replace("\n", "\r\n").encode())
    report = import_table(store, ImportFile.at(path), "lines.csv", None, actor="t")
    assert (report.kind, report.rows, report.appended) == ("lines", 7, 7)


def test_import_file__not_utf8_names_its_line(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_bytes(_csv(_lines(3)).encode() + b"JP,2025,X\xff,MOD\n")
    with pytest.raises(InvalidInput) as raised:
        import_table(store, ImportFile.at(path), "lines.csv", None, actor="t")
    assert (str(raised.value), raised.value.line) == ("line 5: file is not valid UTF-8", 5)
    assert store.count() == 0


def test_import_file__a_line_past_the_line_limit_is_refused(
    store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.intake import import_file

    monkeypatch.setattr(import_file, "MAX_LINE_CHARS", 50)
    path = tmp_path / "events.jsonl"
    path.write_text('{"type":"CategoryDefined","code":"A","name":"' + "x" * 60 + '"}\n')
    with pytest.raises(InvalidInput, match="longer than 50 characters") as raised:
        import_table(store, ImportFile.at(path), "events.jsonl", None, actor="t")
    assert raised.value.line == 1


def test_import_file__reading_a_small_file_whole_holds_the_file_not_the_limit(
    tmp_path: Path,
) -> None:
    """A claims file or a workbook is read whole, up to the import limit: a small one never
    costs the limit in memory (read(limit + 1) allocated 512 MiB for a 30 kB file)."""
    path = tmp_path / "small.toml"
    path.write_bytes(b"x" * 30_000)
    tracemalloc.start()
    try:
        data = ImportFile.at(path).read_all(512 * 2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data == b"x" * 30_000
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB"
    with pytest.raises(InvalidInput, match="larger than the import limit of 29,999 bytes"):
        ImportFile.at(path).read_all(29_999)
    assert ImportFile.at(path).read_all(30_000) == data


def test_log_jsonl__streamed_rows_are_the_json_rows(cli: Cli, store: EventStore) -> None:
    import_text(store, CATEGORIES + "", actor="t")
    import_text(store, _csv(_lines(600)), actor="t")
    whole = json.loads(cli("log", "--format", "json").stdout)["events"]
    lines = cli("log", "--format", "jsonl").stdout.splitlines()
    assert [orjson.loads(line) for line in lines] == whole
    assert len(cli("log", "--format", "csv").stdout.splitlines()) == 1 + 602


def test_log_streamed_to_a_file__a_failure_midway_leaves_no_file(
    cli: Cli, store: EventStore, tmp_path: Path
) -> None:
    import sqlite3

    import_text(store, CATEGORIES, actor="t")
    import_text(store, _csv(_lines(600)), actor="t")
    db = store.engine.url.database
    assert db is not None
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET payload = 'not json' WHERE seq = 550")
    conn.commit()
    conn.close()
    out = tmp_path / "log.jsonl"
    result = cli("log", "-o", str(out))
    assert result.exit_code == 3, result.output
    assert "seq 550" in result.stderr
    assert not out.exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
