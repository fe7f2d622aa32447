"""Where diffs read their inputs: the full state as of a seq, fiscal-year ranges, definition
versions by name, and the provenance block every report carries.

Diffs fold the events in memory (``ledger.projections.fold.fold_all``) instead of reading the
persisted projections: they need every line, and a diff or what-if must never write.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import InvalidInput, NotFound
from ledger.projections.definitions import DefinitionVersion, parse_spec, select
from ledger.projections.fold import LedgerState, fold_all
from ledger.projections.measure import fiscal_years_with_lines
from ledger.queries.asof import AsOf, moment_meta
from ledger.queries.question import parse_years, provenance
from ledger.reports.model import PP_PLACES, Section
from ledger.storage.records import StoredEvent
from ledger.storage.store import EventStore


def read_events(store: EventStore, stop: int) -> list[StoredEvent]:
    return list(store.read(stop=stop)) if stop > 0 else []


def state_at(events: list[StoredEvent], seq: int) -> LedgerState:
    """The state after the events with ``seq`` ≤ the given one (seqs are gapless from 1)."""
    return fold_all(events[:seq])


def default_years(state: LedgerState, jurisdiction: str, fy: str | None) -> list[int]:
    """The years asked for, or the latest year with budget lines."""
    if fy:
        return parse_years(fy)
    years = fiscal_years_with_lines(state, jurisdiction)
    if not years:
        raise InvalidInput(f"no budget lines recorded for {jurisdiction}; give --fy")
    return [years[-1]]


def places_meta(places: list[str]) -> dict[str, Any]:
    """What a report's meta says about its jurisdictions: ``jurisdiction`` when there is one
    (None otherwise), and ``jurisdictions``, always."""
    return {"jurisdiction": places[0] if len(places) == 1 else None, "jurisdictions": places}


def empty_version(name: str, version: int) -> DefinitionVersion:
    """A version that counts nothing: what a definition is before it is recorded."""
    return DefinitionVersion(name, version, "(not recorded yet)", None, 0)


def pick(
    state: LedgerState, spec: str, fiscal_year: int, *, missing_ok: bool = False
) -> tuple[DefinitionVersion, str]:
    """The version ``spec`` names for a year, and its label. ``NAME`` is the version in force
    for that year. With ``missing_ok`` an unknown or not-in-force definition is an empty one
    (an as-of moment before it was recorded)."""
    name, number = parse_spec(spec)
    try:
        found = select(state.definitions, spec, fiscal_year)
    except NotFound:
        if not missing_ok:
            raise
        found = None
    if found is None:
        if not missing_ok:
            raise NotFound(f"no version of {name} is in force for FY{fiscal_year}")
        label = f"{name}@{number}" if number else f"{name} (none in force)"
        return empty_version(name, number or 0), label + " (not recorded)"
    label = found.label if number else f"{name} (in force: @{found.version})"
    return found, label


def report_meta(
    store: EventStore, as_of: AsOf | list[AsOf], sections: list[Section], **extra: Any
) -> dict[str, Any]:
    """The provenance block, as ``totals`` gives it: the head, the moment(s) measured, what
    was asked, every version measured, every GDP figure and exchange rate used."""
    head = store.head()
    meta = {
        "head": {"seq": head.seq if head else 0, "hash": head.hash if head else "0" * 64},
        "as_of": [moment_meta(store, moment) for moment in as_of]
        if isinstance(as_of, list)
        else moment_meta(store, as_of),
        **extra,
    }
    measures = [side.evaluation.measure for s in sections for side in (s.a, s.b)]
    return provenance(meta, measures, PP_PLACES)
