"""Domain rules checked before anything is written, for one event or a whole import.

The store guarantees order and atomicity; these rules guarantee meaning: a budget line uses a
defined category, a revision revises a line that exists and is not withdrawn, a definition
version is changed only while it is a draft or proposal, statuses move forward. Problems are
returned as data ``(line, message)`` so an import can report every bad row at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from events import (
    BudgetLineReclassified,
    BudgetLineRecorded,
    BudgetLineRevised,
    BudgetLineWithdrawn,
    CategoryDefined,
    CategoryExcluded,
    CategoryIncluded,
    ClaimRecorded,
    ClaimSuperseded,
    ClaimWithdrawn,
    DefinitionStatusChanged,
    DefinitionVersionOpened,
    GdpBasisSet,
    ObligationRecorded,
    ProgrammeDefined,
    StagesSet,
    Status,
    TargetSet,
    event_payload,
)
from events.quoting import quoted
from ledger.intake.lines import current_lines, line_transition
from ledger.progress import Progress, counted
from ledger.storage.canonical import canonical_json
from ledger.storage.keys import CONTENT_KEY_PREFIX
from ledger.storage.records import PendingEvent, StreamWrite
from ledger.storage.store import EventStore

# Which statuses a version may move to from each status.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.PROPOSED, Status.ADOPTED, Status.WITHDRAWN}),
    Status.PROPOSED: frozenset({Status.DRAFT, Status.ADOPTED, Status.WITHDRAWN}),
    Status.ADOPTED: frozenset({Status.SUPERSEDED, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset(),
    Status.SUPERSEDED: frozenset(),
}
EDITABLE = frozenset({Status.DRAFT, Status.PROPOSED})


@dataclass
class Numbered:
    """A pending event with the input line it came from (None for a single record)."""

    line: int | None
    pending: PendingEvent


@dataclass
class Plan:
    """What to append (with expected stream versions) and every problem found."""

    writes: list[StreamWrite] = field(default_factory=list)
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    skipped: int = 0


def category_stream(code: str) -> str:
    return f"category/{code}"


def claim_stream(claim_id: str) -> str:
    return f"claim/{claim_id}"


def _definition_stream(definition: str, version: int) -> str:
    return f"definition/{definition}/v{version}"


class _State:
    """What the ledger holds for the streams a batch touches, updated as the batch is planned."""

    def __init__(
        self, store: EventStore, items: Sequence[Numbered], known: dict[str, int] | None = None
    ) -> None:
        """``known``: versions already read for some of the streams (not read again)."""
        self.store = store
        streams = {item.pending.stream for item in items}
        for item in items:
            event = item.pending.event
            if isinstance(
                event,
                BudgetLineRecorded | BudgetLineReclassified | CategoryIncluded | ObligationRecorded,
            ):
                streams.add(category_stream(event.category))
            if isinstance(event, ProgrammeDefined):
                streams.update(category_stream(code) for code in _programme_categories(event))
            if isinstance(event, CategoryDefined) and event.parent:
                streams.add(category_stream(event.parent))
            if isinstance(event, DefinitionVersionOpened) and event.based_on:
                streams.add(_definition_stream(event.definition, event.based_on))
            if isinstance(event, ClaimSuperseded):
                streams.add(claim_stream(event.by))
        known = known or {}
        self.versions = {s: known[s] for s in streams if s in known}
        self.versions.update(store.stream_versions(sorted(streams - known.keys())))
        # each line as the one line fold sees it (a withdrawn line stays withdrawn whatever
        # was appended after it), then moved by the batch's own events in ``_apply``
        self.lines = current_lines(
            store, [s for s, v in self.versions.items() if v and s.startswith("line/")]
        )
        # a claim that was withdrawn or superseded is ended for good (claims are few: each
        # stream is read for its last word)
        self.claims_ended: dict[str, str] = {}
        for stream, version in self.versions.items():
            if stream.startswith("claim/") and version:
                for stored in store.read(stream=stream):
                    ended = _ENDINGS.get(stored.type)
                    if ended:
                        self.claims_ended[stream] = ended
        self.status: dict[str, Status] = {}
        for stream, version in self.versions.items():
            if stream.startswith("definition/") and version:
                self.status[stream] = Status.DRAFT
                for stored in store.read(stream=stream, types=["DefinitionStatusChanged"]):
                    self.status[stream] = Status(stored.payload["status"])

    def exists(self, stream: str) -> bool:
        return self.versions.get(stream, 0) > 0


def _undefined(code: str) -> str:
    return f"category {code} is not defined (define it first, or fix the code)"


def _line_says(event: Any, what: str) -> str:
    return f"budget line {_line_label(event)} {what}"


def _line_problem(event: Any, stream: str, state: _State) -> str | None:
    """``_problem`` of a recorded or revised budget line (most of a large import), without
    the walk over every rule's class pattern; ``stream`` is the event's (``_line(event)``)."""
    if event.__class__ is BudgetLineRecorded:
        code = event.category
        if not state.exists(category_stream(code)):
            return _undefined(code)
        if state.exists(stream):
            return _line_says(event, "is already recorded (record a revision)")
        return None
    line = state.lines.get(stream)
    if line is None:
        return _line_says(event, "is not recorded")
    if line.withdrawn:
        return _line_says(event, "was withdrawn")
    return None


_LINE_RULES = frozenset({BudgetLineRecorded, BudgetLineRevised})


def _problem(event: object, state: _State) -> str | None:
    """The rule ``event`` breaks given ``state``, or None."""
    match event:
        case CategoryDefined(parent=parent) if parent and not state.exists(category_stream(parent)):
            return f"parent category {parent} is not defined"
        case (
            BudgetLineRecorded(category=code)
            | BudgetLineReclassified(category=code)
            | CategoryIncluded(category=code)
            | ObligationRecorded(category=code)
        ) if not state.exists(category_stream(code)):
            return _undefined(code)
        case ProgrammeDefined():
            for code in _programme_categories(event):
                if not state.exists(category_stream(code)):
                    return _undefined(code)
    match event:
        case BudgetLineRecorded():
            if state.exists(_line(event)):
                return _line_says(event, "is already recorded (record a revision)")
        case BudgetLineRevised() | BudgetLineReclassified() | BudgetLineWithdrawn():
            line = state.lines.get(_line(event))
            if line is None:
                return _line_says(event, "is not recorded")
            if line.withdrawn:
                return _line_says(event, "was withdrawn")
        case DefinitionVersionOpened():
            stream = _definition_stream(event.definition, event.version)
            if state.exists(stream):
                return f"{event.definition}@{event.version} is already open"
            if event.based_on and not state.exists(
                _definition_stream(event.definition, event.based_on)
            ):
                return f"{event.definition}@{event.based_on} (based_on) does not exist"
        case CategoryIncluded() | CategoryExcluded() | StagesSet() | GdpBasisSet():
            stream = _definition_stream(event.definition, event.version)
            if not state.exists(stream):
                return f"{event.definition}@{event.version} is not open"
            if state.status[stream] not in EDITABLE:
                return (
                    f"{event.definition}@{event.version} is {state.status[stream].value}; "
                    "open a new version to change it"
                )
        case DefinitionStatusChanged():
            stream = _definition_stream(event.definition, event.version)
            if not state.exists(stream):
                return f"{event.definition}@{event.version} is not open"
            current = state.status[stream]
            if event.status not in TRANSITIONS[current]:
                return (
                    f"{event.definition}@{event.version} cannot move from {current.value} "
                    f"to {event.status.value}"
                )
        case ClaimRecorded() if state.exists(claim_stream(event.claim_id)):
            return (
                f"claim {event.claim_id} is already recorded (a claim is never edited: record "
                "a new claim and supersede this one)"
            )
        case ClaimWithdrawn() | ClaimSuperseded():
            stream = claim_stream(event.claim_id)
            if not state.exists(stream):
                return f"claim {event.claim_id} is not recorded"
            ended = _ended(state, stream)
            if ended:
                return f"claim {event.claim_id} was already {ended}"
            if isinstance(event, ClaimSuperseded) and not state.exists(claim_stream(event.by)):
                return f"claim {event.by} (by) is not recorded: record it first"
        case TargetSet(definition=definition) if (
            definition
            and not state.store.stream_names(f"definition/{definition}/")
            and not any(
                s.startswith(f"definition/{definition}/") and v for s, v in state.versions.items()
            )
        ):
            return f"definition {definition} does not exist"
    return None


def _programme_categories(event: ProgrammeDefined) -> list[str]:
    return [code for part in event.parts for code in part.categories]


_ENDINGS = {"ClaimWithdrawn": "withdrawn", "ClaimSuperseded": "superseded"}


def _ended(state: _State, stream: str) -> str | None:
    """``withdrawn`` or ``superseded`` if the claim of ``stream`` is no longer active."""
    return state.claims_ended.get(stream)


def _line(
    event: BudgetLineRecorded | BudgetLineRevised | BudgetLineReclassified | BudgetLineWithdrawn,
) -> str:
    return f"line/{event.jurisdiction}/FY{event.fiscal_year}/{event.line_id}"


def _line_label(
    event: BudgetLineRecorded | BudgetLineRevised | BudgetLineReclassified | BudgetLineWithdrawn,
) -> str:
    return f"{event.jurisdiction}/FY{event.fiscal_year}/{event.line_id}"


def _apply(pending: PendingEvent, state: _State) -> None:
    event, stream = pending.event, pending.stream
    state.versions[stream] = state.versions.get(stream, 0) + 1
    match event:
        case DefinitionVersionOpened():
            state.status[stream] = Status.DRAFT
        case DefinitionStatusChanged():
            state.status[stream] = event.status
        case (
            BudgetLineRecorded() | BudgetLineRevised() | BudgetLineReclassified()
            | BudgetLineWithdrawn()
        ):  # fmt: skip
            # moved by the one line fold; its seq is not known yet (0), and its payload is the
            # canonical JSON the append stores, decoded (once, cached on the pending event)
            line = line_transition(state.lines.get(stream), 0, event.type, pending.payload)
            if line is not None:
                state.lines[stream] = line
        case ClaimWithdrawn():
            state.claims_ended[stream] = "withdrawn"
        case ClaimSuperseded():
            state.claims_ended[stream] = "superseded"


def content_of(pending: PendingEvent) -> tuple[str, str]:
    """(type, canonical payload JSON): what an idempotency key stands for."""
    event = pending.event
    kind = str(type(event).model_fields["type"].default)
    return kind, canonical_json(event_payload(event)).decode()


def plan(
    store: EventStore,
    items: Sequence[Numbered],
    max_problems: int = 50,
    progress: Progress | None = None,
) -> Plan:
    """Check ``items`` in order against the ledger and each other; turn them into stream
    writes, in the items' order (so seq order is file order), whose expected versions are what
    was read.

    A caller that appends the writes plans inside ``store.locked``: the reads then see the
    ledger exactly as the append will, so an event another writer stored meanwhile is skipped
    as stored (same idempotency key) instead of breaking a rule ("already recorded"). Planned
    outside the lock, a concurrent writer can still not slip a conflicting change in: the
    expected versions make the append fail with ``ConcurrencyConflict``."""
    result = Plan()
    # The items' streams first: a content key is stored only in its own stream, so the keys
    # of streams that do not exist yet (every new line of an import) need no look-up.
    read = store.stream_versions(sorted({i.pending.stream for i in items}))
    keys = [
        (stream, key)
        for i in items
        if (key := i.pending.provenance.idempotency_key)
        and (read[stream := i.pending.stream] or not key.startswith(CONTENT_KEY_PREFIX))
    ]
    stored = store.stored_contents(keys) if keys else {}
    seen: dict[str, PendingEvent] = {}
    fresh: list[Numbered] = []
    for item in items:
        key = item.pending.provenance.idempotency_key
        if key and (key in stored or key in seen):
            # the same content again is a retry (skipped); other content under a used key is not
            known = stored[key] if key in stored else content_of(seen[key])
            if known == content_of(item.pending):
                result.skipped += 1
            else:
                result.problems.append(
                    (
                        item.line,
                        f"idempotency key {quoted(key)} was already used for a different event",
                    )
                )
            continue
        if key:
            seen[key] = item.pending
        fresh.append(item)
    state = _State(store, fresh, read)
    # Consecutive events of one stream form one write; a stream that comes back later gets a
    # new write expecting the version after the earlier ones, so the batch keeps its order.
    runs: list[tuple[str, int, list[PendingEvent]]] = []
    for item in counted(fresh, progress, "checking rows", len(fresh)):
        event, stream = item.pending.event, item.pending.stream
        if event.__class__ in _LINE_RULES:
            problem = _line_problem(event, stream, state)
        else:
            problem = _problem(event, state)
        if problem:
            result.problems.append((item.line, problem))
            if len(result.problems) >= max_problems:
                break
            continue
        if runs and runs[-1][0] == stream:
            runs[-1][2].append(item.pending)
        else:
            runs.append((stream, state.versions.get(stream, 0), [item.pending]))
        _apply(item.pending, state)
    result.writes = [StreamWrite(s, expected, events) for s, expected, events in runs]
    return result
