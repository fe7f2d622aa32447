"""RFC 8785 (JSON Canonicalization Scheme) bytes, fast.

orjson with sorted keys produces exactly the RFC 8785 bytes for the values a ledger envelope can
hold: ASCII object keys (model field names), strings, integers below 2**53, booleans and null.
Two cases differ and are routed to the reference ``rfc8785`` package instead: non-ASCII keys
(RFC 8785 sorts by UTF-16 code units, orjson by UTF-8 bytes) and numbers outside that domain.
Floats are refused: amounts are decimal strings. ``tests/test_canonical.py`` checks the fast path
byte for byte against the reference on generated payloads.
"""

from __future__ import annotations

from typing import Any

import orjson

_MAX_SAFE_INT = 2**53


def _fast_path_ok(value: Any) -> bool:
    if isinstance(value, dict):
        return all(k.isascii() and _fast_path_ok(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_fast_path_ok(v) for v in value)
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON: use decimal strings")
    if isinstance(value, int) and not isinstance(value, bool):
        return -_MAX_SAFE_INT < value < _MAX_SAFE_INT
    return isinstance(value, str | bool | orjson.Fragment) or value is None


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (no floats allowed)."""
    if _fast_path_ok(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    import rfc8785  # the reference implementation, for the rare non-ASCII key

    return rfc8785.dumps(value)
