"""``export``: bundle contents, reproducible bytes, formats other tools read, CSV and XLSX
formula safety, and path safety (ledger.exports.write, ledger.exports.bundle)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

import openpyxl
import pytest
from helpers import category, line
from helpers.audit_scenario import HOSTILE_PROGRAM, build_scenario

from ledger.audit.signing import generate_keypair
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.exports import write as exports
from ledger.exports.bundle import REQUIRED
from ledger.exports.verify import verify_export
from ledger.exports.write import export_bundle
from ledger.storage.chain import chain_hash
from ledger.storage.store import EventStore

KEY, PUB = generate_keypair("board-of-audit", seed=bytes(range(32)))


def _export(store: EventStore, root: Path, name: str = "bundle", **options: object) -> Path:
    head = store.head()
    seq = options.pop("as_of", head.seq if head else 0)
    export_bundle(store, name, int(seq), root=str(root), **options)  # type: ignore[arg-type]
    return root / name


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_export__writes_every_file_and_a_sha256sums_manifest(
    store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    bundle = _export(store, tmp_path, private_key=KEY, cloudevents=True)
    names = sorted(p.name for p in bundle.iterdir())
    assert set(REQUIRED) | {"SHA256SUMS", "SHA256SUMS.sig", "events.cloudevents.jsonl"} == set(
        names
    )
    listed = {}
    for entry in (bundle / "SHA256SUMS").read_text().splitlines():
        digest, name = entry.split("  ")
        listed[name] = digest
    assert set(listed) == set(names) - {"SHA256SUMS", "SHA256SUMS.sig"}
    for name, digest in listed.items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest


def test_events_jsonl__each_line_hashes_without_its_hash_member(
    store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    bundle = _export(store, tmp_path)
    previous = bytes(32)
    lines = (bundle / "events.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 16
    for raw in lines[:-1]:
        envelope = json.loads(raw)
        stated = bytes.fromhex(envelope.pop("hash"))
        hashed = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert chain_hash(previous, hashed.encode()) == stated
        assert (
            raw
            == json.dumps(
                {**envelope, "hash": stated.hex()},
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        )
        previous = stated


def test_export__same_ledger_and_as_of_give_identical_bytes_even_after_appends(
    store: EventStore, tmp_path: Path
) -> None:
    head = build_scenario(store)
    first = _export(store, tmp_path, "a", private_key=KEY, cloudevents=True)
    second = _export(store, tmp_path, "b", private_key=KEY, cloudevents=True)
    store.append_events([line("LATER", "77")])
    later = _export(store, tmp_path, "c", private_key=KEY, cloudevents=True, as_of=head)
    for name in sorted(p.name for p in first.iterdir()):
        data = (first / name).read_bytes()
        assert data == (second / name).read_bytes(), name
        assert data == (later / name).read_bytes(), name
    newer = _export(store, tmp_path, "d", private_key=KEY)
    assert (newer / "events.jsonl").read_bytes() != (first / "events.jsonl").read_bytes()


def test_csv__formula_cells_are_neutralised_and_numbers_stay_numbers(
    store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    bundle = _export(store, tmp_path)
    lines = {row["line_id"]: row for row in _rows(bundle / "lines.csv")}
    assert lines["SPACE"]["program"] == "'" + HOSTILE_PROGRAM
    assert lines["SPACE"]["category_name"] == "'@space and aviation"
    assert lines["JCG"]["program"] == "'-cutters"
    assert lines["CUT"]["program"] == "'+correction"
    assert lines["CUT"]["amount"] == "-1000"  # a negative number is never prefixed
    assert lines["SPACE"]["amount"] == "120000000000.5"
    events = _rows(bundle / "events.csv")
    assert events[12]["reason"] == "'@reversal"
    for path in bundle.glob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                assert not cell.startswith("-") or cell[1:].replace(".", "").isdigit()
    package = json.loads((bundle / "datapackage.json").read_text())
    assert package["formula_escaping"] == "owasp-asvs-1.2.10"


def test_totals_csv__exact_decimals_per_definition_version_and_tier(
    store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    totals = _rows(_export(store, tmp_path) / "totals.csv")
    by_key = {(r["version"], r["tier"]): r for r in totals}
    assert by_key[("1", "core")]["total"] == "8499999999000"
    assert by_key[("2", "related")]["total"] == "320000000000.25"
    assert by_key[("2", "all")]["gdp"] == "620000000000000"
    assert by_key[("1", "core")]["share_of_gdp_pct"].startswith("1.370967741774193548")


def test_workbook__no_formula_cells_numbers_numeric_exact_text_beside(
    store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    book = openpyxl.load_workbook(_export(store, tmp_path) / "workbook.xlsx")
    assert book.sheetnames == ["provenance", "totals", "lines", "definitions"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    rows = list(book["lines"].iter_rows(values_only=True))
    header, data = rows[0], {r[2]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[7:9] == ("amount", "amount_exact")
    assert data["SPACE"]["program"] == HOSTILE_PROGRAM
    assert data["CUT"]["amount"] == -1000 and data["CUT"]["amount_exact"] == "-1000"
    assert data["SPACE"]["amount_exact"] == "120000000000.5"
    provenance = dict(book["provenance"].iter_rows(min_row=2, values_only=True))
    assert provenance["as_of_seq"] == "15" and provenance["checkpoint_size"] == "15"
    assert provenance["tool"].startswith("defledger ")
    assert provenance["head_hash"] == store.get(15).hash


def test_lines__past_the_sheet_limit_the_csv_keeps_every_line(
    store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lines.csv and the workbook's lines sheet come from one walk over the lines: the sheet
    stops at Excel's row limit, the CSV still gets every line after it."""
    build_scenario(store)
    whole = _rows(_export(store, tmp_path, "whole") / "lines.csv")
    assert len(whole) > 2
    monkeypatch.setattr("ledger.exports.xlsx.MAX_ROWS", 3)
    bundle = _export(store, tmp_path, "cut")
    assert _rows(bundle / "lines.csv") == whole
    sheet = list(openpyxl.load_workbook(bundle / "workbook.xlsx")["lines"].values)
    assert [row[2] for row in sheet[1:]] == [row["line_id"] for row in whole[:2]]
    assert verify_export(bundle).ok  # verify's one walk: the sheet stops, lines.csv does not
    tampered = (bundle / "lines.csv").read_bytes().replace(b"SPACE", b"SPADE")
    (bundle / "lines.csv").write_bytes(tampered)
    found = {(problem.file, problem.kind) for problem in verify_export(bundle).problems}
    assert ("lines.csv", "recomputed-mismatch") in found
    assert not any(file == "workbook.xlsx" for file, _ in found)


def test_workbook__a_text_shaped_like_rich_text_stays_one_text_cell(
    store: EventStore, tmp_path: Path
) -> None:
    """XlsxWriter copies a string of the form '<r>…</r>' into the sheet unescaped (as the runs
    of a rich string): such a program name used to inject a formula cell into the workbook."""
    from ledger.exports.verify import verify_export

    program = (
        '<r><t>shown</t></r></is></c><c r="Z2"><f>HYPERLINK("http://x")</f><v>2</v></c>'
        '<c t="inlineStr"><is><r><t>x</t></r>'
    )
    store.append_events([category(), line("L1", "5", program=program)])
    bundle = _export(store, tmp_path)
    sheet = openpyxl.load_workbook(bundle / "workbook.xlsx")["lines"]
    assert [c.data_type for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    assert sheet["E2"].value == program
    assert sheet["Z2"].value is None
    assert verify_export(bundle).ok


def test_datapackage__frictionless_validates_it(store: EventStore, tmp_path: Path) -> None:
    from frictionless import validate

    build_scenario(store)
    bundle = _export(store, tmp_path)
    report = validate(str(bundle / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    package = json.loads((bundle / "datapackage.json").read_text())
    assert package["fiscalPeriod"] == {"start": "2025-04-01", "end": "2026-03-31"}
    assert package["fiscal"]["currencies"] == ["JPY"]
    totals = next(r for r in package["resources"] if r["name"] == "totals")
    assert {f["name"]: f.get("columnType") for f in totals["schema"]["fields"]}["total"] == "value"


def test_datapackage__frictionless_notices_a_changed_csv(store: EventStore, tmp_path: Path) -> None:
    from frictionless import validate

    build_scenario(store)
    bundle = _export(store, tmp_path)
    path = bundle / "lines.csv"
    path.write_bytes(path.read_bytes().replace(b"-1000", b"-9000"))
    assert not validate(str(bundle / "datapackage.json")).valid


def test_cloudevents__the_sdk_parses_every_line(store: EventStore, tmp_path: Path) -> None:
    from cloudevents.core.formats.json import JSONFormat

    build_scenario(store)
    bundle = _export(store, tmp_path, cloudevents=True)
    lines = (bundle / "events.cloudevents.jsonl").read_bytes().splitlines()
    assert len(lines) == 15
    for number, raw in enumerate(lines, start=1):
        event = JSONFormat().read(None, raw)
        attributes = event.get_attributes()
        assert attributes["specversion"] == "1.0"
        assert attributes["sequence"] == f"{number:020d}"
        assert attributes["recordedtime"] == store.get(number).recorded_at
    assert JSONFormat().read(None, lines[9]).get_attributes()["type"] == (
        "org.defledger.budget_line_recorded.v2"
    )


def test_parquet__absent_pyarrow_is_skipped_with_a_clear_note(
    store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports.export_parquet, "available", lambda: False)
    build_scenario(store)
    result = export_bundle(store, "bundle", 15, root=str(tmp_path), parquet=True)
    assert result.notes == [
        "parquet skipped: pyarrow is not installed (pip install 'defledger[parquet]')"
    ]
    assert not list((tmp_path / "bundle").glob("*.parquet"))


def test_parquet__written_when_pyarrow_is_installed(store: EventStore, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")  # the `test` extra installs it
    build_scenario(store)
    bundle = _export(store, tmp_path, parquet=True)
    table = pq.read_table(str(bundle / "lines.parquet")).to_pylist()
    assert {row["line_id"]: row["amount"] for row in table}["CUT"] == "-1000"


@pytest.mark.parametrize(
    "target", ["../escape", "a/../../escape", "/tmp/defledger-abs-escape", "x\0y"]
)
def test_export__paths_escaping_the_root_are_refused_before_writing(
    store: EventStore, tmp_path: Path, target: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "a").mkdir()
    build_scenario(store)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InvalidInput, match="refused"):
        export_bundle(store, target, 15, root=str(root))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not Path("/tmp/defledger-abs-escape").exists()
    assert sorted(p.name for p in root.iterdir()) == ["a"]


def test_export__a_symlink_out_of_the_root_is_refused(store: EventStore, tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    build_scenario(store)
    for target in ("link", "link/bundle"):
        with pytest.raises(InvalidInput, match="outside the export root"):
            export_bundle(store, target, 15, root=str(root))
    assert list(outside.iterdir()) == []


def test_export__an_absolute_path_inside_the_root_and_an_empty_dir_are_fine(
    store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    (tmp_path / "empty").mkdir()
    export_bundle(store, str(tmp_path / "empty"), 15, root=str(tmp_path))
    assert (tmp_path / "empty" / "SHA256SUMS").exists()


def test_export__a_non_empty_directory_is_refused(store: EventStore, tmp_path: Path) -> None:
    build_scenario(store)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not empty"):
        export_bundle(store, "full", 15, root=str(tmp_path))
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.txt"]


def test_export__a_failure_leaves_nothing_behind(
    store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_scenario(store)

    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(exports.datapackage, "build", broken)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="disk full"):
        export_bundle(store, "bundle", 15, root=str(out))
    assert list(out.iterdir()) == []  # neither the bundle nor its temporary directory


def test_export__a_ledger_that_does_not_verify_is_not_exported(
    store: EventStore, db_path: Path, tmp_path: Path
) -> None:
    import sqlite3

    build_scenario(store)
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute(
            "UPDATE events SET payload = replace(payload, '8500000000000', '9500000000000')"
        )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(IntegrityFailure, match="does not verify at seq 10"):
        export_bundle(store, "bundle", 15, root=str(out))
    assert list(out.iterdir()) == []
