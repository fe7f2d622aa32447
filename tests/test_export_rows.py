"""The fast ``events.csv`` row (``event_csv_row``) is the generic one, cell for cell.

Export and ``verify-export`` write one ``events.csv`` row per event with ``event_csv_row``;
the generic ``csv_row(event_row(event), EVENTS)`` is the definition. Generated events cover
what the generic path treats specially: text starting like a formula (every prefix), empty
text, None, non-text source titles and URLs (numbers, booleans, objects), and integers of every
size and sign. The record written (``event_csv_line``, ``csv_line``) is what the csv module's
writer writes, byte for byte, on generated cells full of commas, quotes and line breaks."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.exports.columns import FORMULA_PREFIXES, csv_line, csv_row, csv_writer
from ledger.exports.tables import EVENTS, event_csv_line, event_csv_row, event_row
from ledger.storage.records import StoredEvent

_PREFIXED = st.sampled_from(FORMULA_PREFIXES).flatmap(
    lambda prefix: st.text(max_size=8).map(lambda rest: prefix + rest)
)
_TEXT = st.one_of(st.text(max_size=12), _PREFIXED)
_JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), _TEXT, st.decimals(allow_nan=False, places=3)
)
_SOURCE_VALUE = st.one_of(_JSON_SCALAR, st.dictionaries(st.text(max_size=3), _JSON_SCALAR))
_SOURCE = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"title": _SOURCE_VALUE, "url": _SOURCE_VALUE}),
)


@st.composite
def stored_events(
    draw: st.DrawFn, texts: st.SearchStrategy[str] = _TEXT, payloads: st.SearchStrategy[str] = _TEXT
) -> StoredEvent:
    sources = st.one_of(_SOURCE, st.fixed_dictionaries({}, optional={"title": texts, "url": texts}))
    values: dict[str, Any] = {
        "seq": draw(st.integers(min_value=-(2**70), max_value=2**70)),
        "event_id": draw(texts),
        "stream": draw(texts),
        "stream_version": draw(st.integers(min_value=-5, max_value=2**60)),
        "type": draw(texts),
        "schema_version": draw(st.integers(min_value=0, max_value=9)),
        "payload": {},
        "payload_json": draw(payloads),
        "recorded_at": draw(texts),
        "actor": draw(texts),
        "reason": draw(st.one_of(st.none(), texts)),
        "source": draw(sources),
        "idempotency_key": draw(st.one_of(st.none(), texts)),
        "prev_hash": draw(texts),
        "hash": draw(texts),
    }
    return StoredEvent(**values)


@settings(max_examples=400)
@given(stored_events())
def test_event_csv_row_is_the_generic_row(event: StoredEvent) -> None:
    assert event_csv_row(event) == csv_row(event_row(event), EVENTS)


def test_formula_text_is_neutralised_in_the_fast_row() -> None:
    event = StoredEvent(
        seq=7, event_id="e", stream="=HYPERLINK(1)", stream_version=1, type="T",
        schema_version=1, payload={}, payload_json="{}", recorded_at="t", actor="-1+1",
        reason=None, source={"title": "@SUM(A1)", "url": 3}, idempotency_key=None,
        prev_hash="0" * 64, hash="f" * 64,
    )  # fmt: skip
    row = event_csv_row(event)
    assert row[3] == "'=HYPERLINK(1)"
    assert row[7] == "'-1+1"
    assert row[8] == "" and row[11] == ""
    assert row[9:11] == ["'@SUM(A1)", "3"]


_KEYS = st.text(
    alphabet=st.sampled_from(["a", "b", "é", "\uffff", "\U0001f600", "\ue000", "Z"]), max_size=3
)
_PAYLOAD_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=300)
@given(
    st.dictionaries(_KEYS, _PAYLOAD_VALUE, max_size=5),
    st.one_of(st.none(), st.dictionaries(_KEYS, _PAYLOAD_VALUE, max_size=3)),
)
def test_line_event_is_the_parsed_envelope(payload: dict[str, Any], source: Any) -> None:
    """``line_event`` (verify-export's replay) gives the event and hashed bytes the general
    path gives (``parse_line``, ``chain_row``, ``stored_event``, ``envelope_bytes``), also for
    keys whose RFC 8785 order (UTF-16) is not orjson's (code points)."""
    from ledger.storage.canonical import canonical_json
    from ledger.storage.chain import envelope_bytes
    from ledger.storage.event_json import chain_row, line_event, parse_line, stored_event

    envelope = {
        "actor": "a", "event_id": "e", "hash": "f" * 64, "idempotency_key": None,
        "payload": payload, "prev_hash": "0" * 64, "reason": None, "recorded_at": "t",
        "schema_version": 1, "seq": 1, "source": source, "stream": "s", "stream_version": 1,
        "type": "T",
    }  # fmt: skip
    line = canonical_json(envelope)
    event, hashed = line_event(line)
    row = chain_row(parse_line(line))
    assert event == stored_event(parse_line(line), row)
    assert event.payload_json == canonical_json(payload).decode("utf-8")
    assert hashed == envelope_bytes(*row[:12], row.prev_hash)


def _written(cells: list[str]) -> str:
    buffer = io.StringIO(newline="")
    csv_writer(buffer).writerow(cells)
    return buffer.getvalue()


_CELL = st.text(alphabet=st.sampled_from([",", '"', "\r", "\n", "\0", " ", "'", "a", "é", "😀"]))


@settings(max_examples=400)
@given(st.lists(st.one_of(_CELL, st.text(max_size=12)), min_size=1, max_size=6))
def test_csv_line_is_what_the_csv_writer_writes(cells: list[str]) -> None:
    assert csv_line(cells) == _written(cells)


@settings(max_examples=200)
@given(stored_events())
def test_event_csv_line_is_the_written_generic_row(event: StoredEvent) -> None:
    assert event_csv_line(event) == _written(csv_row(event_row(event), EVENTS))


# Texts mostly plain, sometimes with a character that needs quoting or neutralising: the
# fast route of ``event_csv_line`` and each of its ways out.
_PLAIN = st.text(alphabet=st.sampled_from([*"aZ09-:T. é😀"]), max_size=6)
_TRICKY = st.tuples(_PLAIN, st.sampled_from([*"\"',\r\n=+@\t\0"]), _PLAIN).map("".join)
_NEAR_PLAIN = st.one_of(*[_PLAIN] * 12, _TRICKY)
_PAYLOADS = _NEAR_PLAIN.map(lambda text: '{"k":"' + text + '"}')


@settings(max_examples=500)
@given(stored_events(_NEAR_PLAIN, _PAYLOADS))
def test_event_csv_line_fast_route_is_the_written_generic_row(event: StoredEvent) -> None:
    assert event_csv_line(event) == _written(csv_row(event_row(event), EVENTS))
