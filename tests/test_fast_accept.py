"""The fast-accept path of the import (``ledger.intake.fast_accept``) against the full path.

On generated and mutated JSON Lines and CSV rows of the hot event types, importing with the fast
path must give exactly what the full path (pydantic validation, canonical JSON, content key)
gives: the same events (values and their types), provenance, stream, payload and source bytes,
idempotency keys and, for a refused line, the same error message. Accepted JSON must be the
bytes of the ``rfc8785`` reference.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.intake import fast_accept, importers
from ledger.intake.importers import LINE_COLUMNS, iter_csv, iter_jsonl
from ledger.storage.records import PendingEvent

# Values a field may take: well-formed ones, and what a validator rewrites or refuses.
SPACES = ["", " ", "\u3000", "\u0085", "\x1f", "\t", "\u00a0", "\u2028", "\u180e"]
TEXTS = ["防衛省 Ministry of Defense", "MOD", "ＭＯＤ", "МOD", "a\x00b", "x" * 300, "x" * 301, ""]
CODES = ["DEF.CORE", "MOD-00000001", "ＤＥＦ", "DЕF", "-x", "a b", "x" * 64, "x" * 65, "A_1", ""]
AMOUNTS = [
    "1", "0", "-0", "0.5", "-0.5", "10.50", "01", "1e3", "1E+3", "+5", ".5", "5.", "1,000",
    "4245435592.45", "1" * 30, "1" * 31, "1" * 41, "0." + "0" * 28 + "1", "NaN", "Infinity",
    " 12", "12\u3000", "١٢", 12, 12.5, True, None,
]  # fmt: skip
YEARS = [2025, "2025", "FY2025", "fy2025", 1899, 1900, 2200, 2201, True, "２０２５", " 2025", 2.0]
JURISDICTIONS = ["JP", "US", "DE", "jp", "JPN", " JP", "ＪＰ", "ZZ", "", None, 5]
CURRENCIES = ["JPY", "USD", "jpy", "ABC", " JPY", "", None, "ＪＰＹ"]
STAGES = ["initial", "settled", "plan", "Initial", " initial", "final", "", None]
URLS = [
    "https://example.org/a", "http://x", "ftp://x", "https://", "https://a b", " https://x",
    "https://x\u3000", "", None, "https://" + "x" * 1995, "https://" + "x" * 2000,
]  # fmt: skip
SCHEMA = [None, 1, 2, 3, 0, "2", True]
KEYS = [None, "mine-1", " mine", "event:1", "i:AAAAAAAAAAAAAAAAAAAAAA", "", "k" * 301]
REASONS = [None, "当初予算の計上 (recorded)", "", " why", "why\u0085", "r" * 2001, 5]


def _spaced(values: list[Any]) -> st.SearchStrategy[Any]:
    """A value from ``values``, sometimes with a whitespace variant before or after it."""
    plain = st.sampled_from(values)
    spaced = st.tuples(
        st.sampled_from(SPACES), st.sampled_from([v for v in values if isinstance(v, str)]),
        st.sampled_from(SPACES),
    ).map(lambda t: t[0] + t[1] + t[2])  # fmt: skip
    return st.one_of(plain, plain, spaced)


MISSING = object()
# field: (well-formed values, values a validator rewrites or refuses)
GOOD_BAD: dict[str, tuple[list[Any], list[Any]]] = {
    "jurisdiction": (["JP", "US", "DE", MISSING], JURISDICTIONS),
    "fiscal_year": ([2025, 2015, "2024"], YEARS),
    "line_id": (["MOD-00000001", "L1"], CODES),
    "amount": (["1", "0", "4245435592.45", "-0.5", "1" * 30], AMOUNTS),
    "agency": (["防衛省 Ministry of Defense", "MOD"], TEXTS),
    "program": (["P", "", MISSING], TEXTS),
    "category": (["DEF.CORE", "A_1"], CODES),
    "currency": (["JPY", "USD", MISSING], CURRENCIES),
    "stage": (["initial", "settled"], STAGES),
    "actor": ([MISSING, "alice", None], [" bob", "", "a" * 301, 5]),
    "reason": ([MISSING, "当初予算の計上 (recorded)", None], REASONS),
    "idempotency_key": ([MISSING, "mine-1"], KEYS),
    "title": (["予算書 Budget", "B"], TEXTS),
    "url": (["https://example.org/a", None, MISSING], URLS),
    "page": (["p. 3", None, MISSING], [" p", "x" * 301, "", 3]),
    "published": (["2025-01-01", None, MISSING], ["", " 2025"]),
    "hypothetical": ([True, False, MISSING], ["true", 1, None]),
}
SOURCE_FIELDS = ("title", "url", "page", "published", "hypothetical")
LINE_FIELDS = ("jurisdiction", "fiscal_year", "line_id", "amount")
RECORDED_FIELDS = ("agency", "program", "category", "currency", "stage")


def _bad(name: str) -> st.SearchStrategy[Any]:
    """A value of ``name`` that a validator rewrites or refuses (or a whitespace variant)."""
    bad = GOOD_BAD[name][1]
    return st.one_of(st.sampled_from(bad), _spaced(bad))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed line event, then none, one or two mutations: a field given a value the
    validators rewrite or refuse, a field removed, an unknown field, an old schema version,
    an explicit key, an envelope field."""
    recorded = draw(st.booleans())
    names = LINE_FIELDS + (RECORDED_FIELDS if recorded else ())
    with_source = draw(st.booleans())
    value = {n: draw(st.sampled_from(GOOD_BAD[n][0])) for n in GOOD_BAD}
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.integers(0, 9))
        fields = names + ("actor", "reason", "idempotency_key")
        fields += SOURCE_FIELDS if with_source else ()
        name = draw(st.sampled_from(fields))
        if kind < 6:
            value[name] = draw(_bad(name))
        elif kind < 8:
            value[name] = MISSING
        elif kind == 8:
            value["schema_version"] = draw(st.sampled_from(SCHEMA))
        else:
            value[draw(st.sampled_from(["unknown", "event_id", "seq", "extra"]))] = "x"
    fields = {"type": "BudgetLineRecorded" if recorded else "BudgetLineRevised"}
    fields |= {n: value[n] for n in names + ("actor", "reason", "idempotency_key")}
    for extra in ("schema_version", "unknown", "event_id", "seq"):
        if extra in value:
            fields[extra] = value[extra]
    if with_source:
        source = {n: value[n] for n in SOURCE_FIELDS}
        if "extra" in value:
            source["extra"] = "x"
        fields["source"] = {k: v for k, v in source.items() if v is not MISSING}
    return {k: v for k, v in fields.items() if v is not MISSING}


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One JSON Lines line of an event, written in one of several ways, sometimes mutated."""
    fields = draw(events())
    way = draw(st.integers(0, 3))
    if way == 0:
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    elif way == 1:
        text = json.dumps(fields)  # \\u escapes, spaces after the colons
    elif way == 2:
        text = orjson.dumps(fields).decode()
    else:
        text = json.dumps(fields, ensure_ascii=False, indent=None, separators=(" , ", " : "))
    mutation = draw(st.integers(0, 11))
    if mutation == 0 and "amount" in fields:  # the same key twice
        text = text[:-1] + ',"amount":"99"}'
    elif mutation == 1:
        text = text.replace('"amount":', '"amount"  :', 1)
    elif mutation == 2:
        text = text.replace('"', "'", 1)  # not JSON
    elif mutation == 3 and "fiscal_year" in fields:
        text = text.replace('"fiscal_year":', '"fiscal_year":1e3,"x":', 1)
    return text


def _snapshot(item: PendingEvent | str) -> Any:
    """Everything the rest of the import reads of a parsed line, with the types of values."""
    if isinstance(item, str):
        return item
    event, prov = item.event, item.provenance
    source = prov.source
    return (
        type(event),
        {k: (type(v), v) for k, v in event.__dict__.items()},
        {k: (type(v), v) for k, v in prov.__dict__.items() if k != "source"},
        None if source is None else {k: (type(v), v) for k, v in source.__dict__.items()},
        item.stream,
        item.payload_json,
        item.source_json,
    )


def _both(monkeypatch: pytest.MonkeyPatch, parse: Any) -> tuple[list[Any], list[Any]]:
    fast = [(n, _snapshot(p)) for n, p in parse()]
    with monkeypatch.context() as patched:
        patched.setattr(fast_accept, "accept", lambda *a, **k: None)
        slow = [(n, _snapshot(p)) for n, p in parse()]
    return fast, slow


def _canonical_bytes_match(parsed: list[tuple[int, PendingEvent | str]]) -> None:
    for _, item in parsed:
        if not isinstance(item, str):
            assert item.payload_json == rfc8785.dumps(orjson.loads(item.payload_json))
            if item.source_json is not None:
                assert item.source_json == rfc8785.dumps(orjson.loads(item.source_json))


@pytest.mark.slow  # a big hypothesis run (CI runs it)
@settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(lines(), min_size=1, max_size=8))
def test_fast_accept__jsonl_lines_give_what_the_full_path_gives(
    monkeypatch: pytest.MonkeyPatch, batch: list[str]
) -> None:
    text = "\n".join(batch)
    fast, slow = _both(monkeypatch, lambda: iter_jsonl(text, "tester"))
    assert fast == slow
    _canonical_bytes_match(list(iter_jsonl(text, "tester")))


CSV_VALUES = {
    "jurisdiction": ["JP", "", "jp", " US", "ＪＰ"],
    "fiscal_year": ["2025", "FY2025", " 2025", "1899", "２０２５", ""],
    "line_id": CODES,
    "agency": TEXTS,
    "program": TEXTS,
    "category": CODES,
    "amount": [a for a in AMOUNTS if isinstance(a, str)],
    "currency": ["", "JPY", "usd", "ABC"],
    "stage": ["initial", "Initial", "", "settled "],
    "source_title": ["", "Budget", " Budget ", "ＭＯＤ", "x" * 301],
    "source_url": ["", "https://example.org/x", " https://x ", "ftp://x", "https://a b"],
}


@pytest.mark.slow  # a big hypothesis run (CI runs it)
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {k: st.one_of(st.sampled_from(v), _spaced(v)) for k, v in CSV_VALUES.items()}
        ),
        min_size=1,
        max_size=6,
    )
)
def test_fast_accept__csv_rows_give_what_the_full_path_gives(
    monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, str]]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LINE_COLUMNS)
    for row in rows:
        writer.writerow([row[c].replace("\x00", "") for c in LINE_COLUMNS])
    text = out.getvalue()
    fast, slow = _both(monkeypatch, lambda: iter_csv(text, "lines", "tester"))
    assert fast == slow
    _canonical_bytes_match(list(iter_csv(text, "lines", "tester")))


def test_fast_accept__takes_the_workload_lines_and_leaves_others_to_the_full_path() -> None:
    """The fast path does take the common lines (or it would prove nothing), and never an old
    schema version, an envelope field or an escaped text."""
    recorded = (
        '{"type":"BudgetLineRecorded","fiscal_year":2025,"line_id":"L1","agency":"MOD",'
        '"category":"A","amount":"12.5","stage":"initial","source":{"title":"B",'
        '"url":"https://x.org/a","page":"p. 3"},"reason":"r"}'
    )
    revised = '{"type":"BudgetLineRevised","fiscal_year":2025,"line_id":"L1","amount":"13"}'
    assert importers._fast_line(recorded, "tester") is not None
    assert importers._fast_line(revised, "tester") is not None
    for other in (
        revised.replace("}", ',"schema_version":0}'),
        revised.replace("}", ',"event_id":"0190f4a2-0000-7000-8000-000000000000"}'),
        revised.replace("L1", "\\u004c1"),
        revised.replace('"13"', '"13.0"'),
        revised.replace("}", ',"amount":"14"}'),
        # a key given twice, wherever it is and whatever the dropped value held: the colons
        # orjson writes for what it kept are fewer than the text's
        revised.replace('"amount"', '"amount":"9:9","amount"'),
        revised.replace('"amount"', '"amount" : "1","amount"'),
        revised.replace('{"type"', '{"type":"BudgetLineRecorded","type"'),
        recorded.replace('"title":"B"', '"title":"A:","title":"B"'),
        recorded.replace('"page":"p. 3"', '"page":"p. 3","page":"p. 3"'),
    ):
        assert importers._fast_line(other, "tester") is None, other


def _every_single_mutation() -> list[str]:
    """A well-formed recorded and revised line with each field in turn given each of its bad
    values (and their whitespace variants) or removed, written two ways."""
    out = []
    for recorded in (True, False):
        names = LINE_FIELDS + (RECORDED_FIELDS if recorded else ())
        names += ("actor", "reason", "idempotency_key") + SOURCE_FIELDS
        base = {n: GOOD_BAD[n][0][0] for n in GOOD_BAD}
        for name in names:
            bad = GOOD_BAD[name][1]
            variants = [*bad, MISSING]
            variants += [a + v + b for v in bad if isinstance(v, str) for a, b in
                         [(" ", ""), ("", "\u3000"), ("\u0085", ""), ("", "\x1f")]]  # fmt: skip
            for variant in variants:
                value = {**base, name: variant}
                fields = {"type": "BudgetLineRecorded" if recorded else "BudgetLineRevised"}
                fields |= {n: value[n] for n in names if n not in SOURCE_FIELDS}
                fields["source"] = {n: value[n] for n in SOURCE_FIELDS if value[n] is not MISSING}
                fields = {k: v for k, v in fields.items() if v is not MISSING}
                out.append(json.dumps(fields, ensure_ascii=False, separators=(",", ":")))
                out.append(orjson.dumps(fields).decode())
    return out


def test_fast_accept__every_single_mutation_of_a_good_line_gives_the_full_path_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "\n".join(_every_single_mutation())
    fast, slow = _both(monkeypatch, lambda: iter_jsonl(text, "tester"))
    assert len(fast) > 500
    for one, other in zip(fast, slow, strict=True):
        assert one == other
    assert sum(not isinstance(s, str) for _, s in fast) > 100  # both kinds are there
    assert sum(isinstance(s, str) for _, s in fast) > 100
