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
    """True when orjson's sorted output is the RFC 8785 output for ``value``; raises on floats.

    Exact built-in types are checked inline (strings, the bulk of a payload, cost no call);
    anything else (subclasses, floats, fragments) takes the general checks below."""
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is orjson.Fragment:
        return True
    if kind is dict:
        for key, item in value.items():
            if not key.isascii() or (type(item) is not str and not _fast_path_ok(item)):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if type(item) is not str and not _fast_path_ok(item):
                return False
        return True
    if kind is int:
        return -_MAX_SAFE_INT < value < _MAX_SAFE_INT
    return _general_ok(value)


def _general_ok(value: Any) -> bool:
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
        # copied to its exact size: orjson's bytes keep a ~4 KiB buffer each, and a large import
        # holds one per event (100,000 events: 400 MB of slack)
        return bytes(memoryview(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)))
    import rfc8785  # the reference implementation, for the rare non-ASCII key

    return rfc8785.dumps(value)
