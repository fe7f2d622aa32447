"""The fast ``events.csv`` row (``event_csv_row``) is the generic one, cell for cell.

Export and ``verify-export`` write one ``events.csv`` row per event with ``event_csv_row``;
the generic ``csv_row(event_row(event), EVENTS)`` is the definition. Generated events cover
what the generic path treats specially: text starting like a formula (every prefix), empty
text, None, non-text source titles and URLs (numbers, booleans, objects), and integers of every
size and sign."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.exports.columns import FORMULA_PREFIXES, csv_row
from ledger.exports.tables import EVENTS, event_csv_row, event_row
from ledger.storage.records import StoredEvent

_PREFIXED = st.sampled_from(FORMULA_PREFIXES).flatmap(
    lambda prefix: st.text(max_size=8).map(lambda rest: prefix + rest)
)
_TEXT = st.one_of(st.text(max_size=12), _PREFIXED)
_OPTIONAL_TEXT = st.one_of(st.none(), _TEXT)
_JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), _TEXT, st.decimals(allow_nan=False, places=3)
)
_SOURCE_VALUE = st.one_of(_JSON_SCALAR, st.dictionaries(st.text(max_size=3), _JSON_SCALAR))
_SOURCE = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"title": _SOURCE_VALUE, "url": _SOURCE_VALUE}),
)


@st.composite
def stored_events(draw: st.DrawFn) -> StoredEvent:
    values: dict[str, Any] = {
        "seq": draw(st.integers(min_value=-(2**70), max_value=2**70)),
        "event_id": draw(_TEXT),
        "stream": draw(_TEXT),
        "stream_version": draw(st.integers(min_value=-5, max_value=2**60)),
        "type": draw(_TEXT),
        "schema_version": draw(st.integers(min_value=0, max_value=9)),
        "payload": {},
        "payload_json": draw(_TEXT),
        "recorded_at": draw(_TEXT),
        "actor": draw(_TEXT),
        "reason": draw(_OPTIONAL_TEXT),
        "source": draw(_SOURCE),
        "idempotency_key": draw(_OPTIONAL_TEXT),
        "prev_hash": draw(_TEXT),
        "hash": draw(_TEXT),
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
