"""The bundle tamper table: every file of a bundle is recomputed from ``events.jsonl`` and
compared, so an edit to any of them is caught by ``verify-export`` *without* ``--pubkey``, even
when the forger rewrote ``SHA256SUMS`` to match (exit 3, the file named); a file that cannot be
checked is named, with exit 1 unless ``--allow-unchecked``."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from helpers.audit_scenario import build_scenario

from ledger.storage.store import EventStore

pq = pytest.importorskip("pyarrow.parquet")  # the `test` extra installs it

Tamper = Callable[[Path], None]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsigned bundle with every optional format (CloudEvents, Parquet), exported once."""
    from cli.app import cli as app

    root = tmp_path_factory.mktemp("bundle")
    store = EventStore.open(str(root / "ledger.db"), create=True)
    try:
        build_scenario(store)
    finally:
        store.close()
    result = CliRunner().invoke(
        app,
        ["--db", str(root / "ledger.db"), "export", "-o", "pristine", "--root", str(root)]
        + ["--cloudevents", "--parquet"],
    )
    assert result.exit_code == 0, result.stderr
    return root / "pristine"


@pytest.fixture
def pristine(exported: Path, tmp_path: Path) -> Path:
    """A copy of that bundle for one test to change."""
    copy = tmp_path / "pristine"
    shutil.copytree(exported, copy)
    return copy


def _verify(bundle: Path, *extra: str) -> tuple[Result, list[dict[str, Any]]]:
    from cli.app import cli as app

    result = CliRunner().invoke(app, ["verify-export", str(bundle), "--format", "json", *extra])
    problems = json.loads(result.stdout)["problems"] if result.stdout.strip() else []
    return result, problems


def _rehash(bundle: Path) -> None:
    """What a forger without the key does: rewrite SHA256SUMS to match the edited files."""
    names = sorted(p.name for p in bundle.iterdir() if p.name != "SHA256SUMS")
    sums = "".join(f"{hashlib.sha256((bundle / n).read_bytes()).hexdigest()}  {n}\n" for n in names)
    (bundle / "SHA256SUMS").write_text(sums)


def _replace(name: str, old: bytes, new: bytes) -> Tamper:
    def tamper(bundle: Path) -> None:
        data = (bundle / name).read_bytes()
        assert old in data, (name, old)
        (bundle / name).write_bytes(data.replace(old, new, 1))

    return tamper


def _openpyxl_edit(sheet: str, column: str, row: int, value: object) -> Tamper:
    """Open the workbook in openpyxl, change one cell (found by its header), save it again."""

    def tamper(bundle: Path) -> None:
        book = openpyxl.load_workbook(bundle / "workbook.xlsx")
        cells = book[sheet]
        header = [c.value for c in cells[1]]
        cells.cell(row=row, column=header.index(column) + 1, value=value)
        book.save(bundle / "workbook.xlsx")

    return tamper


def _zip_edit(part: str, edit: Callable[[bytes], bytes]) -> Tamper:
    """Rewrite one part of the workbook's zip as raw XML, every other part as it was."""

    def tamper(bundle: Path) -> None:
        path = bundle / "workbook.xlsx"
        buffer = io.BytesIO()
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(buffer, "w") as new:
            for info in old.infolist():
                data = old.read(info)
                new.writestr(info, edit(data) if info.filename == part else data)
            if part not in old.namelist():
                new.writestr(part, edit(b""))
        path.write_bytes(buffer.getvalue())

    return tamper


def _xml_replace(part: str, old: bytes, new: bytes) -> Tamper:
    def edit(data: bytes) -> bytes:
        assert old in data, (part, old)
        return data.replace(old, new, 1)

    return _zip_edit(part, edit)


def _parquet_edit(name: str, column: str, row: int, value: object) -> Tamper:
    def tamper(bundle: Path) -> None:
        table = pq.read_table(bundle / name)
        rows = table.to_pylist()
        rows[row - 1][column] = value
        pq.write_table(table.from_pylist(rows, schema=table.schema), bundle / name)

    return tamper


def _datapackage_edit(bundle: Path) -> None:
    path = bundle / "datapackage.json"
    package = json.loads(path.read_text())
    package["fiscal"]["fiscalYears"]["JP"] = [2024]
    path.write_text(json.dumps(package, indent=2) + "\n")


def _add_listed(bundle: Path) -> None:
    (bundle / "notes.txt").write_text("the totals were approved\n")


def _remove(name: str) -> Tamper:
    def tamper(bundle: Path) -> None:
        (bundle / name).unlink()

    return tamper


TOTAL_H2 = b"<v>8499999999000</v>"  # totals row 2 (FY2025 jp-defense-related@1 core): total

# (case, tamper, the file named, a message that must be among the problems)
TABLE: list[tuple[str, Tamper, str, str]] = [
    (
        "workbook number, openpyxl",
        _openpyxl_edit("totals", "total", 2, 1),
        "workbook.xlsx",
        "workbook.xlsx sheet totals cell H2, JP FY2025 jp-defense-related@1 core: "
        "total is 1, the events give 8499999999000",
    ),
    (
        "workbook exact text, openpyxl",
        _openpyxl_edit("lines", "amount_exact", 3, "9"),
        "workbook.xlsx",
        "workbook.xlsx sheet lines cell I3, JP FY2025 JCG: amount_exact is '9', "
        "the events give '260000000000'",
    ),
    (
        "workbook program, openpyxl",
        _openpyxl_edit("lines", "program", 2, "renamed"),
        "workbook.xlsx",
        "workbook.xlsx sheet lines cell E2, JP FY2025 CUT: program is 'renamed', "
        "the events give '+correction'",
    ),
    (
        "workbook number, raw XML",
        _xml_replace("xl/worksheets/sheet2.xml", TOTAL_H2, b"<v>8499999999001</v>"),
        "workbook.xlsx",
        "workbook.xlsx sheet totals cell H2, JP FY2025 jp-defense-related@1 core: "
        "total is 8499999999001, the events give 8499999999000",
    ),
    (
        "workbook formula, raw XML",
        _xml_replace("xl/worksheets/sheet2.xml", TOTAL_H2, b"<f>8499999999000</f><v>1</v>"),
        "workbook.xlsx",
        "workbook.xlsx sheet totals cell H2, JP FY2025 jp-defense-related@1 core: "
        "total is the formula =8499999999000, the events give 8499999999000",
    ),
    (
        "workbook number format, raw XML",
        _xml_replace(
            "xl/styles.xml",
            b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
            b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        ),  # fmt: skip
        "workbook.xlsx",
        "workbook.xlsx sheet provenance cell A2, ledger: key is shown through number format 14, "
        "not as its value (General)",
    ),
    (
        "workbook hidden sheet, raw XML",
        _xml_replace("xl/workbook.xml", b'name="totals"', b'name="totals" state="hidden"'),
        "workbook.xlsx",
        "workbook.xlsx sheet totals is hidden",
    ),
    (
        "workbook macro part",
        _zip_edit("xl/vbaProject.bin", lambda _: b"\x00macro"),
        "workbook.xlsx",
        "workbook.xlsx holds xl/vbaProject.bin, a part the export never writes",
    ),
    (
        "events.csv",
        _replace("events.csv", b'""amount"":""8500000000000""', b'""amount"":""1""'),
        "events.csv",
        "events.csv row 10: seq 10: payload is",
    ),
    (
        "lines.csv",
        _replace("lines.csv", b",260000000000,", b",1,"),
        "lines.csv",
        "lines.csv row 2: JP FY2025 JCG: amount is '1', the events give '260000000000'",
    ),
    (
        "definitions.csv",
        _replace("definitions.csv", b",0.5,", b",1,"),
        "definitions.csv",
        "definitions.csv row 3: jp-defense-related@2 JP.CAND.SPACE: share is '1', "
        "the events give '0.5'",
    ),
    (
        "totals.csv",
        _replace("totals.csv", b",260000000000,", b",1,"),
        "totals.csv",
        "totals.csv row 2: JP FY2025 jp-defense-related@1 related: total is '1', "
        "the events give '260000000000'",
    ),
    (
        "events.jsonl",
        _replace("events.jsonl", b'"8500000000000"', b'"9500000000000"'),
        "events.jsonl",
        "events.jsonl line 10: seq 10: hash does not match the line's contents",
    ),
    (
        "events.cloudevents.jsonl",
        _replace("events.cloudevents.jsonl", b'"8500000000000"', b'"9500000000000"'),
        "events.cloudevents.jsonl",
        "events.cloudevents.jsonl line 10: data differ from the recomputation from events.jsonl",
    ),
    (
        "datapackage.json",
        _datapackage_edit,
        "datapackage.json",
        "datapackage.json: fiscal.fiscalYears.JP[0] is 2024, the events give 2025",
    ),
    (
        "lines.parquet",
        _parquet_edit("lines.parquet", "amount", 2, "1"),
        "lines.parquet",
        "lines.parquet row 2: JP FY2025 JCG: amount is '1', the events give '260000000000'",
    ),
    (
        "events.parquet",
        _parquet_edit("events.parquet", "actor", 1, "mallory"),
        "events.parquet",
        "events.parquet row 1: seq 1: actor is 'mallory', the events give 'tester'",
    ),
    (
        "a file removed",
        _remove("workbook.xlsx"),
        "workbook.xlsx",
        "missing file: workbook.xlsx",
    ),
    (
        "a file added and listed",
        _add_listed,
        "notes.txt",
        "unexpected file: notes.txt (listed in SHA256SUMS, but export never writes it, "
        "so nothing can check it)",
    ),
]


@pytest.mark.parametrize(
    ("tamper", "file", "message"), [case[1:] for case in TABLE], ids=[case[0] for case in TABLE]
)
def test_bundle_tamper__caught_without_a_key_and_named(
    pristine: Path, tamper: Tamper, file: str, message: str
) -> None:
    ok, _ = _verify(pristine)
    assert ok.exit_code == 0, ok.output
    bundle = pristine.with_name("tampered")
    shutil.copytree(pristine, bundle)
    tamper(bundle)
    _rehash(bundle)  # the manifest alone would now pass
    result, problems = _verify(bundle)
    assert result.exit_code == 3, result.output
    assert file in {p["file"] for p in problems}
    messages = [p["message"] for p in problems]
    assert any(m.startswith(message) for m in messages), messages
    assert "verify-export failed" in result.stderr


def test_bundle_tamper__an_untouched_workbook_saved_again_still_verifies(pristine: Path) -> None:
    """What is compared is what a spreadsheet shows and keeps, not the zip's bytes."""
    book = openpyxl.load_workbook(pristine / "workbook.xlsx")
    book.save(pristine / "workbook.xlsx")
    _rehash(pristine)
    result, problems = _verify(pristine)
    assert result.exit_code == 0, problems


def test_bundle_tamper__a_workbook_that_is_not_a_zip(pristine: Path) -> None:
    (pristine / "workbook.xlsx").write_bytes(b"totals,1\n")
    _rehash(pristine)
    result, problems = _verify(pristine)
    assert result.exit_code == 3
    assert [p["message"] for p in problems] == [
        "workbook.xlsx is not a workbook that can be checked: not a zip file "
        "(File is not a zip file)"
    ]


def test_bundle_tamper__many_differences_are_capped_per_sheet(pristine: Path) -> None:
    def blank(data: bytes) -> bytes:  # every number of the definitions sheet
        return data.replace(b"<v>", b"<v>7")

    _zip_edit("xl/worksheets/sheet4.xml", blank)(pristine)
    _rehash(pristine)
    result, problems = _verify(pristine)
    assert result.exit_code == 3
    assert len(problems) == 21
    assert problems[-1]["message"].startswith("workbook.xlsx sheet definitions: … and ")


def test_verify_export__parquet_without_pyarrow_is_named_and_not_ok(
    pristine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.exports import parquet as export_parquet

    monkeypatch.setattr(export_parquet, "available", lambda: False)
    result, problems = _verify(pristine)
    assert result.exit_code == 1
    assert problems == []
    assert result.stderr == (
        "Error: verify-export could not check every file: NOT CHECKED: definitions.parquet, "
        "events.parquet, lines.parquet, totals.parquet (pyarrow is not installed: pip install "
        "'defledger[parquet]'); nothing else was wrong (pass --allow-unchecked to accept that)\n"
    )
    unchecked = json.loads(result.stdout)["meta"]["unchecked"]
    assert [u["file"] for u in unchecked] == [
        "definitions.parquet",
        "events.parquet",
        "lines.parquet",
        "totals.parquet",
    ]
    allowed, _ = _verify(pristine, "--allow-unchecked")
    assert allowed.exit_code == 0
    from cli.app import cli as app

    shown = CliRunner().invoke(app, ["verify-export", str(pristine), "--allow-unchecked"])
    assert shown.exit_code == 0
    assert "; NOT CHECKED: definitions.parquet, events.parquet" in shown.stdout
