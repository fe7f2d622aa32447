"""What ``totals``, ``replay`` and ``trace`` share: parsing a question (jurisdiction, fiscal
years, definitions, stages, tier), choosing definition versions, and the provenance ``meta``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.quoting import quoted
from events.stages import Stage
from events.values import parse_fiscal_year
from ledger.errors import InvalidInput
from ledger.projections.definitions import (
    DefinitionVersion,
    definition_names,
    describe_versions,
    parse_spec,
    select,
    version_meta,
)
from ledger.projections.fold import LedgerState
from ledger.projections.measure import GdpUsed, Measure, RateUsed
from ledger.projections.periods import Periods, YearLabel, fy_label, periods_at
from ledger.projections.persisted import state_at
from ledger.queries.asof import AsOf, resolve_as_of
from ledger.storage.store import EventStore

STAGES = tuple(stage.value for stage in Stage)


@dataclass
class Context:
    """A question's resolved moment, the aggregate state the ledger held then, and the year
    bases it had recorded."""

    as_of: AsOf
    state: LedgerState
    meta: dict[str, Any]
    periods: Periods


def open_context(store: EventStore, as_of: str | None, jurisdiction: str | None) -> Context:
    """Resolve ``--as-of`` and load the state as of that seq, with the head and as-of hashes."""
    moment = resolve_as_of(store, as_of)
    state = state_at(store, moment.seq, jurisdiction)
    head = store.head()
    at = store.get(moment.seq) if moment.seq else None
    meta: dict[str, Any] = {
        "head": {"seq": head.seq if head else 0, "hash": head.hash if head else "0" * 64},
        "as_of": {
            "seq": moment.seq,
            "spec": moment.spec,
            "hash": at.hash if at else "0" * 64,
            "recorded_at": at.recorded_at if at else None,
        },
    }
    return Context(moment, state, meta, periods_at(store, moment.seq))


def parse_jurisdiction(text: str) -> str:
    value = text.strip().upper()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise InvalidInput(f"jurisdiction {quoted(text)} is not an ISO 3166-1 alpha-2 code like JP")
    return value


def parse_year(text: str) -> int:
    try:
        return parse_fiscal_year(text)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def parse_years(text: str) -> list[int]:
    """``FY2025`` or a range ``FY2022..FY2027`` (inclusive)."""
    if ".." in text:
        first, _, last = text.partition("..")
        start, stop = parse_year(first), parse_year(last)
        if start > stop:
            raise InvalidInput(f"fiscal year range {quoted(text)} runs backwards")
        return list(range(start, stop + 1))
    return [parse_year(text)]


def parse_stages(values: tuple[str, ...]) -> tuple[str, ...] | None:
    if not values:
        return None
    for value in values:
        if value not in STAGES:
            raise InvalidInput(f"unknown stage {quoted(value)} (stages: {', '.join(STAGES)})")
    return tuple(values)


def versions_for(
    state: LedgerState,
    specs: tuple[str, ...],
    fiscal_year: int,
    notes: list[str],
    year_label: YearLabel = fy_label,
) -> list[DefinitionVersion]:
    """The versions to measure a year by: each ``--definition`` (``NAME@N`` exactly, ``NAME``
    the version in force), or, without one, every definition's version in force."""
    definitions = state.definitions
    if not definitions:
        raise InvalidInput("no definition is recorded (open one: defledger record definition …)")
    chosen: list[DefinitionVersion] = []
    for spec in specs or tuple(definition_names(definitions)):
        version = select(definitions, spec, fiscal_year)
        if version is None:
            if specs:
                name = parse_spec(spec)[0]
                notes.append(
                    f"{year_label(fiscal_year)}: no adopted version of {name} is in force "
                    f"({describe_versions(definitions, name)})"
                )
            continue
        if version not in chosen:
            chosen.append(version)
    return chosen


def no_version_error(
    state: LedgerState, specs: tuple[str, ...], years: list[int], year_label: YearLabel = fy_label
) -> InvalidInput:
    span = year_label(years[0]) + (f"..{year_label(years[-1])}" if len(years) > 1 else "")
    known = "; ".join(
        describe_versions(state.definitions, name) for name in definition_names(state.definitions)
    )
    which = ", ".join(specs) if specs else "any definition"
    return InvalidInput(
        f"no adopted version of {which} is in force for {span} ({known}); "
        "choose one with --definition NAME@N"
    )


def provenance(meta: dict[str, Any], measures: list[Measure], places: int) -> dict[str, Any]:
    """The meta block: head, as-of, every version measured (with status), every GDP figure and
    exchange rate used, and the rounding rule."""
    versions: dict[str, dict[str, Any]] = {}
    gdp: dict[tuple[str, int, str, str], GdpUsed] = {}
    rates: dict[tuple[str, str, int], RateUsed] = {}
    for m in measures:
        versions.setdefault(m.version.label, version_meta(m.version))
        if m.gdp is not None:
            gdp[(m.gdp.jurisdiction, m.gdp.fiscal_year, m.gdp.vintage, m.gdp.basis)] = m.gdp
        for rate in m.rates:
            rates[(rate.base, rate.quote, rate.fiscal_year)] = rate
    return {
        **meta,
        "definitions": list(versions.values()),
        "gdp": [gdp[key].meta() for key in sorted(gdp)],
        "exchange_rates": [rates[key].meta() for key in sorted(rates)],
        "share_of_gdp": "total / GDP × 100, exact (50 significant digits); "
        f"displayed rounded ROUND_HALF_UP to {places} places",
        "places": places,
    }
