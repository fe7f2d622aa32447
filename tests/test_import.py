"""Importing files (ledger.intake.importers): hostile CSV, kinds, defaults, revisions, atomicity,
idempotency, strict JSON Lines. Every bad row is reported with its line number and then nothing
of the file is written."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Annotated

import pytest
from helpers import category
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter

import ledger.intake.importers as importers
import ledger.intake.sheets as sheets
from ledger.audit.verify import verify_ledger
from ledger.errors import InvalidInput
from ledger.intake.importers import decode, detect_kind, import_text
from ledger.storage.store import EventStore

TRIM = TypeAdapter(Annotated[str, StringConstraints(strip_whitespace=True)])
LINE_HEADER = "fiscal_year,line_id,agency,program,category,amount,stage"


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def lines(*rows: str, header: str = LINE_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def ready(store: EventStore) -> EventStore:
    """A ledger with categories A and B."""
    store.append_events([category("A"), category("B")])
    return store


def imported(store: EventStore, text: str, **options: object) -> importers.ImportReport:
    return import_text(store, text, actor=str(options.pop("actor", "tester")), **options)  # type: ignore[arg-type]


def rejected(store: EventStore, text: str, **options: object) -> str:
    before = store.count()
    with pytest.raises(InvalidInput) as info:
        imported(store, text, **options)
    assert store.count() == before, "nothing of a rejected file is written"
    message = str(info.value)
    assert "\n" not in message
    return message


# -- hostile CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example/?x","click")',
        "@SUM(1)",
        "+1",
        "-1",
        "=1+1",
        "\t=cmd",
        "'; DROP TABLE events; --",
        "防衛省 (MoD)",
        '"quoted"',
    ],
)
def test_import_csv_hostile__formula_looking_cells_stored_verbatim(
    ready: EventStore, cell: str
) -> None:
    text = csv_text(
        LINE_HEADER.split(","), [["2025", "L1", cell.strip() or "x", cell, "A", "1", "initial"]]
    )
    assert imported(ready, text).appended == 1
    stored = ready.get(3).payload
    assert stored["program"] == cell.strip()
    assert stored["agency"] == cell.strip()


def test_import_csv_hostile__formula_text_in_category_names_verbatim(store: EventStore) -> None:
    text = csv_text(["code", "name", "description"], [["X", '=HYPERLINK("x")', "@SUM(1)"]])
    imported(store, text)
    assert store.get(1).payload["name"] == '=HYPERLINK("x")'
    assert store.get(1).payload["description"] == "@SUM(1)"


def test_import_csv_hostile__nul_byte_is_a_line_numbered_error(ready: EventStore) -> None:
    text = lines("2025,L1,MoD,p,A,1,initial", "2025,L2,Mo\x00D,p,A,1,initial")
    assert "line 3:" in rejected(ready, text)


def test_import_csv_hostile__utf8_bom_accepted(ready: EventStore) -> None:
    data = b"\xef\xbb\xbf" + lines("2025,L1,MoD,p,A,1,initial").encode()
    text = decode(data)
    assert detect_kind(text) == "lines"
    assert imported(ready, text).appended == 1


def test_import_csv_hostile__crlf_inside_quoted_field_stored_verbatim(ready: EventStore) -> None:
    text = (
        "fiscal_year,line_id,agency,program,category,amount,stage\r\n"
        '2025,L1,MoD,"first\r\nsecond",A,1,initial\r\n'
        '2025,L2,MoD,"x\ny",A,1,bogus\r\n'
    )
    message = rejected(ready, text)
    assert "line 4:" in message and "stage" in message  # physical line numbers
    ok = text.replace("bogus", "initial")
    imported(ready, ok)
    assert ready.get(3).payload["program"] == "first\r\nsecond"
    assert ready.get(4).payload["program"] == "x\ny"


def test_import_csv_hostile__duplicate_header_names_the_column(ready: EventStore) -> None:
    text = lines("2025,L1,MoD,p,A,1,initial,x", header=LINE_HEADER + ",program")
    message = rejected(ready, text)
    assert message == "line 1: duplicate column program"


def test_import_csv_hostile__unknown_and_missing_columns(ready: EventStore) -> None:
    assert "unknown column colour" in rejected(
        ready, lines("2025,L1,MoD,p,A,1,initial,red", header=LINE_HEADER + ",colour")
    )
    header = "fiscal_year,line_id,agency,category,stage"
    assert "missing column amount" in rejected(ready, lines("2025,L1,MoD,A,initial", header=header))


def test_import_csv_hostile__10_mb_field_is_a_line_numbered_error(ready: EventStore) -> None:
    huge = "x" * (10 * 1024 * 1024)
    text = lines("2025,L1,MoD,p,A,1,initial", f'2025,L2,MoD,"{huge}",A,1,initial')
    message = rejected(ready, text)
    assert message.startswith("nothing imported") and "line 3:" in message
    assert len(message) < 500


def test_import_csv_hostile__field_over_the_cell_limit(
    ready: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "MAX_FIELD_CHARS", 10)  # the one CSV record walk
    message = rejected(
        ready, lines("2025,L1,MoD,p,A,1,initial", "2025,L2,MoD,p" * 3 + ",A,1,initial")
    )
    assert "line 3:" in message


def test_import_csv_hostile__wrong_field_count(ready: EventStore) -> None:
    assert "line 2: expected 7 fields, found 6" in rejected(ready, lines("2025,L1,MoD,p,A,1"))


def test_import_csv__every_bad_row_reported_and_nothing_written(ready: EventStore) -> None:
    text = lines(
        "2025,L1,MoD,p,A,100,initial",
        "2025,L2,MoD,p,A,1.5.5,initial",
        "2025,L3,MoD,p,A,100,initial",
        "1800,L4,MoD,p,A,100,initial",
        "2025,L5,,p,A,100,initial",
        "2025,L6,MoD,p,NOPE,100,initial",
        "2025,L7,MoD,p,A,100,initial",
    )
    message = rejected(ready, text)
    for number in (3, 5, 6, 7):
        assert f"line {number}:" in message
    for number in (2, 4, 8):
        assert f"line {number}:" not in message
    assert "4 problems" in message
    assert ready.count() == 2 and verify_ledger(ready).ok


def test_import_csv__too_many_problems_capped(ready: EventStore) -> None:
    text = lines(*[f"2025,L{i},MoD,p,A,bad,initial" for i in range(50)])
    message = rejected(ready, text)
    assert "first 20 shown" in message
    assert message.count("line ") == 20


def test_import_csv__unknown_category_is_line_numbered(ready: EventStore) -> None:
    message = rejected(ready, lines("2025,L1,MoD,p,A,1,initial", "2025,L2,MoD,p,A.TYPO,1,initial"))
    assert "line 3: category A.TYPO is not defined" in message


def test_import_csv__category_defined_earlier_in_the_same_file(store: EventStore) -> None:
    text = "code,name,parent\nP,Parent,\nC,Child,P\n"
    assert imported(store, text).appended == 2
    assert "line 2: parent category Q is not defined" in rejected(
        store, "code,name,parent\nX,x,Q\n"
    )


# -- kinds, years, defaults -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("code,name\nA,a\n", "categories"),
        ("name,code,description,parent\nA,a,,\n", "categories"),
        (LINE_HEADER + "\n", "lines"),
        ("jurisdiction,fiscal_year,amount,currency,vintage\n", "gdp"),
        ('{"type": "CategoryDefined"}\n', "events"),
        ('\n\n  {"type": "CategoryDefined"}\n', "events"),
    ],
)
def test_import_kind__recognised_from_the_header(text: str, kind: str) -> None:
    assert detect_kind(text) == kind


def test_import_kind__unrecognised_header_asks_for_kind(store: EventStore) -> None:
    assert "use --kind" in rejected(store, "a,b,c\n1,2,3\n")
    assert "use --kind" in rejected(store, "")


def test_import_kind__override(ready: EventStore) -> None:
    text = "code,name\nC,Cee\n"
    assert imported(ready, text, kind="categories").appended == 1
    message = rejected(ready, lines("2025,L1,MoD,p,A,1,initial"), kind="gdp")
    assert (
        message == "line 1: unknown column line_id, agency, program, category, stage for a gdp file"
    )


def test_import_gdp__recorded(store: EventStore) -> None:
    text = (
        "jurisdiction,fiscal_year,amount,currency,vintage,source_title,source_url\n"
        "JP,FY2022,560000000000000,,2022-12-estimate,White Paper,https://example.org/w\n"
        ",2022,566.5E12,JPY,esri-2023,,\n"
        "US,2024,29.18E12,,bea-2025,,\n"
    )
    assert imported(store, text).appended == 3
    first, second, third = (store.get(s) for s in (1, 2, 3))
    assert first.payload["currency"] == "JPY" and first.payload["fiscal_year"] == 2022
    assert first.source == {"title": "White Paper", "url": "https://example.org/w", "page": None,
                            "published": None, "hypothetical": False}  # fmt: skip
    assert second.payload["amount"] == "566500000000000" and second.source is None
    assert third.payload["currency"] == "USD"


@pytest.mark.parametrize("year", ["2025", "FY2025", "fy2025", " FY2025 "])
def test_import_lines__fiscal_year_forms(ready: EventStore, year: str) -> None:
    text = csv_text(LINE_HEADER.split(","), [[year, "L1", "MoD", "p", "A", "1", "initial"]])
    imported(ready, text)
    assert ready.get(3).payload["fiscal_year"] == 2025
    assert ready.get(3).stream == "line/JP/FY2025/L1"


def test_import_lines__jurisdiction_and_currency_defaults(ready: EventStore) -> None:
    header = "jurisdiction,fiscal_year,line_id,agency,category,amount,currency,stage"
    text = "\n".join(
        [
            header,
            ",2025,L1,MoD,A,1,,initial",
            "US,2025,L2,DoD,A,2,,initial",
            "de,2025,L3,BMVg,A,3,,initial",
            "ZZ,2025,L4,X,A,4,XDR,initial",
            "JP,2025,L5,X,A,5,USD,initial",
        ]
    )
    imported(ready, text + "\n")
    got = [(e.payload["jurisdiction"], e.payload["currency"]) for e in ready.read(start=3)]
    assert got == [("JP", "JPY"), ("US", "USD"), ("DE", "EUR"), ("ZZ", "XDR"), ("JP", "USD")]
    assert "currency is required" in rejected(ready, header + "\nZZ,2025,L9,X,A,4,,initial\n")


def test_import_lines__amount_exact_and_canonical(ready: EventStore) -> None:
    imported(
        ready, lines("2025,L1,MoD,p,A,8.5E12,initial", "2025,L2,MoD,p,A,178358983.7425897,settled")
    )
    assert ready.get(3).payload["amount"] == "8500000000000"
    assert ready.get(4).payload["amount"] == "178358983.7425897"
    for bad in ("1,000", "1e999999", "NaN", "Infinity", "0x1F", "1 000"):
        text = csv_text(LINE_HEADER.split(","), [["2025", "L9", "MoD", "p", "A", bad, "initial"]])
        assert "line 2:" in rejected(ready, text)


# -- idempotency, revisions, dry run --------------------------------------------------------------


def test_import__same_file_twice_adds_nothing(ready: EventStore) -> None:
    text = lines("2025,L1,MoD,p,A,1,initial", "2025,L2,MoD,p,B,2,initial")
    first = imported(ready, text)
    assert (first.appended, first.skipped, first.first_seq, first.last_seq) == (2, 0, 3, 4)
    again = imported(ready, text, actor="someone else")
    assert (again.appended, again.skipped) == (0, 2)
    assert imported(ready, text, reason="again").appended == 0
    assert ready.count() == 4


def test_import__duplicate_row_within_a_file_counted_once(ready: EventStore) -> None:
    report = imported(ready, lines("2025,L1,MoD,p,A,1,initial", "2025,L1,MoD,p,A,1,initial"))
    assert (report.appended, report.skipped) == (1, 1)


def test_import__changed_line_needs_a_reason(ready: EventStore) -> None:
    imported(ready, lines("2025,L1,MoD,p,A,100,initial", "2025,L2,MoD,p,A,5,initial"))
    changed = lines("2025,L1,MoD,p,A,120,initial", "2025,L2,MoD,p,A,5,initial")
    message = rejected(ready, changed)
    assert "line 2: budget line JP/FY2025/L1 is already recorded with other figures" in message
    assert "--reason" in message


def test_import__changed_line_with_reason_is_revised_and_reclassified(ready: EventStore) -> None:
    imported(ready, lines("2025,L1,MoD,p,A,100,initial", "2025,L2,MoD,p,A,5,initial"))
    report = imported(
        ready,
        lines("2025,L1,MoD,p,B,120,initial", "2025,L2,MoD,p,A,5,initial"),
        reason="supplementary estimate",
    )
    assert report.appended == 2
    new = list(ready.read(start=5))
    assert [(e.type, e.stream) for e in new] == [
        ("BudgetLineRevised", "line/JP/FY2025/L1"),
        ("BudgetLineReclassified", "line/JP/FY2025/L1"),
    ]
    assert new[0].payload["amount"] == "120" and new[1].payload["category"] == "B"
    assert {e.reason for e in new} == {"supplementary estimate"}
    again = imported(
        ready,
        lines("2025,L1,MoD,p,B,120,initial", "2025,L2,MoD,p,A,5,initial"),
        reason="supplementary estimate",
    )
    assert again.appended == 0


def test_import__revision_back_to_an_earlier_amount_is_recorded(ready: EventStore) -> None:
    """100 → 200 → 300 → 200, each with the same reason: the last change must not be mistaken
    for the first one (the line must end at 200, not stay at 300)."""
    from ledger.intake.lines import current_lines

    imported(ready, lines("2025,L1,MoD,p,A,100,initial"))
    for amount in ("200", "300", "200"):
        imported(ready, lines(f"2025,L1,MoD,p,A,{amount},initial"), reason="estimate")
    state = current_lines(ready, ["line/JP/FY2025/L1"])["line/JP/FY2025/L1"]
    assert state.amount == Decimal("200")
    assert [e.payload["amount"] for e in ready.read(start=4)] == ["200", "300", "200"]


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ("2025,L1,MoD,p,A,100,settled", "stage"),
        ("2025,L1,MoE,p,A,100,initial", "agency"),
        ("2025,L1,MoD,other,A,100,initial", "program"),
    ],
)
def test_import__changed_line_fields_without_an_event_are_not_dropped_silently(
    ready: EventStore, changed: str, field: str
) -> None:
    imported(ready, lines("2025,L1,MoD,p,A,100,initial"))
    for reason in (None, "restated"):
        message = rejected(ready, lines(changed), reason=reason)
        assert "line 2:" in message and field in message


def test_import__changed_currency_is_not_dropped_silently(ready: EventStore) -> None:
    header = "fiscal_year,line_id,agency,category,amount,currency,stage"
    imported(ready, f"{header}\n2025,L1,MoD,A,100,JPY,initial\n")
    message = rejected(ready, f"{header}\n2025,L1,MoD,A,100,USD,initial\n", reason="typo")
    assert "line 2:" in message and "currency" in message


def test_import__dry_run_writes_nothing(ready: EventStore) -> None:
    text = lines("2025,L1,MoD,p,A,1,initial", "2025,L2,MoD,p,B,2,initial")
    report = imported(ready, text, dry_run=True)
    assert (report.appended, report.dry_run, report.first_seq) == (2, True, None)
    assert ready.count() == 2
    assert "line 3:" in rejected(ready, text.replace(",B,", ",NOPE,"), dry_run=True)
    assert imported(ready, text).appended == 2


def test_import__size_limit_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InvalidInput) as info:
        decode(b"x" * 1001)
    assert str(info.value) == "file is larger than the import limit of 1,000 bytes"
    assert decode(b"x" * 1000) == "x" * 1000


def test_import__invalid_utf8_names_the_line() -> None:
    with pytest.raises(InvalidInput, match="line 3: file is not valid UTF-8"):
        decode(b"a,b\n1,2\n\xff\xfe,3\n")


# -- JSON Lines ------------------------------------------------------------------------------------


def test_import_jsonl__events_with_provenance(store: EventStore) -> None:
    text = "\n".join(
        [
            json.dumps(
                {
                    "type": "CategoryDefined",
                    "code": "A",
                    "name": "a",
                    "actor": "alice",
                    "reason": "taxonomy",
                    "source": {"title": "Doc", "page": "p.1"},
                }
            ),
            "",
            json.dumps(
                {
                    "type": "TargetSet",
                    "target_id": "t",
                    "percent_of_gdp": "2",
                    "by_fiscal_year": "FY2027",
                    "idempotency_key": "mine-1",
                }
            ),
        ]  # fmt: skip
    )
    assert imported(store, text, actor="importer").appended == 2
    first, second = store.get(1), store.get(2)
    assert (first.actor, first.reason, first.source["page"]) == ("alice", "taxonomy", "p.1")  # type: ignore[index]
    assert first.idempotency_key is not None and first.idempotency_key.startswith("i:")
    assert len(first.idempotency_key) == 24
    assert (second.actor, second.idempotency_key) == ("importer", "mine-1")


TARGET = '{"type": "TargetSet", "target_id": "t", "by_fiscal_year": 2027, '


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        (TARGET + '"target_id": "u", "percent_of_gdp": "2"}', "duplicate key"),
        (TARGET + '"percent_of_gdp": NaN}', "NaN"),
        (TARGET + '"percent_of_gdp": Infinity}', "Infinity"),
        (TARGET + '"percent_of_gdp": -Infinity}', "Infinity"),
        (TARGET + '"percent_of_gdp": 2.5}', "float"),
        (TARGET + '"percent_of_gdp": 2E0}', "float"),
        ('{"type": "DefinitionVersionOpened", "definition": "d", "version": 1.0, "title": "x"}',
         "float"),
        (TARGET + '"percent_of_gdp": "2"', ""),
        ('["TargetSet"]', "JSON object with a type"),
        ('{"type": "NoSuchEvent"}', "unknown event type"),
        ('{"type": ["TargetSet"]}', "type"),
        ('{"type": null}', "type"),
        (TARGET + '"percent_of_gdp": "2", "colour": "red"}', "colour"),
        (TARGET + '"percent_of_gdp": "2", "schema_version": 9}', "newer"),
        (TARGET + '"percent_of_gdp": "2", "actor": 5}', "actor"),
        ("[" * 100_000 + "]" * 100_000, ""),
        ('{"a": ' * 50_000 + "1" + "}" * 50_000, ""),
    ],
)  # fmt: skip
def test_import_jsonl__strict_json_errors_are_line_numbered(
    store: EventStore, bad_line: str, expected: str
) -> None:
    good = json.dumps({"type": "CategoryDefined", "code": "A", "name": "a"})
    message = rejected(store, "\n".join([good, bad_line, good.replace('"A"', '"B"')]))
    assert message.startswith("nothing imported: 1 problem in the events file: line 2: ")
    assert expected in message
    assert len(message) < 1000


def test_import_jsonl__envelope_members_are_ignored(store: EventStore) -> None:
    row = {"type": "CategoryDefined", "code": "A", "name": "a", "seq": 99, "stream": "x",
           "stream_version": 7, "recorded_at": "1999-01-01T00:00:00.000000Z", "prev_hash": "00",
           "hash": "ff", "event_id": "00000000-0000-4000-8000-000000000000"}  # fmt: skip
    imported(store, json.dumps(row))
    stored = store.get(1)
    assert (stored.seq, stored.stream, stored.stream_version) == (1, "category/A", 1)
    assert stored.recorded_at != row["recorded_at"] and stored.event_id != row["event_id"]


# -- property: random text in free-text columns ---------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cells=st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), min_size=1, max_size=4)
)
def test_import_csv_property__random_text_verbatim_or_line_error_never_partial(
    ready: EventStore, cells: list[tuple[str, str]]
) -> None:
    before = ready.count()
    rows = [
        ["2025", f"H{before}-{i}", agency, program, "A", "1", "initial"]
        for i, (agency, program) in enumerate(cells)
    ]
    text = csv_text(LINE_HEADER.split(","), rows)
    try:
        report = imported(ready, text)
    except InvalidInput as exc:
        message = str(exc)
        assert message.startswith("nothing imported") and "line " in message, message
        assert "\n" not in message
        assert ready.count() == before
        return
    assert report.appended == len(cells)
    stored = [e.payload for e in ready.read(start=before + 1)]
    assert [(p["agency"], p["program"]) for p in stored] == [
        (trimmed(a), trimmed(p)) for a, p in cells
    ]


def trimmed(cell: str) -> str:
    """The one normalisation of free text: leading and trailing whitespace is trimmed (a cell of
    only whitespace is empty)."""
    return "" if not cell.strip() else TRIM.validate_python(cell)
