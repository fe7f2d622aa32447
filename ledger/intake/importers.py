"""Import files: JSON Lines of events and CSV of categories, budget lines and GDP figures.

Every row is parsed and checked before anything is written; every bad row is reported with its
line number (up to a cap); the file is appended in one transaction or not at all; re-importing
the same content adds nothing, because each event carries an idempotency key derived from its
content (or the key it already had).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import re
from binascii import b2a_base64
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from pydantic import ValidationError

from events import (
    EVENT_CLASSES,
    SCHEMA_VERSIONS,
    BudgetLineReclassified,
    BudgetLineRecorded,
    BudgetLineRevised,
    EventModel,
    Provenance,
    Source,
    event_payload,
    parse_event,
)
from events.quoting import clipped, named, quoted
from events.upcasters import upcast
from ledger.errors import MAX_DESCRIBED, InvalidInput, StoreError, describe_validation_error
from ledger.intake import claim_files, fast_accept
from ledger.intake.import_file import HEAD_BYTES, ImportFile, size_refusal
from ledger.intake.mapped import Counts, Record, iter_records
from ledger.intake.mapping import KIND_TYPES, Mapping
from ledger.intake.rules import Numbered, Plan, plan
from ledger.intake.sheets import (
    SourceTable,
    csv_records,
    csv_table,
    is_workbook,
    workbook_table,
)
from ledger.progress import Progress, counted
from ledger.storage.canonical import canonical_json
from ledger.storage.keys import CONTENT_KEY_PREFIX
from ledger.storage.records import PendingEvent, event_type_of
from ledger.storage.store import EventStore
from ledger.tabular import Table

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_REPORTED = 20
# An event line nests three levels (line → source → fields); deeper JSON is not an event, and
# refusing it before parsing keeps the parser's recursion bounded.
MAX_JSON_DEPTH = 32
# The longest JSON integer an event can hold: an amount of 40 significant digits (v1
# amount_yen). Longer ones are refused before ``int()`` spends quadratic time on them.
MAX_JSON_INT_DIGITS = 40

CATEGORY_COLUMNS = ("code", "name", "parent", "description")
LINE_COLUMNS = (
    "jurisdiction", "fiscal_year", "line_id", "agency", "program", "category", "amount",
    "currency", "stage", "source_title", "source_url",
)  # fmt: skip
GDP_COLUMNS = (
    "jurisdiction",
    "fiscal_year",
    "amount",
    "currency",
    "vintage",
    "source_title",
    "source_url",
)
REQUIRED = {
    "categories": {"code", "name"},
    "lines": {"fiscal_year", "line_id", "agency", "category", "amount", "stage"},
    "gdp": {"fiscal_year", "amount", "vintage"},
    "claims": set(claim_files.REQUIRED),
}
COLUMNS = {
    "categories": CATEGORY_COLUMNS,
    "lines": LINE_COLUMNS,
    "gdp": GDP_COLUMNS,
    "claims": claim_files.COLUMNS,
}
KINDS = ("events", "categories", "lines", "gdp", "claims", "definition")
ENVELOPE_KEYS = frozenset(
    {"seq", "event_id", "stream", "stream_version", "recorded_at", "prev_hash", "hash"}
)


@dataclass(frozen=True)
class ImportReport:
    """What an import read and did (or, dry, would do): rows read, events appended (or that
    would be), events already recorded; the first events it would add, as rows (``preview``),
    and how many of each type; for a mapped table, what it read (``counts``)."""

    kind: str
    rows: int
    appended: int
    skipped: int
    dry_run: bool
    first_seq: int | None
    last_seq: int | None
    preview: tuple[dict[str, Any], ...] = ()
    by_type: tuple[tuple[str, int], ...] = ()
    counts: Counts | None = None


KEY_PREFIX = CONTENT_KEY_PREFIX  # then 22 base64url characters: 128 bits of a SHA-256
_URLSAFE = bytes.maketrans(b"+/", b"-_")  # base64 to base64url (RFC 4648 section 5)


def content_key(event: EventModel, provenance: Provenance) -> str:
    """Idempotency key of an imported event: a hash of what it asserts (type, payload, reason,
    source) and not of who imports it, so the same file imported twice adds nothing.
    ``i:`` and the first 128 bits of the SHA-256 of that content in base64url (24
    characters; keys stored before this scheme, ``import:`` and 40 hex digits, stay valid)."""
    return pending_key(PendingEvent(event, provenance))


def pending_key(pending: PendingEvent) -> str:
    """``content_key`` of a pending event, from its cached canonical payload and source JSON
    (written in place: the same bytes as encoding the objects again)."""
    source = pending.source_json
    # canonical_json({"payload": …, "reason": …, "source": …, "type": …}) written out: ASCII
    # keys in sorted order, the payload and source already canonical, the two strings as
    # orjson (canonical_json's own encoder) writes them
    canonical = b"".join(
        (
            b'{"payload":',
            pending.payload_json,
            b',"reason":',
            orjson.dumps(pending.provenance.reason),
            b',"source":',
            b"null" if source is None else source,
            b',"type":',
            orjson.dumps(event_type_of(pending.event)),
            b"}",
        )
    )
    digest = hashlib.sha256(canonical).digest()[:16]
    # base64.urlsafe_b64encode without its two Python-level calls; no "==" pad
    return KEY_PREFIX + b2a_base64(digest, newline=False)[:22].translate(_URLSAFE).decode()


def check_size(data: bytes | bytearray) -> None:
    """Refuse a file larger than ``MAX_FILE_BYTES`` (the caller read at most one byte more)."""
    if len(data) > MAX_FILE_BYTES:
        raise size_refusal(MAX_FILE_BYTES)


def decode(data: bytes | bytearray) -> str:
    check_size(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput("file is not valid UTF-8", line=line) from exc


_LINE = re.compile(r"[^\r\n]+")


# A first line of TOML that is neither JSON nor a CSV header: a comment, ``key = value``, or a
# table header (``[stages]``, ``[include."JP.CORE.DBP"]``, ``[[status]]``).
_TOML_KEY = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_TOML_START = re.compile(rf"\s*(?:#|{_TOML_KEY}\s*(?:\.\s*{_TOML_KEY}\s*)*=)")
_TOML_HEADER = re.compile(rf"\s*\[\[?\s*{_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*\s*\]\]?\s*(?:#.*)?")


def detect_kind(text: str) -> str:
    """``claims`` for a TOML file of ``[[claim]]`` tables; ``definition`` for any other TOML
    file, a definition file (a first line that is a comment, a table header or a
    ``key = value``); ``events`` for JSON Lines (a first line that is a JSON object or array);
    else the CSV kind named by the header row. Past the ``[[claim]]`` search, only the first
    non-blank line is looked at."""
    if claim_files.is_toml_claims(text):
        return "claims"
    first = next((m.group() for m in _LINE.finditer(text) if m.group().strip()), "")
    if _TOML_START.match(first) or _TOML_HEADER.fullmatch(first):
        return "definition"
    if first.lstrip().startswith(("{", "[")):
        return "events"
    try:
        header = {h.strip().lower() for h in next(csv.reader([first]), [])}
    except csv.Error as exc:
        raise InvalidInput(f"bad CSV header: {exc}", line=1) from exc
    if "claim_id" in header:
        return "claims"
    if "line_id" in header:
        return "lines"
    if "code" in header and "name" in header:
        return "categories"
    if "vintage" in header and "amount" in header:
        return "gdp"
    raise InvalidInput("cannot tell the kind of file from its first line (use --kind)", line=1)


def _strict_json(text: str) -> Any:
    """Parse one JSON value, refusing duplicate keys, floats, NaN, Infinity, nesting deeper
    than ``MAX_JSON_DEPTH`` and integers longer than ``MAX_JSON_INT_DIGITS`` digits.

    orjson parses first; its result is taken when it provably has no duplicate key and no
    float: without ``\\u`` escapes, the colons of the text are the object members plus the
    colons inside strings, so equal counts mean no member was lost to a duplicate. Anything
    else (an error, an escape, a float, a mismatch) goes to the stdlib parser, which raises
    the precise error."""
    if "\\u" not in text:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        else:
            shape = _shape(value)
            if shape is not None and text.count(":") == shape[0] + shape[1]:
                return value
    return _strict_json_slow(text)


def _shape(value: Any) -> tuple[int, int] | None:
    """(object members, colons inside keys and strings) of a parsed value; None if it holds a
    float. Raises ``ValueError`` if it nests deeper than ``MAX_JSON_DEPTH``."""
    members = colons = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if depth > MAX_JSON_DEPTH:
                raise ValueError(TOO_DEEP)
            if kind is dict:
                members += len(item)
                for key, child in item.items():
                    colons += key.count(":")
                    if type(child) is str:
                        colons += child.count(":")
                    else:
                        stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif kind is str:
            colons += item.count(":")
        elif kind is float:
            return None
    return members, colons


TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_depth(text: str) -> None:
    """Refuse ``text`` if its arrays and objects nest deeper than ``MAX_JSON_DEPTH`` (strings
    skipped), before a recursive parser sees it."""
    depth = 0
    for token in _TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(TOO_DEEP)
        elif bracket in ("]", "}"):
            depth -= 1


def _strict_json_slow(text: str) -> Any:
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number")

    def reject_float(number: str) -> Any:
        raise ValueError(
            f"{clipped(number)} is a floating-point number: write exact values as strings"
        )

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_JSON_INT_DIGITS:
            raise ValueError(
                f"integer {clipped(digits)} has more than {MAX_JSON_INT_DIGITS} digits"
            )
        return int(digits)

    def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {quoted(key)}")
            result[key] = value
        return result

    _check_depth(text)
    return json.loads(
        text,
        parse_constant=reject_constant,
        parse_float=reject_float,
        parse_int=bounded_int,
        object_pairs_hook=no_duplicate_keys,
    )


ProvenanceCache = dict[bytes, tuple[Provenance, bytes | None]]
PROVENANCE_CACHE_SIZE = 4096


def _provenance(
    raw: dict[str, Any], cache: ProvenanceCache | None
) -> tuple[Provenance, bytes | None]:
    """The validated provenance of ``raw`` and its source's canonical JSON. A file's events
    mostly share one actor, reason and source: each distinct one is validated and encoded
    once per file (keyed by its JSON text; the models are frozen, so sharing is safe)."""
    key = None
    if cache is not None and raw.get("idempotency_key") is None:
        try:
            key = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # e.g. an integer beyond 64 bits: validated without the cache
            key = None
        found = cache.get(key) if key is not None else None
        if found is not None:
            return found
    prov = Provenance.model_validate(raw)
    source = prov.source
    entry = (prov, None if source is None else canonical_json(source.model_dump(mode="json")))
    if key is not None and cache is not None and len(cache) < PROVENANCE_CACHE_SIZE:
        cache[key] = entry
    return entry


def _pending(
    data: dict[str, Any],
    provenance: dict[str, Any],
    default_actor: str,
    cache: ProvenanceCache | None = None,
) -> PendingEvent:
    event = parse_event(data)
    prov, source_json = _provenance(
        {"actor": default_actor, **{k: v for k, v in provenance.items() if v is not None}}, cache
    )
    pending = PendingEvent(event, prov)
    pending.__dict__["source_json"] = source_json  # PendingEvent.source_json, already known
    if prov.idempotency_key is None:
        key = pending_key(pending)
        pending = pending.with_provenance(prov.model_copy(update={"idempotency_key": key}))
    return pending


def _fast_line(
    line: str, actor: str, sources: fast_accept.SourceCache | None = None
) -> PendingEvent | None:
    """``fast_accept.accept`` of one JSON Lines line, or None. Only text without ``\\u``
    escapes, with as many colons as orjson writes for what it read: every member of the
    text writes one colon, and strings keep theirs (no escape can stand for a colon), so a
    member dropped because a later one had the same key (orjson keeps the last) shows as a
    colon missing: ``_strict_json``'s duplicate-key refusal, proved without a walk."""
    if "\\u" in line:
        return None
    try:
        data = orjson.loads(line)
        if data.__class__ is not dict or line.count(":") != orjson.dumps(data).count(b":"):
            return None
    except (orjson.JSONDecodeError, TypeError):
        return None
    event_type = data.pop("type", None)
    if event_type.__class__ is not str or event_type not in fast_accept.TYPES:
        return None
    provenance = {k: data.pop(k) for k in fast_accept.PROVENANCE_KEYS if k in data}
    fields: dict[str, Any] = data  # what is left: the event's fields
    return fast_accept.accept(event_type, fields, provenance, actor, pending_key, sources)


def iter_jsonl(text: str | Iterable[str], actor: str) -> Iterator[tuple[int, PendingEvent | str]]:
    """(line, event) or (line, problem) for each non-blank line of a JSON Lines file: its text,
    or its lines split at ``\\n`` (each may end with it)."""
    cache: ProvenanceCache = {}
    sources: fast_accept.SourceCache = {}
    lines = text.split("\n") if isinstance(text, str) else text
    for number, line in enumerate(lines, start=1):
        if line.endswith("\n"):
            line = line[:-1]
        if not line.strip():
            continue
        fast = _fast_line(line, actor, sources)
        if fast is not None:
            yield number, fast
            continue
        try:
            data = _strict_json(line)
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                raise ValueError("each line must be a JSON object with a type")
            event_type = data.pop("type")
            if event_type not in EVENT_CLASSES:
                raise ValueError(f"unknown event type {quoted(event_type)}")
            provenance = {
                k: data.pop(k)
                for k in ("actor", "reason", "source", "idempotency_key")
                if k in data
            }
            version = data.pop("schema_version", SCHEMA_VERSIONS[event_type])
            if provenance.get("idempotency_key") is None and isinstance(data.get("event_id"), str):
                # a logged event is one event: two equal ones in a log must both come back
                provenance["idempotency_key"] = f"event:{data['event_id']}"
            for key in ENVELOPE_KEYS & data.keys():
                data.pop(key)
            data = upcast(event_type, version, data, SCHEMA_VERSIONS[event_type])
            yield number, _pending({**data, "type": event_type}, provenance, actor, cache)
        except ValidationError as exc:
            yield number, describe_validation_error(exc)
        except ValueError as exc:  # a JSON error, an UpcastError, a canonical-JSON domain error
            yield number, str(exc)


def _csv_rows(text: str | Iterable[str], kind: str) -> Iterator[tuple[int, dict[str, str] | str]]:
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    reader = csv.reader(lines, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidInput(f"bad CSV header: {exc}", line=1) from exc
    duplicates = sorted(h for h, n in Counter(header).items() if n > 1)  # linear: 1e5 columns
    if duplicates:
        raise InvalidInput(f"duplicate column {', '.join(map(named, duplicates))}", line=1)
    unknown = [h for h in header if h not in COLUMNS[kind]]
    if unknown:
        raise InvalidInput(
            f"unknown column {', '.join(map(named, unknown[:MAX_REPORTED]))} for a {kind} file",
            line=1,
        )
    missing = sorted(REQUIRED[kind] - set(header))
    if missing:
        raise InvalidInput(f"missing column {', '.join(missing)} for a {kind} file", line=1)
    for line, cells in csv_records(reader, len(header)):
        yield line, cells if isinstance(cells, str) else dict(zip(header, cells, strict=True))


def _source(row: dict[str, str]) -> dict[str, Any] | None:
    title = row.pop("source_title", "").strip()
    url = row.pop("source_url", "").strip()
    if not title and not url:
        return None
    return Source.model_validate({"title": title or url, "url": url or None}).model_dump()


def _fast_row(
    row: dict[str, str], event_type: str, actor: str, sources: fast_accept.SourceCache
) -> PendingEvent | None:
    """``fast_accept.accept`` of one CSV row, given as ``iter_csv`` gives it to the models (the
    source from its stripped title and URL, blank cells left out), or None."""
    title = row.get("source_title", "").strip()
    url = row.get("source_url", "").strip()
    source = {"title": title or url, "url": url or None} if title or url else None
    fields = {
        k: v for k, v in row.items() if v.strip() != "" and k not in ("source_title", "source_url")
    }
    return fast_accept.accept(event_type, fields, {"source": source}, actor, pending_key, sources)


def iter_csv(
    text: str | Iterable[str], kind: str, actor: str
) -> Iterator[tuple[int, PendingEvent | str]]:
    event_type = {
        "categories": "CategoryDefined",
        "lines": "BudgetLineRecorded",
        "gdp": "GdpRecorded",
    }[kind]
    cache: ProvenanceCache = {}
    sources: fast_accept.SourceCache = {}
    fast = event_type in fast_accept.TYPES
    for line, row in _csv_rows(text, kind):
        if isinstance(row, str):
            yield line, row
            continue
        accepted = _fast_row(row, event_type, actor, sources) if fast else None
        if accepted is not None:
            yield line, accepted
            continue
        try:
            source = _source(row)
            fields = {k: v for k, v in row.items() if v.strip() != ""}
            if kind == "categories":
                fields.setdefault("description", "")
            yield line, _pending({**fields, "type": event_type}, {"source": source}, actor, cache)
        except ValidationError as exc:
            yield line, describe_validation_error(exc)
        except ValueError as exc:
            yield line, str(exc)


def iter_claims(text: str, actor: str) -> Iterator[tuple[int, PendingEvent | str]]:
    """(line, event) or (line, problem) for each claim of a CSV or TOML file of claims."""
    toml = claim_files.is_toml_claims(text)
    rows = claim_files.toml_rows(text) if toml else _csv_rows(text, "claims")
    cache: ProvenanceCache = {}
    for line, row in rows:
        if isinstance(row, str):
            yield line, row
            continue
        try:
            fields, provenance = claim_files.claim_fields(row)
            yield line, _pending(fields, provenance, actor, cache)
        except ValidationError as exc:
            yield line, describe_validation_error(exc)
        except ValueError as exc:
            yield line, str(exc)


def _revisions(
    store: EventStore, items: list[Numbered], reason: str | None, before: int | None = None
) -> tuple[list[Numbered], list[tuple[int | None, str]]]:
    """Turn re-imported budget lines whose content changed into revision/reclassification events
    (only with a reason: a change of figure must say why); unchanged lines are dropped. A line
    is re-imported if it was recorded before the import (at seq ``before`` or earlier): one
    that the same file records twice is refused by the rules wherever the two rows are."""
    from ledger.intake.lines import current_lines  # local: only needed when lines already exist

    recorded = [i for i in items if isinstance(i.pending.event, BudgetLineRecorded)]
    existing = store.stream_versions([i.pending.stream for i in recorded], stop=before)
    if not any(existing.values()):
        return items, []
    keys = store.stored_idempotency_keys(
        [
            (i.pending.stream, i.pending.provenance.idempotency_key)
            for i in recorded
            if i.pending.provenance.idempotency_key
        ]
    )
    changed = [  # only lines whose content differs need their current state
        i.pending.stream
        for i in recorded
        if existing.get(i.pending.stream) and i.pending.provenance.idempotency_key not in keys
    ]
    state = current_lines(store, changed)
    out: list[Numbered] = []
    problems: list[tuple[int | None, str]] = []
    for item in items:
        event = item.pending.event
        if not isinstance(event, BudgetLineRecorded) or not existing.get(item.pending.stream):
            out.append(item)
            continue
        if item.pending.provenance.idempotency_key in keys:
            out.append(item)  # the very same content: skipped as a duplicate later
            continue
        line = state.get(item.pending.stream)
        if line is None:  # the stream holds no recorded line: the rules say it exists
            out.append(item)
            continue
        label = f"{event.jurisdiction}/FY{event.fiscal_year}/{event.line_id}"
        fixed = [
            f
            for f in ("agency", "program", "currency", "stage")
            if getattr(line, f) != getattr(event, f)
        ]
        if fixed:  # no event restates these: never drop such a change silently
            problems.append(
                (
                    item.line,
                    f"budget line {label} is already recorded with another {', '.join(fixed)} "
                    "(only amount and category can be revised: withdraw it and record a new line)",
                )
            )
            continue
        changes: list[EventModel] = []
        key: dict[str, Any] = {
            "jurisdiction": event.jurisdiction,
            "fiscal_year": event.fiscal_year,
            "line_id": event.line_id,
        }
        if line.amount != event.amount:
            changes.append(BudgetLineRevised(**key, amount=event.amount))
        if line.category != event.category:
            changes.append(BudgetLineReclassified(**key, category=event.category))
        if not changes:
            continue
        if reason is None:
            problems.append(
                (
                    item.line,
                    f"budget line {label} "
                    "is already recorded with other figures (give --reason to record a revision)",
                )
            )
            continue
        prov = item.pending.provenance.model_copy(update={"reason": reason})
        # the key names the version it revises: 100→200→300→200 must not look like a retry
        at = f"@v{existing[item.pending.stream]}"
        for change in changes:
            out.append(
                Numbered(
                    item.line,
                    PendingEvent(
                        change,
                        prov.model_copy(update={"idempotency_key": content_key(change, prov) + at}),
                    ),
                )
            )
    return out, problems


def is_definition_file(data: bytes | ImportFile, kind: str | None) -> bool:
    """Whether ``import`` (without a mapping) reads ``data`` as a TOML definition file
    (``ledger.definition_files``): ``--kind definition``, or, no kind given, a text file that
    ``detect_kind`` recognises as one from its first lines (never a workbook)."""
    if kind is not None:
        return kind == "definition"
    file = _import_file(data)
    return not is_workbook(file.head(4)) and detect_kind(file.head_text()) == "definition"


def _import_file(data: bytes | ImportFile) -> ImportFile:
    """``data`` as an ``ImportFile``; refused if its head is already past the size limit."""
    file = data if isinstance(data, ImportFile) else ImportFile.of(bytes(data))
    if len(file.head(min(HEAD_BYTES, MAX_FILE_BYTES + 1))) > MAX_FILE_BYTES:
        raise size_refusal(MAX_FILE_BYTES)  # read no further (a device can be endless)
    return file


def import_text(
    store: EventStore,
    text: str,
    *,
    kind: str | None = None,
    actor: str,
    reason: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    preview: int = 0,
) -> ImportReport:
    """Check and append a whole file atomically; raise ``InvalidInput`` listing bad rows.
    ``progress`` hears of the rows read, the rows checked and the events written."""
    kind = kind or detect_kind(text)
    # about one row a line, less a CSV header (a claims file may be TOML: no estimate)
    lines = text.count("\n") + (not text.endswith("\n")) - (kind != "events")
    return import_rows(
        store, rows_of(text, kind, actor), kind=kind, reason=reason, dry_run=dry_run,
        progress=progress, preview=preview, total=None if kind == "claims" else max(lines, 0),
    )  # fmt: skip


def rows_of(text: str | Callable[[], Iterator[str]], kind: str, actor: str) -> RowSource:
    """The parsed rows of a file of ``kind``, read afresh on each call: from ``text``, or from
    the lines a function yields each time (a file read as it is parsed)."""
    lines: Callable[[], Iterator[str] | str] = text if callable(text) else lambda: text
    if kind == "events":
        return lambda: iter_jsonl(lines(), actor)
    if kind == "claims":
        return lambda: iter_claims("".join(lines()), actor)
    return lambda: iter_csv(lines(), kind, actor)


def import_table(
    store: EventStore,
    data: bytes | ImportFile,
    name: str,
    mapping: Mapping | None,
    *,
    kind: str | None = None,
    sheet: str | None = None,
    actor: str,
    reason: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    preview: int = 0,
) -> ImportReport:
    """Import a file (``data``: its bytes, or an ``ImportFile`` read as it is parsed): JSON
    Lines or one of defledger's CSV layouts, streamed; someone else's table, a CSV file
    (streamed) or an ``.xlsx`` sheet, through a ``mapping`` (``ledger.intake.mapping``); a
    workbook in one of defledger's CSV layouts (no mapping); a file of claims. Checked and
    appended like any file: all or nothing, every bad row reported by its line (a CSV file)
    or row (a sheet) and column."""
    file = _import_file(data)
    workbook = is_workbook(file.head(4))
    options: dict[str, Any] = dict(
        actor=actor, reason=reason, dry_run=dry_run, progress=progress, preview=preview
    )
    if mapping is None:
        if workbook:
            table = workbook_table(file.read_all(MAX_FILE_BYTES), name, sheet)
            return import_text(store, table_as_csv(table), kind=kind, **options)
        kind = kind or detect_kind(file.head_text())
        if kind not in STREAMED:  # claims: a small file, read whole
            return import_text(store, decode(file.read_all(MAX_FILE_BYTES)), kind=kind, **options)
        newline = "\n" if kind == "events" else ""
        rows = rows_of(lambda: file.lines(newline, MAX_FILE_BYTES), kind, actor)
        # about one row a line, less a CSV header (counted only to show progress)
        total = max(file.line_count(MAX_FILE_BYTES) - (kind != "events"), 0) if progress else None
        return import_rows(store, rows, kind=kind, total=total, **_rows_options(options))
    kinds = mapping.choose(kind)
    whole = file.read_all(MAX_FILE_BYTES) if workbook else b""
    counts: list[Counts] = []

    def mapped_rows() -> Iterator[tuple[int, PendingEvent | str]]:
        counts[:] = [Counts() for _ in kinds]
        for each, tally in zip(kinds, counts, strict=True):  # the table read once per kind
            table = (
                workbook_table(whole, name, sheet or mapping.sheet, mapping.header_row)
                if workbook
                else csv_table(file.lines("", MAX_FILE_BYTES), name, mapping.header_row)
            )
            records = iter_records(table, mapping, each, tally)
            yield from iter_mapped(records, KIND_TYPES[each], actor)

    unit = "row" if workbook else "line"
    report = import_rows(
        store, mapped_rows, kind="+".join(kinds), locate=lambda number: f"{name} {unit} {number}",
        label=name, **_rows_options(options),
    )  # fmt: skip
    first = counts[0]
    read = Counts(
        rows=first.rows,
        records=sum(c.records for c in counts),
        missing_cells=sum(c.missing_cells for c in counts),
        skipped_rows=first.skipped_rows,
    )
    return replace(report, rows=read.rows, counts=read)


STREAMED = frozenset({"events", "categories", "lines", "gdp"})  # read a line at a time


def _rows_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != "actor"}


def iter_mapped(
    records: Iterator[Record | tuple[int, str]], event_type: str, actor: str
) -> Iterator[tuple[int, PendingEvent | str]]:
    """(row, event) or (row, problem) for each mapped record; a field's problem names the
    column it came from."""
    cache: ProvenanceCache = {}
    for record in records:
        if isinstance(record, tuple):
            yield record
            continue
        try:
            yield (
                record.number,
                _pending(
                    {**record.fields, "type": event_type}, {"source": record.source}, actor, cache
                ),
            )
        except ValidationError as exc:
            yield record.number, _located(exc, record.origin)
        except ValueError as exc:
            yield record.number, str(exc)


def _located(error: ValidationError, origin: dict[str, str]) -> str:
    """A validation error with each field's problem under the column it came from."""
    parts: list[str] = []
    items = error.errors(include_url=False, include_input=False, include_context=False)
    for item in items[:MAX_DESCRIBED]:
        loc = [str(p) for p in item["loc"] if not str(p).startswith("function-")]
        if loc and loc[0] in EVENT_CLASSES:  # the union's tag: the event type
            loc = loc[1:]
        message = item["msg"].removeprefix("Value error, ")
        field = loc[0] if loc else ""
        where = origin.get(field) or (f"{'.'.join(loc)}" if loc else "")
        if where.startswith("column ") and field:
            message = f"{message} ({field})"
        parts.append(f"{where}: {message}" if where else message)
    if len(items) > MAX_DESCRIBED:
        parts.append(f"and {len(items) - MAX_DESCRIBED} more")
    return "; ".join(parts)


def table_as_csv(table: SourceTable) -> str:
    """A sheet in one of defledger's own CSV layouts, as CSV text whose line numbers are the
    sheet's row numbers (the header must be row 1); a cell that cannot be read refuses it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    line = 1
    refused: list[str] = []
    for row in table.rows:
        if isinstance(row, tuple):
            raise InvalidInput(f"{table.where(row[0])}: {row[1]}")
        refused += [f"{table.where(row.number)}: {p}" for p in row.refused.values()]
        while line < row.number - 1:
            out.write("\n")
            line += 1
        writer.writerow([row.cells.get(h, "") for h in table.header])
        line += 1
    if refused:
        raise InvalidInput("; ".join(refused[:MAX_REPORTED]))
    return out.getvalue()


CHUNK_ROWS = 2000  # rows parsed, checked and appended at a time: what an import holds


RowSource = Callable[[], Iterator[tuple[int, PendingEvent | str]]]


def import_rows(
    store: EventStore,
    rows: Iterator[tuple[int, PendingEvent | str]] | RowSource,
    *,
    kind: str,
    reason: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    preview: int = 0,
    locate: Callable[[int], str] | None = None,
    label: str | None = None,
    total: int | None = None,
) -> ImportReport:
    """Check parsed rows against the ledger and append them, ``CHUNK_ROWS`` at a time, in one
    write transaction that commits only if no row has a problem (or, dry, never): memory holds
    one chunk whatever the file's size. Every problem is reported (the first
    ``MAX_REPORTED``, then the import stops), each by its row; ``locate`` names a row in
    messages (default ``line N``). ``rows`` may be a function that reads the rows afresh: on
    PostgreSQL, a transaction that meets a serialization failure runs again from the start."""
    with gc_paused():
        return _import_rows(
            store, rows, kind=kind, reason=reason, dry_run=dry_run, progress=progress,
            preview=preview, locate=locate, label=label, total=total,
        )  # fmt: skip


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block. An import allocates millions of
    objects that hold no reference cycles (events, dicts, rows: freed by their reference
    counts as each chunk is done), and the collector's passes over them cost 5-13 % of an
    import's time; it is switched back on (if it was on) however the block ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class _DryRun(Exception):  # noqa: N818 - not an error: how a dry run leaves its transaction
    """Raised at the end of a dry run to roll its transaction back, carrying the report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


@dataclass
class _Tally:
    """What an import has read, found and appended so far."""

    preview: int
    rows: int = 0
    appended: int = 0
    skipped: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    shown: list[dict[str, Any]] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)


def _import_rows(
    store: EventStore,
    rows: Iterator[tuple[int, PendingEvent | str]] | RowSource,
    *,
    kind: str,
    reason: str | None,
    dry_run: bool,
    progress: Progress | None,
    preview: int,
    locate: Callable[[int], str] | None,
    label: str | None,
    total: int | None,
) -> ImportReport:
    what = label or f"the {kind} file"
    used: list[bool] = []

    def fresh_rows() -> Iterator[tuple[int, PendingEvent | str]]:
        if callable(rows):
            return rows()
        if used:  # an iterator cannot be read twice: the retry cannot happen
            raise StoreError("the import's transaction failed and its rows cannot be read again")
        used.append(True)
        return rows

    def work() -> ImportReport:
        # Checked and appended in one write transaction: the rules see exactly the ledger the
        # events are appended to (each chunk sees the ones before it), so a concurrent or
        # repeated import of the same file finds the other's events stored and skips them.
        tally = _Tally(preview)
        head = store.head()
        before = head.seq if head else 0
        # one phase: the rows are read, checked and appended a chunk at a time
        read = counted(fresh_rows(), progress, "importing rows", total)
        for chunk in _chunked(read, tally):
            _check_and_append(store, chunk, tally, reason, before)
            if len(tally.problems) >= MAX_REPORTED:
                break
        if tally.problems:
            raise InvalidInput(_summarise(tally.problems, what, locate))
        report = ImportReport(
            kind, tally.rows, tally.appended, tally.skipped, dry_run,
            None if dry_run else tally.first_seq, None if dry_run else tally.last_seq,
            tuple(tally.shown), tuple(sorted(tally.types.items())),
        )  # fmt: skip
        if dry_run:
            raise _DryRun(report)
        return report

    try:
        return store.locked(work)
    except _DryRun as done:
        return done.report


def _chunked(
    rows: Iterator[tuple[int, PendingEvent | str]],
    tally: _Tally,
) -> Iterator[list[tuple[int, PendingEvent | str]]]:
    chunk: list[tuple[int, PendingEvent | str]] = []
    for row in rows:
        chunk.append(row)
        tally.rows += 1
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_and_append(
    store: EventStore,
    chunk: list[tuple[int, PendingEvent | str]],
    tally: _Tally,
    reason: str | None,
    before: int,
) -> None:
    """Check one chunk against the ledger as this transaction sees it, and append what checks
    out (also after a problem: later rows are checked against the rows before them, and the
    transaction is rolled back at the end)."""
    items: list[Numbered] = []
    problems: list[tuple[int | None, str]] = []
    for line, parsed in chunk:
        if isinstance(parsed, str):
            problems.append((line, parsed))
            continue
        if reason and parsed.provenance.reason is None:
            parsed = PendingEvent(
                parsed.event, parsed.provenance.model_copy(update={"reason": reason})
            )
        items.append(Numbered(line, parsed))
    revised, revision_problems = _revisions(store, items, reason, before)
    checked = plan(store, revised, max_problems=MAX_REPORTED)
    found = sorted([*problems, *revision_problems, *checked.problems], key=lambda p: p[0] or 0)
    tally.problems += found
    tally.skipped += checked.skipped
    _preview(checked, items, tally)
    if not checked.writes:
        return
    # plan looked every idempotency key up just now, in this transaction
    result = store.append_checked(checked.writes)
    tally.skipped += result.skipped
    if result.first_seq is not None and result.last_seq is not None:
        tally.first_seq = tally.first_seq or result.first_seq
        tally.last_seq = result.last_seq
        tally.appended += result.last_seq - result.first_seq + 1


def _preview(checked: Plan, items: list[Numbered], tally: _Tally) -> None:
    """Count the events of each type a plan writes, and keep the first ``tally.preview`` as
    rows (the input line, the type, the payload, the source's title)."""
    lines = {id(item.pending): item.line for item in items}
    for write in checked.writes:
        for pending in write.events:
            name = event_type_of(pending.event)
            tally.types[name] += 1
            if len(tally.shown) < tally.preview:
                source = pending.provenance.source
                row = {
                    "line": lines.get(id(pending)),
                    "type": name,
                    **event_payload(pending.event),
                    "source": source.title if source else "",
                }
                tally.shown.append(
                    {k: v if k in EXACT_FIELDS else _clip(v) for k, v in row.items()}
                )


PREVIEW_TEXT = 48  # characters of a text a preview shows
EXACT_FIELDS = frozenset({"amount", "rate", "share", "percent_of_gdp"})  # never clipped


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > PREVIEW_TEXT:
        return value[: PREVIEW_TEXT - 1] + "…"
    return value


def preview_table(report: ImportReport) -> Table:
    """What a dry run would record: its first events as a table (the input line, the type,
    the payload fields, the source's title) and the counts as its caption."""
    columns = list(dict.fromkeys(key for row in report.preview for key in row))
    if len({row["type"] for row in report.preview}) == 1:
        columns.remove("type")
    kinds = ", ".join(f"{n} {name}" for name, n in report.by_type) or "nothing"
    lines = [
        f"{report.kind}: {report.rows} rows read; would add {report.appended} events "
        f"({kinds}); {report.skipped} already recorded."
    ]
    if report.counts is not None:
        lines.append(
            f"{report.counts.records} records made; {report.counts.missing_cells} cells meaning "
            f"no figure skipped; {report.counts.skipped_rows} rows left out by [read] skip."
        )
    if report.appended > len(report.preview):
        lines.append(f"First {len(report.preview)} of {report.appended} shown (--preview N).")
    return Table(
        "preview", columns, [dict(row) for row in report.preview], caption="\n".join(lines)
    )


def _summarise(
    problems: list[tuple[int | None, str]],
    what: str,
    locate: Callable[[int], str] | None = None,
) -> str:
    """``nothing imported: 2 problems in nato.csv: nato.csv line 17, column X: …; …``."""
    where = locate or (lambda line: f"line {line}")
    shown = [
        f"{where(line)}{', ' if message.startswith('column ') else ': '}{message}"
        if line
        else message
        for line, message in problems[:MAX_REPORTED]
    ]
    more = f" (first {MAX_REPORTED} shown)" if len(problems) >= MAX_REPORTED else ""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"nothing imported: {len(problems)} {noun} in {what}{more}: " + "; ".join(shown)
