"""Fast accept, slow reject: the import of the hot event types without a second validation.

An import validates every event and its provenance with the pydantic models, then encodes the
payload and source as canonical JSON and derives the content key. For the events a large import
is made of (budget lines, recorded and revised), this module first runs cheap exact checks that
prove the models would accept the line's values *unchanged* (already stripped, already
canonical, already upper-case, no field missing or unknown), and then builds the models, the
canonical JSON and the key in one pass, with no validation. Anything it cannot prove (a value a
validator would rewrite or refuse, an old schema version, an envelope field, an escape in the
JSON text, a type it does not know) returns None, and the caller takes the full path: so
every error, and every line number, is the full path's.

``tests/test_fast_accept.py`` checks the two paths against each other on generated and mutated
lines (equal events, payload and source bytes, keys and error messages), and the canonical
bytes against the ``rfc8785`` reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from events import SCHEMA_VERSIONS, BudgetLineRecorded, BudgetLineRevised, Provenance, Source
from events.base import (
    _CODE_RE,
    MAX_FISCAL_YEAR,
    MIN_FISCAL_YEAR,
    SCHEMA_JURISDICTION,
    EventModel,
)
from events.currencies import DEFAULT_CURRENCY, ISO_4217
from events.definitions import Stage
from ledger.storage.records import PendingEvent

SHORT, LONG, URL_MAX = 300, 2000, 2000  # events.base ShortText, Text; Source.url
# A decimal string that parse_decimal keeps exactly as it is: no sign but "-", no leading
# zero, no exponent, no trailing fractional zero; 30 characters keep it far inside the 40
# digits and ±30 exponent the models allow. "-0" (a negative zero) is not canonical.
_CANONICAL_AMOUNT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")
AMOUNT_CHARS = 30
_URL = re.compile(r"https?://\S+")  # events.base._check_url's pattern
_STAGES = {stage.value: stage for stage in Stage}
SOURCE_KEYS = frozenset({"title", "url", "page", "published", "hypothetical"})
PROVENANCE_KEYS = frozenset({"actor", "reason", "source", "idempotency_key"})
# (title, url, page, published, hypothetical, its class) -> the Source and its canonical JSON
SourceCache = dict[tuple[Any, ...], tuple[Source, bytes]]
SOURCE_CACHE_SIZE = 4096


def _text(value: Any, limit: int = SHORT, least: int = 0) -> bool:
    """A text field the model keeps as it is: a str of ``least``..``limit`` characters with
    nothing to strip (Python strips a superset of what pydantic strips) and no NUL."""
    return (
        value.__class__ is str
        and least <= len(value) <= limit
        and value.strip() == value
        and "\x00" not in value
    )


def _code(value: Any) -> bool:
    """A code ``_check_code`` returns unchanged: ASCII (NFKC leaves it as it is), the pattern."""
    return value.__class__ is str and value.isascii() and _CODE_RE.fullmatch(value) is not None


def _jurisdiction(value: Any) -> bool:
    return (
        value.__class__ is str
        and len(value) == 2
        and value.isascii()
        and value.isalpha()
        and value.isupper()
    )


def _year(value: Any) -> int | None:
    """The fiscal year an integer or a 4-ASCII-digit string means, or None."""
    if value.__class__ is str and len(value) == 4 and value.isascii() and value.isdigit():
        value = int(value)
    if value.__class__ is int and MIN_FISCAL_YEAR <= value <= MAX_FISCAL_YEAR:
        return int(value)
    return None


def _amount(value: Any) -> bool:
    return (
        value.__class__ is str
        and len(value) <= AMOUNT_CHARS
        and _CANONICAL_AMOUNT.fullmatch(value) is not None
        and value != "-0"
    )


# What each field of the hot types must look like (the same names mean the same types).
_CHECKS: dict[str, Callable[[Any], bool]] = {
    "jurisdiction": _jurisdiction,
    "line_id": _code,
    "category": _code,
    "agency": lambda v: _text(v, least=1),
    "program": _text,
    "amount": _amount,
    "currency": lambda v: v.__class__ is str and v in ISO_4217,
    "stage": lambda v: v.__class__ is str and v in _STAGES,
}
# type: (model, required fields, every field allowed)
_TYPES: dict[str, tuple[type[EventModel], frozenset[str], frozenset[str]]] = {
    "BudgetLineRecorded": (
        BudgetLineRecorded,
        frozenset({"fiscal_year", "line_id", "agency", "category", "amount", "stage"}),
        frozenset({"fiscal_year", "line_id", "agency", "category", "amount", "stage"})
        | {"jurisdiction", "program", "currency"},
    ),
    "BudgetLineRevised": (
        BudgetLineRevised,
        frozenset({"fiscal_year", "line_id", "amount"}),
        frozenset({"fiscal_year", "line_id", "amount", "jurisdiction"}),
    ),
}
_VERSION = frozenset({"schema_version"})
TYPES = frozenset(_TYPES)


def accept(
    event_type: str,
    fields: dict[str, Any],
    provenance: dict[str, Any],
    default_actor: str,
    key_of: Callable[[PendingEvent], str],
    sources: SourceCache | None = None,
) -> PendingEvent | None:
    """The pending event the full path would make of ``fields`` (the event's fields without
    ``type``; may hold ``schema_version``) and ``provenance`` (actor, reason, source dict,
    idempotency key; None means absent), or None when that cannot be proved cheaply.
    ``key_of`` derives the content key when the provenance has none; ``sources`` (one per
    file) keeps each distinct source checked and encoded once."""
    spec = _TYPES.get(event_type)
    if spec is None:
        return None
    model, required, allowed = spec
    version = fields.get("schema_version", SCHEMA_VERSIONS[event_type])
    if version.__class__ is not int or version != SCHEMA_VERSIONS[event_type]:
        return None
    names = fields.keys() - _VERSION
    if not required <= names or not names <= allowed:
        return None
    year = _year(fields["fiscal_year"])
    if year is None:
        return None
    values: dict[str, Any] = {}
    for name in names:
        if name != "fiscal_year":
            value = fields[name]
            if not _CHECKS[name](value):
                return None
            values[name] = value
    values["fiscal_year"] = year
    values.setdefault("jurisdiction", SCHEMA_JURISDICTION)
    if "agency" in required:  # a recorded line: the defaults its model fills
        values.setdefault("program", "")
        if "currency" not in values:
            currency = DEFAULT_CURRENCY.get(values["jurisdiction"])
            if currency is None:
                return None
            values["currency"] = currency
    made = _provenance(provenance, default_actor, sources)
    if made is None:
        return None
    prov, source_json = made
    payload_json = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    payload = dict(values)  # what orjson.loads(payload_json) gives back (JSON values only)
    values["amount"] = Decimal(values["amount"])
    if "stage" in values:
        values["stage"] = _STAGES[values["stage"]]
    # PendingEvent(event, prov) without the frozen dataclass's two object.__setattr__ calls,
    # with what its cached properties would compute (events.stream_of of a budget line
    # without its match over every event class)
    pending = _new(PendingEvent)
    pending.__dict__.update(
        event=_construct(model, values),
        provenance=prov,
        payload_json=payload_json,
        payload=payload,
        source_json=source_json,
        stream=f"line/{values['jurisdiction']}/FY{year}/{values['line_id']}",
    )
    if prov.idempotency_key is None:
        key = key_of(pending)
        prov.__dict__["idempotency_key"] = key  # not yet shared: made just above
    return pending


def _provenance(
    raw: dict[str, Any], default_actor: str, sources: SourceCache | None
) -> tuple[Provenance, bytes | None] | None:
    actor = raw.get("actor")
    actor = default_actor if actor is None else actor
    reason = raw.get("reason")
    key = raw.get("idempotency_key")
    if not _text(actor, least=1) or not (reason is None or _text(reason, LONG)):
        return None
    if not (key is None or _text(key)):
        return None
    source_value = raw.get("source")
    source: Source | None = None
    source_json = None
    if source_value is not None:
        made = _source(source_value, sources)
        if made is None:
            return None
        source, source_json = made
    fields = {"actor": actor, "reason": reason, "source": source, "idempotency_key": key}
    return _construct(Provenance, fields), source_json


def _source(raw: Any, cache: SourceCache | None) -> tuple[Source, bytes] | None:
    if raw.__class__ is not dict or not raw.keys() <= SOURCE_KEYS:
        return None
    title, url = raw.get("title"), raw.get("url")
    page, published = raw.get("page"), raw.get("published")
    hypothetical = raw.get("hypothetical", False)
    # A file's rows mostly cite a few documents: each distinct source is checked and encoded
    # once (Source is frozen, so one instance is shared). The key holds hypothetical's class
    # too, so True and 1 never meet (the texts are exact str: orjson's or the csv module's).
    key = (title, url, page, published, hypothetical, hypothetical.__class__)
    if cache is not None:
        try:
            found = cache.get(key)
        except TypeError:  # an unhashable value (a list, a dict): refused below
            found = None
        if found is not None:
            return found
    if not _text(title, least=1) or hypothetical.__class__ is not bool:
        return None
    if not (page is None or _text(page)) or not (published is None or _text(published)):
        return None
    if url is not None and not (
        url.__class__ is str
        and len(url) <= URL_MAX
        and url.strip() == url
        and _URL.fullmatch(url) is not None
    ):
        return None
    fields = {
        "title": title,
        "url": url,
        "page": page,
        "published": published,
        "hypothetical": hypothetical,
    }
    made = _construct(Source, fields), orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    if cache is not None and len(cache) < SOURCE_CACHE_SIZE:
        cache[key] = made
    return made


_new = object.__new__
_FIELDS: dict[type[EventModel], dict[str, Any]] = {}


def _construct(model: type[EventModel], values: dict[str, Any]) -> Any:
    """``model.model_construct(**values)`` for values that already are what validation
    returns, every field given but those with a plain default (filled here in field order, as
    validation fills them)."""
    defaults = _FIELDS.get(model)
    if defaults is None:
        defaults = _FIELDS[model] = {
            name: info.default for name, info in model.model_fields.items()
        }
    instance = _new(model)
    # the defaults in field order, then the given values in their places (every key of
    # ``values`` is a field: the callers build them from the field names)
    fields = dict(defaults)
    fields.update(values)
    object.__setattr__(instance, "__dict__", fields)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance
