"""``parse_line`` and ``line_event`` (verify-export's reading of ``events.jsonl``) decide
exactly as the RFC 8785 reference does: a line is accepted iff it is the reference's bytes of
its envelope, and the payload text ``line_event`` gives is the reference's bytes of the payload.

The quick route (one orjson serialisation when the payload and source are flat, the payload's
text cut from the line) must agree with the reference on every generated line: flat and nested
payloads, non-ASCII keys (ordered by UTF-16 in RFC 8785), floats, integers past 2**53, escapes,
whitespace and member-order variants, and payload texts that look like the following member."""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.storage.event_json import LineError, line_event, parse_line

_KEYS = st.one_of(
    st.sampled_from(["amount", "a", "prev_hash", "reason", "\u00e9", "\U0001f600", "\uff41", "z"]),
    st.text(max_size=4),
)
_TEXTS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(['},"prev_hash":"', '"}', "\\", "\u2028", "\x7f", "\x1f", "}"]),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    _TEXTS,
    st.floats(allow_nan=False, allow_infinity=False),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=6,
)
_HASH = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "actor": draw(_TEXTS),
        "event_id": draw(_TEXTS),
        "hash": draw(_HASH),
        "idempotency_key": draw(st.one_of(st.none(), _TEXTS)),
        "payload": draw(st.dictionaries(_KEYS, _VALUES, max_size=4)),
        "prev_hash": draw(_HASH),
        "reason": draw(st.one_of(st.none(), _TEXTS)),
        "recorded_at": draw(_TEXTS),
        "schema_version": draw(st.integers(min_value=0, max_value=3)),
        "seq": draw(st.integers(min_value=1, max_value=2**54)),
        "source": draw(st.one_of(st.none(), st.dictionaries(_KEYS, _VALUES, max_size=3))),
        "stream": draw(_TEXTS),
        "stream_version": draw(st.integers(min_value=1, max_value=9)),
        "type": draw(_TEXTS),
    }


def _reference(value: Any) -> bytes | None:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError, OverflowError):
        return None


def _no_float(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_no_float(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_float(v) for v in value)
    return not isinstance(value, float)


def _variants(envelope: dict[str, Any]) -> list[bytes]:
    """The reference line and near misses: orjson's own order, spaces, escaped slashes."""
    lines = [orjson.dumps(envelope), orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS)]
    reference = _reference(envelope)
    if reference is not None:
        lines += [reference, reference.replace(b":", b": ", 1), reference.replace(b"/", b"\\/")]
    return lines


@settings(max_examples=400, deadline=None)
@given(envelopes())
@example(
    {
        "actor": "a",
        "event_id": "e",
        "hash": "0" * 64,
        "idempotency_key": None,
        "payload": {"a": "x", "prev_hash": '},"prev_hash":"'},
        "prev_hash": "1" * 64,
        "reason": None,
        "recorded_at": "t",
        "schema_version": 1,
        "seq": 1,
        "source": None,
        "stream": "s",
        "stream_version": 1,
        "type": "T",
    }  # fmt: skip
)
def test_parse_line__accepts_exactly_the_reference_bytes(envelope: dict[str, Any]) -> None:
    for line in _variants(envelope):
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        wanted = _no_float(parsed) and _reference(parsed) == line
        try:
            got = parse_line(line)
        except LineError:
            assert not wanted, line
            continue
        assert wanted, line
        assert got == parsed
        event, _ = line_event(line)
        assert event.payload_json.encode("utf-8") == _reference(parsed["payload"])
