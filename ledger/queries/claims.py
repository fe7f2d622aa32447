"""``claims check``, ``claims check --since`` and ``claims show``: the claims recorded in the
ledger, each checked (``ledger.queries.claim_check``) as of any moment, the claims whose verdict
changed between two moments and the events that changed it, and one claim's whole story."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from events.quoting import quoted
from ledger.errors import InvalidInput, NotFound
from ledger.projections.claims import CLAIM_PREFIX, ClaimState, fold_claims
from ledger.projections.fold import EventLike, LedgerState
from ledger.projections.periods import periods_at
from ledger.projections.persisted import state_at
from ledger.projections.sql import prefix_events
from ledger.queries.asof import resolve_as_of
from ledger.queries.claim_check import ClaimCheck, Outcome, Verdict, check
from ledger.queries.claim_text import (
    as_published_text,
    claim_doc,
    claimed_text,
    gap_text,
    metric_text,
    outcome_doc,
    shown,
    with_unit,
)
from ledger.queries.history import summary
from ledger.queries.question import open_context
from ledger.storage.store import EventStore
from ledger.tabular import Table

COLUMNS = [
    "claim", "claim_verdict", "about", "claimed", "definition", "verdict", "ledger",
    "as_published", "gap", "note",
]  # fmt: skip
# what a narrow terminal leaves out first (saying so): the verdict per definition, its figures
# and the gap stay; the note, the claim's text and its overall verdict are in --format csv/json
SECONDARY = ("note", "about", "claim_verdict", "as_published", "claimed")
SINCE_COLUMNS = ["claim", "about", "claimed", "before", "after", "changed_by", "events"]
RULE = (
    "Rounded half-up at the claim's precision; equals/about hold when the rounded value is the "
    "published one, between when it is within the range (ends included); at least/at most/more "
    "than/less than compare the exact value."
)


@dataclass
class ClaimsRequest:
    """The options of ``claims check``."""

    as_of: str | None = None
    since: str | None = None
    claims: tuple[str, ...] = ()
    all: bool = False


class StoreEvidence:
    """``Evidence`` from the store, as of ``seq`` (each group's line events read once)."""

    def __init__(self, store: EventStore, seq: int) -> None:
        self.store, self.seq = store, seq
        self._lines: dict[tuple[str, int], list[Any]] = {}
        self._sources: dict[int, dict[str, Any] | None] = {}

    def line_events(self, jurisdiction: str, fiscal_year: int) -> Iterable[EventLike]:
        key = (jurisdiction, fiscal_year)
        if key not in self._lines:
            prefix = f"line/{jurisdiction}/FY{fiscal_year}/"
            self._lines[key] = prefix_events(self.store, [prefix], self.seq)
        return self._lines[key]

    def source(self, seq: int) -> dict[str, Any] | None:
        if seq not in self._sources:
            self._sources[seq] = self.store.get(seq).source
        return self._sources[seq]


def claims_at(store: EventStore, seq: int) -> dict[str, ClaimState]:
    """Every claim recorded up to ``seq``, with its status then."""
    return fold_claims(prefix_events(store, [CLAIM_PREFIX], seq))


def select_claims(
    claims: dict[str, ClaimState], ids: Sequence[str], include_inactive: bool
) -> list[ClaimState]:
    """The claims named (all of them when none is), active ones only unless asked."""
    for claim_id in ids:
        if claim_id not in claims:
            known = ", ".join(claims) or "none recorded"
            raise NotFound(f"unknown claim {quoted(claim_id)} (claims: {known})")
    chosen = [claims[i] for i in dict.fromkeys(ids)] if ids else list(claims.values())
    return [c for c in chosen if ids or include_inactive or c.active]


def check_claims(
    store: EventStore,
    seq: int,
    claims: Iterable[ClaimState],
    state: LedgerState | None = None,
) -> list[ClaimCheck]:
    """Check ``claims`` against the ledger as of ``seq``."""
    state = state if state is not None else state_at(store, seq)
    evidence = StoreEvidence(store, seq)
    return [check(claim, state, evidence) for claim in claims]


def check_rows(result: ClaimCheck) -> list[dict[str, Any]]:
    """The table rows of one checked claim: one per definition version measured."""
    claim = result.claim
    rows = []
    for o in result.outcomes:
        rows.append(
            {
                "claim": claim.claim_id,
                "claim_verdict": result.verdict.text,
                "about": metric_text(claim),
                "claimed": claimed_text(claim),
                "definition": o.label + ("" if result.specified else " (unspecified)"),
                "verdict": o.verdict.text,
                "ledger": (
                    with_unit(claim, shown(o.value, claim.decimals)) if o.value is not None else ""
                ),
                "as_published": as_published_text(claim, o),
                "gap": gap_text(claim, o.gap) if o.verdict is Verdict.DOES_NOT_HOLD else "",
                "note": note(o),
            }
        )
    return rows


def note(o: Outcome) -> str:
    """What a reader must know about one outcome: why it is undetermined, or what makes it
    circular."""
    if o.missing:
        return o.missing
    if o.derived:
        seqs = ", ".join(str(s) for s in o.derived)
        return f"rests on seq {seqs}, an assumption derived from this claim's publication"
    return ""


def check_doc(result: ClaimCheck) -> dict[str, Any]:
    """One checked claim for JSON."""
    claim = result.claim
    return {
        **claim_doc(result.state),
        "verdict": result.verdict.value,
        "verdict_text": result.verdict.text,
        "specified": result.specified,
        "holds_under": result.under(Verdict.HOLDS),
        "consistent_by_construction_under": result.under(Verdict.BY_CONSTRUCTION),
        "does_not_hold_under": result.under(Verdict.DOES_NOT_HOLD),
        "undetermined_under": result.under(Verdict.UNDETERMINED),
        "outcomes": [outcome_doc(claim, o) for o in result.outcomes],
    }


def counts_text(results: Sequence[ClaimCheck]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.verdict.text] = counts.get(r.verdict.text, 0) + 1
    return ", ".join(f"{n} {v}" for v, n in counts.items()) or "no claims"


def claims_table(store: EventStore, req: ClaimsRequest) -> Table:
    """``claims check``: each claim's verdict as of ``req.as_of`` (or the changes since
    ``req.since``)."""
    if req.since is not None:
        return since_table(store, req)
    context = open_context(store, req.as_of, None)
    seq = context.as_of.seq
    chosen = select_claims(claims_at(store, seq), req.claims, req.all)
    results = check_claims(store, seq, chosen, context.state)
    rows = [row for result in results for row in check_rows(result)]
    meta = {**context.meta, "rounding": RULE, "counts": counts_text(results)}
    caption = f"{len(results)} claims as of seq {seq}: {counts_text(results)}.\n{RULE}"
    document = {"meta": meta, "claims": [check_doc(r) for r in results]}
    return Table("claims", COLUMNS, rows, meta, caption=caption, document=document,
                 secondary=SECONDARY)  # fmt: skip


# -- what changed since ---------------------------------------------------------------------


def _relevant(claim_state: ClaimState, stream: str) -> bool:
    """Whether an event of ``stream`` can move the claim's check."""
    claim = claim_state.claim
    j = claim.jurisdiction
    if stream.startswith("line/"):
        return any(stream.startswith(f"line/{j}/FY{y}/") for y in claim.years)
    if stream.startswith(("gdp/", "fx/")):
        return stream.startswith(f"gdp/{j}/") or stream.startswith("fx/")
    if stream.startswith("definition/"):
        if claim.definition is None:
            return True
        name, _, version = claim.definition.partition("@")
        wanted = f"definition/{name}/" + (f"v{version}" if version else "")
        return stream == wanted if version else stream.startswith(wanted)
    if stream.startswith("target/"):
        return claim.target_id is not None and stream == f"target/{j}/{claim.target_id}"
    return False


class _Moments:
    """The aggregate state at several seqs, computed once each."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.states: dict[int, LedgerState] = {}

    def check(self, claim: ClaimState, seq: int) -> ClaimCheck:
        if seq not in self.states:
            self.states[seq] = state_at(self.store, seq)
        return check_claims(self.store, seq, [claim], self.states[seq])[0]


def since_table(store: EventStore, req: ClaimsRequest) -> Table:
    """Claims active at both ``--since`` and ``--as-of`` whose verdict differs, each with the
    events after ``--since`` at which it changed (found by checking it after each event that
    can move it: its lines, GDP, exchange rates, definitions, target)."""
    assert req.since is not None
    after = resolve_as_of(store, req.as_of)
    before = resolve_as_of(store, req.since)
    if before.seq > after.seq:
        raise InvalidInput(
            f"--since {req.since} (seq {before.seq}) is after the moment checked (seq {after.seq})"
        )
    then, now = claims_at(store, before.seq), claims_at(store, after.seq)
    chosen = select_claims(now, req.claims, req.all)
    moments = _Moments(store)
    moving = ("line/", "gdp/", "fx/", "definition/", "target/")
    window = [  # the events in between that can move a check (streamed: the window only)
        (e.seq, e.stream)
        for e in store.read(start=before.seq + 1, stop=after.seq)
        if e.stream.startswith(moving)
    ]
    rows: list[dict[str, Any]] = []
    docs: list[dict[str, Any]] = []
    notes: list[str] = []
    for claim in chosen:
        earlier = then.get(claim.claim_id)
        if earlier is None:
            notes.append(f"{claim.claim_id} was recorded after seq {before.seq}")
            continue
        if not (earlier.active and claim.active):
            notes.append(f"{claim.claim_id} is {claim.status} (seq {claim.status_seq})")
            continue
        first, last = moments.check(earlier, before.seq), moments.check(claim, after.seq)
        if first.signature() == last.signature():
            continue
        changes, previous = [], first
        for seq, stream in window:
            if not _relevant(claim, stream):
                continue
            current = moments.check(claim, seq)
            if current.signature() != previous.signature():
                changes.append((seq, previous, current))
            previous = current
        events = [_changer(store, seq, a, b) for seq, a, b in changes]
        rows.append(
            {
                "claim": claim.claim_id,
                "about": metric_text(claim.claim),
                "claimed": claimed_text(claim.claim),
                "before": _verdict_text(first),
                "after": _verdict_text(last),
                "changed_by": ", ".join(str(e["seq"]) for e in events),
                "events": "; ".join(e["text"] for e in events),
            }
        )
        docs.append(
            {
                "claim": claim.claim_id,
                "before": check_doc(first),
                "after": check_doc(last),
                "changed_by": events,
            }
        )
    context = open_context(store, req.as_of, None)
    meta = {
        **context.meta,
        "since": {"seq": before.seq, "spec": req.since},
        "changed": len(rows),
        "notes": notes,
    }
    caption = (
        f"{len(rows)} claim(s) changed verdict between seq {before.seq} and seq {after.seq}."
        + "".join(f"\nNote: {n}" for n in notes)
    )
    document = {"meta": meta, "changes": docs}
    return Table("changes", SINCE_COLUMNS, rows, meta, caption=caption, document=document)


def _verdict_text(result: ClaimCheck) -> str:
    if result.specified:
        o = result.outcomes[0]
        value = as_published_text(result.claim, o)
        return f"{result.verdict.text} ({value})" if value else result.verdict.text
    held = result.under(Verdict.HOLDS, Verdict.BY_CONSTRUCTION)
    return result.verdict.text + (f" (holds under {', '.join(held)})" if held else "")


def _changer(store: EventStore, seq: int, before: ClaimCheck, after: ClaimCheck) -> dict[str, Any]:
    event = store.get(seq)
    what = f"seq {seq} {event.type} {event.stream}: {summary(event)}"
    return {
        "seq": seq,
        "type": event.type,
        "stream": event.stream,
        "summary": summary(event),
        "reason": event.reason,
        "before": before.verdict.value,
        "after": after.verdict.value,
        "text": f"{what} ({_verdict_text(before)} → {_verdict_text(after)})",
    }


# -- one claim --------------------------------------------------------------------------------


def show_document(
    store: EventStore, claim_id: str, as_of: str | None, definition: str | None
) -> dict[str, Any]:
    """``claims show``: the claim as recorded, its whole history (its events, and the claims
    it supersedes or that supersede it), its check, and the trace of each number it was
    checked against (``trace``), as of ``as_of``."""
    from ledger.queries.trace import TraceRequest, trace_table

    context = open_context(store, as_of, None)
    seq = context.as_of.seq
    claims = claims_at(store, seq)
    (chosen,) = select_claims(claims, [claim_id], True)
    result = check_claims(store, seq, [chosen], context.state)[0]
    related = [chosen.claim_id, *chosen.supersedes]
    related += [chosen.superseded_by] if chosen.superseded_by else []
    events = [e for r in related for e in store.read(stream=CLAIM_PREFIX + r, stop=seq)]
    history = [
        {
            "seq": event.seq,
            "recorded_at": event.recorded_at,
            "actor": event.actor,
            "type": event.type,
            "summary": summary(event),
            "reason": event.reason,
            "source": event.source,
        }
        for event in sorted(events, key=lambda e: e.seq)
    ]
    labels = [o.label for o in result.outcomes]
    if definition is not None and definition not in labels:
        raise InvalidInput(
            f"claim {claim_id} was not measured by {definition} (measured by: {', '.join(labels)})"
        )
    traces = []
    claim = chosen.claim
    periods = periods_at(store, seq)
    for o in result.outcomes:
        if o.value is None or (definition is not None and o.label != definition):
            continue
        for year in claim.years:
            request = TraceRequest(
                jurisdictions=(claim.jurisdiction,),
                year=str(year),
                definition=o.label,
                tier=o.tier,
                stages=tuple(claim.stages or ()),
                gdp_basis=claim.gdp_basis,
                as_of=str(seq),
            )
            table = trace_table(store, request)
            traces.append(
                {
                    "definition": o.label,
                    "fiscal_year": year,
                    "year_label": periods.label(claim.jurisdiction, year),
                    "currency": table.meta.get("currency"),
                    "caption": table.caption,
                    "columns": table.columns,
                    "rows": table.rows,
                }  # fmt: skip
            )
    return {
        "meta": context.meta,
        "claim": check_doc(result),
        "history": history,
        "traces": traces,
    }
