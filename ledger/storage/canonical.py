"""RFC 8785 (JSON Canonicalization Scheme) bytes, fast.

orjson with sorted keys produces exactly the RFC 8785 bytes for the values a ledger envelope can
hold: ASCII object keys (model field names), strings, integers below 2**53, booleans and null.
Two cases differ and are routed to the reference ``rfc8785`` package instead: non-ASCII keys
(RFC 8785 sorts by UTF-16 code units, orjson by UTF-8 bytes) and numbers outside that domain.
Floats are refused: amounts are decimal strings. ``tests/test_canonical.py`` checks the fast path
byte for byte against the reference on generated payloads.

``is_canonical_object`` checks stored text the other way round (is it exactly the canonical form
of a JSON object?), as ``verify`` does for every payload and source; ``why_not_canonical`` says
why not.
"""

from __future__ import annotations

import json
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
        safe: bool = -_MAX_SAFE_INT < value < _MAX_SAFE_INT
        return safe
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


# -- checking stored text ----------------------------------------------------------------------

_STRICT = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER  # refuses integers beyond ±(2**53 - 1)
MAX_DEPTH = 100  # objects and arrays nested in a stored payload or source (the events nest 3)


def is_canonical_object(data: bytes | str) -> bool:
    """True iff ``data`` is exactly the RFC 8785 bytes of a JSON object without floats (what
    the store writes for a payload or a source). Exact, at the cost of one parse and one
    serialisation: the parsed value is written again and must give the same bytes. Invalid
    UTF-8 or JSON, whitespace, another member order, other escapes, an integer beyond
    ±(2**53 − 1) and duplicate keys all fail that (parsing keeps one member per key, so text
    with a duplicate cannot be what is written back). What the comparison cannot see is
    checked on the parsed value: a float (orjson writes it back as it was read), nesting
    deeper than ``MAX_DEPTH`` and a non-ASCII key (sorted by UTF-16 code units in RFC 8785,
    by code points in orjson: where the two orders differ, the reference serialiser
    decides)."""
    return canonical_object(data) is not None


def canonical_object(data: bytes | str) -> dict[str, Any] | None:
    """The object ``data`` holds if ``is_canonical_object(data)``, else None: for a reader
    that needs the value too (one parse for both)."""
    try:
        raw = data if isinstance(data, bytes) else data.encode()  # lone surrogates: ValueError
        value = orjson.loads(raw)
        if value.__class__ is not dict:
            return None
        if orjson.dumps(value, option=_STRICT) != raw:  # only the key order can still be right
            return value if not raw.isascii() and _nested_canonical(value, raw) else None
    except (TypeError, ValueError):  # orjson's decode and encode errors subclass these
        return None
    for item in value.values():  # the common case: a flat object of strings and integers
        kind = item.__class__
        if kind is not str and kind is not int and kind is not bool and item is not None:
            return value if _nested_canonical(value, raw) else None
    if raw.isascii() or "".join(value).isascii():
        return value  # flat, ASCII keys, safe integers: orjson's sorted bytes are RFC 8785's
    return value if _nested_canonical(value, raw) else None


def _nested_canonical(value: dict[str, Any], data: bytes) -> bool:
    """``is_canonical_object`` for a parsed object with containers, floats or non-ASCII keys,
    against the reference serialisation."""
    if not _plain(value):
        return False
    try:
        return canonical_json(value) == data
    except (TypeError, ValueError):
        return False


def _plain(value: Any, depth: int = 1) -> bool:
    """No float in ``value`` and objects and arrays nested at most ``MAX_DEPTH`` deep."""
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        return depth <= MAX_DEPTH and all(_plain(item, depth + 1) for item in items)
    return not isinstance(value, float)


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, item in pairs:
        if key in seen:
            raise _Refused(f"has the key {json.dumps(key, ensure_ascii=False)} twice")
        seen[key] = item
    return seen


def _number(text: str) -> int:
    if "." in text or "e" in text or "E" in text:
        raise _Refused(f"holds the number {text[:40]}, which is not an integer (no floats)")
    if len(text) > 17 or not -_MAX_SAFE_INT < int(text) < _MAX_SAFE_INT:
        raise _Refused(f"holds the integer {text[:40]}, beyond ±(2**53 - 1)")
    return int(text)


def _constant(text: str) -> Any:
    raise _Refused(f"holds {text}, which JSON does not have")


def why_not_canonical(data: bytes | str) -> str:
    """Why ``is_canonical_object(data)`` is false, as the end of a sentence ("the stored
    payload …"): for messages; only called on text that failed the check."""
    try:
        text = data.decode() if isinstance(data, bytes) else data.encode().decode()
    except ValueError:
        return "is not valid UTF-8"
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_float=_number,
            parse_int=_number,
            parse_constant=_constant,
        )
    except _Refused as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return "is not valid JSON"
    if not isinstance(value, dict):
        return "is not a JSON object"
    if not _plain(value):
        return f"nests objects and arrays more than {MAX_DEPTH} deep"
    return "is not in its canonical form (RFC 8785: no whitespace, members sorted, minimal escapes)"
