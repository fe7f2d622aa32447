"""ledger.storage.canonical.canonical_json is byte-identical to the RFC 8785 reference
implementation."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from helpers.strategies import ANY_EVENT
from hypothesis import given, settings
from hypothesis import strategies as st

from events import EVENT_CLASSES, event_payload
from ledger.storage.canonical import canonical_json

SAFE = 2**53 - 1
SCALARS = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
ASCII_KEYS = st.text(st.characters(max_codepoint=127), max_size=8)
ASCII_JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(ASCII_KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(event=ANY_EVENT)
def test_canonical__model_payloads_match_rfc8785(event: Any) -> None:
    payload = {**event_payload(event), "type": event.type}
    assert canonical_json(payload) == rfc8785.dumps(payload)


@settings(max_examples=150, deadline=None)
@given(value=ASCII_JSON)
def test_canonical__ascii_keyed_json_matches_rfc8785_fast_path(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=150, deadline=None)
@given(value=JSON)
def test_canonical__arbitrary_json_with_non_ascii_keys_matches_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"é": 1, "z": 2, "a": 3},
        {"\U0001f600": 1, "\uffff": 2},  # UTF-16 order differs from code-point order here
        {"b": {"ä": [1, {"\u20ac": None}]}, "a": "x"},
        {"\u00e9": 1, "e\u0301": 2},
    ],
)
def test_canonical__non_ascii_keys_sorted_by_utf16_units(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_canonical__utf16_order_is_not_codepoint_order() -> None:
    """U+1F600 (surrogates D83D DE00) sorts before U+FFFF by UTF-16 code units, after it by
    code point and by UTF-8 bytes: the fast path must not be used for such keys."""
    out = canonical_json({"\uffff": 2, "\U0001f600": 1})
    assert out.index("\U0001f600".encode()) < out.index("\uffff".encode())


@pytest.mark.parametrize("value", [1.5, {"a": 0.1}, [1, 2.0], float("nan")])
def test_canonical__floats_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="floats"):
        canonical_json(value)


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**63, {"a": 10**20}])
def test_canonical__integers_outside_the_safe_domain_refused(value: Any) -> None:
    with pytest.raises(Exception, match="safe integer"):
        canonical_json(value)


@pytest.mark.parametrize("value", [SAFE, -SAFE, 0, -1])
def test_canonical__integers_at_the_edge_of_the_safe_domain(value: int) -> None:
    assert canonical_json(value) == rfc8785.dumps(value) == str(value).encode()


def test_canonical__control_characters_escaped_like_rfc8785() -> None:
    value = {"s": "".join(chr(c) for c in range(0x20)) + '"\\\x7f\u2028\u2029/'}
    assert canonical_json(value) == rfc8785.dumps(value)


def test_canonical__every_event_type_covered() -> None:
    assert len(EVENT_CLASSES) >= 14
