"""CSV cell rules, the events.jsonl line format, the manifest parser and the row comparison
(ledger.exports.columns, ledger.storage.event_json, ledger.exports.bundle,
ledger.exports.compare)."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.exports.bundle import parse_sums
from ledger.exports.columns import Column, csv_cell, neutralize, number_text, render_csv
from ledger.exports.compare import compare_csv
from ledger.exports.tables import TOTALS
from ledger.storage.event_json import LineError, parse_line, split_lines, without_hash

TEXT = Column("name", "string", "text")
NUMBER = Column("amount", "number", "number")
INTEGER = Column("year", "integer", "integer")


@settings(max_examples=200)
@given(st.text())
def test_csv_cell__text_never_starts_like_a_formula(value: str) -> None:
    cell = csv_cell(value, TEXT)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\0"))
    assert cell in (value, "'" + value)


@settings(max_examples=200)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_csv_cell__numbers_stay_exact_numbers(value: Decimal) -> None:
    cell = csv_cell(value, NUMBER)
    assert Decimal(cell) == value and not cell.startswith("'")


def test_csv_cell__cases() -> None:
    assert csv_cell("-1000", NUMBER) == "-1000"
    assert csv_cell(-7, INTEGER) == "-7"
    assert csv_cell("=1+1", NUMBER) == "'=1+1"  # not a number: treated as text
    assert csv_cell(None, TEXT) == "" and csv_cell(True, TEXT) == "true"
    assert neutralize("\tx") == "'\tx" and neutralize("a=b") == "a=b"
    assert number_text(Decimal("NaN")) is None and number_text(Decimal("1E+2")) == "100"


def test_render_csv__rfc4180_crlf_and_quotes() -> None:
    data = render_csv(TOTALS, [{"jurisdiction": 'J"P', "total": Decimal("1.50")}])
    assert data.startswith(b"jurisdiction,fiscal_year,")
    assert data.endswith(b'\r\n"J""P",,,,,,,1.50,,,,\r\n')


LINE = orjson.dumps(
    {
        "actor": "a", "event_id": "e", "hash": "1" * 64, "idempotency_key": None,
        "payload": {"amount": "1"}, "prev_hash": "0" * 64, "reason": None,
        "recorded_at": "t", "schema_version": 1, "seq": 1, "source": None, "stream": "s",
        "stream_version": 1, "type": "T",
    },
    option=orjson.OPT_SORT_KEYS,
)  # fmt: skip


def test_parse_line__accepts_a_canonical_envelope() -> None:
    assert parse_line(LINE)["seq"] == 1
    assert b'"hash"' not in without_hash(LINE, "1" * 64)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (LINE.replace(b",", b", ", 1), "not in canonical"),
        (LINE.replace(b'"seq":1', b'"seq":1.0'), "wrong JSON type"),
        (LINE.replace(b'"amount":"1"', b'"amount":1.5'), "cannot be canonicalised"),
        (LINE.replace(b'"seq":1', b'"seq":"1"'), "wrong JSON type"),
        (LINE.replace(b'"actor":"a",', b""), "missing actor"),
        (LINE.replace(b'"hash":"1', b'"hash":"X'), "64 lowercase hex"),
        (LINE[:-1], "not JSON"),
        (b"[]", "not a JSON object"),
    ],
)
def test_parse_line__rejects(line: bytes, message: str) -> None:
    with pytest.raises(LineError, match=message):
        parse_line(line)


def test_split_lines__a_missing_final_newline_is_truncation() -> None:
    assert list(split_lines(b"a\nb\n")) == [(1, b"a"), (2, b"b")]
    assert list(split_lines(b"")) == []
    with pytest.raises(LineError, match="truncated"):
        list(split_lines(b"a\nb"))


def test_parse_sums__format_and_errors() -> None:
    assert parse_sums(b"a" * 64 + b"  x.csv\n") == [("a" * 64, "x.csv")]
    for bad in (b"a" * 64 + b" x.csv", b"zz  x.csv\n", b"a" * 64 + b"  ../x\n"):
        with pytest.raises(ValueError, match="SHA256SUMS"):
            parse_sums(bad)


def test_compare_csv__names_rows_cells_missing_and_extra() -> None:
    row = {"jurisdiction": "JP", "fiscal_year": 2025, "definition": "d", "version": 1,
           "status": "adopted", "tier": "core", "total": "5"}  # fmt: skip
    expected = render_csv(TOTALS, [row, {**row, "tier": "all"}])
    changed = render_csv(TOTALS, [{**row, "total": "6"}, {**row, "tier": "extra"}])
    assert compare_csv(TOTALS, expected, expected) == []
    assert compare_csv(TOTALS, changed, expected) == [
        (1, "JP FY2025 d@1 core: total is '6', the events give '5'"),
        (2, "JP FY2025 d@1 extra: not produced by the events"),
        (None, "JP FY2025 d@1 all: missing (the events give it at row 2)"),
    ]
