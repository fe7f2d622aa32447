"""``what-if``: preview a definition change without writing anything.

The hypothetical version B is NAME@V as recorded, changed by the same events a real change
would append (``CategoryIncluded``, ``CategoryExcluded``, ``StagesSet``, ``GdpBasisSet``),
validated by the event models and folded by
``ledger.projections.definitions.apply_definition_event`` into
a private copy; nothing reaches the store. The store itself is opened read-only (SQLite
``mode=ro``; a read-only session on PostgreSQL), so the ledger file is byte-identical after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from events import CategoryExcluded, CategoryIncluded, EventModel, GdpBasisSet, StagesSet
from events.base import decimal_str
from events.quoting import named
from ledger.errors import InvalidInput, describe_validation_error
from ledger.projections.definitions import DefinitionVersion, apply_definition_event
from ledger.projections.fold import LedgerState
from ledger.projections.measure import parse_basis
from ledger.projections.periods import periods_at
from ledger.queries.asof import AsOf
from ledger.queries.jurisdictions import jurisdictions_of
from ledger.queries.question import parse_stages
from ledger.reports.diff import ORDER_TEXT, diff_sections, sections_by_period
from ledger.reports.model import DiffReport, Section
from ledger.reports.sources import (
    pick,
    places_meta,
    read_events,
    report_meta,
    state_at,
)
from ledger.storage.store import EventStore


@dataclass(frozen=True)
class Hypothesis:
    """The changes a what-if applies: ``--include CODE[=SHARE][:TIER]`` (repeatable),
    ``--exclude CODE``, ``--stages``, ``--gdp-basis`` and ``--stage-rule``."""

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    stages: str | None = None
    gdp_basis: str | None = None
    stage_rule: str | None = None

    def describe(self) -> str:
        parts = [f"+{text}" for text in self.includes] + [f"−{code}" for code in self.excludes]
        if self.stages:
            parts.append(f"stages {self.stages}")
        if self.stage_rule:
            parts.append(f"stage rule {self.stage_rule}")
        if self.gdp_basis:
            parts.append(f"GDP basis {self.gdp_basis}")
        return ", ".join(parts) or "no change"


def open_read_only(db: str | None) -> EventStore:
    """The store, opened so that it cannot write (``EventStore.open(read_only=True)``: SQLite
    with ``mode=ro``, the file must exist; PostgreSQL with every transaction READ ONLY)."""
    return EventStore.open(db, read_only=True)


def _include(text: str) -> tuple[str, str | None, str | None]:
    code, _, rest = text.partition("=")
    share, tier = rest, None
    if ":" in (rest or code):
        if rest:
            share, _, tier = rest.partition(":")
        else:
            code, _, tier = code.partition(":")
    return code.strip(), share.strip() or None, (tier or "").strip() or None


def _validated(model: type[EventModel], fields: dict[str, Any], option: str) -> dict[str, Any]:
    try:
        return model.model_validate(fields).model_dump(mode="json")
    except ValidationError as exc:
        raise InvalidInput(f"{option}: {describe_validation_error(exc)}") from exc


def hypothetical_events(
    base: DefinitionVersion, hypothesis: Hypothesis, state: LedgerState
) -> list[tuple[str, dict[str, Any]]]:
    """The definition events the hypothesis stands for, validated like real ones."""
    name, number = base.definition, base.version
    found: list[tuple[str, dict[str, Any]]] = []
    for code in hypothesis.excludes:
        if code not in base.categories:
            raise InvalidInput(
                f"--exclude {named(code)}: {named(code)} is not included in {base.label}"
            )
        fields = {"definition": name, "version": number, "category": code}
        found.append(("CategoryExcluded", _validated(CategoryExcluded, fields, "--exclude")))
    for text in hypothesis.includes:
        code, share, tier = _include(text)
        if code not in state.categories:
            raise InvalidInput(
                f"--include {named(text)}: category {named(code)} is not defined "
                "(define it first, or fix the code)"
            )
        current = base.categories.get(code)
        fields = {"definition": name, "version": number, "category": code,
                  "share": share or (decimal_str(current.share) if current else "1"),
                  "tier": tier or (current.tier if current else "core")}  # fmt: skip
        found.append(("CategoryIncluded", _validated(CategoryIncluded, fields, "--include")))
    if hypothesis.stages or hypothesis.stage_rule:
        # one of the two given: the other stays as the version has it
        stages = (
            parse_stages(tuple(s.strip() for s in hypothesis.stages.split(",") if s.strip()))
            if hypothesis.stages
            else base.counted_stages
        )
        fields = {"definition": name, "version": number, "stages": list(stages or ()),
                  "rule": hypothesis.stage_rule or base.stage_rule}  # fmt: skip
        option = "--stages" if hypothesis.stages else "--stage-rule"
        found.append(("StagesSet", _validated(StagesSet, fields, option)))
    if hypothesis.gdp_basis:
        basis = parse_basis(hypothesis.gdp_basis)
        fields = {"definition": name, "version": number, "basis": basis.kind,
                  "fiscal_year": basis.fiscal_year, "vintage": basis.vintage}  # fmt: skip
        found.append(("GdpBasisSet", _validated(GdpBasisSet, fields, "--gdp-basis")))
    return found


def apply_hypothesis(
    base: DefinitionVersion, hypothesis: Hypothesis, state: LedgerState
) -> DefinitionVersion:
    """A private copy of ``base`` with the hypothetical events folded in (seq 0: unrecorded)."""
    key = (base.definition, base.version)
    definitions = {key: replace(base, categories=dict(base.categories))}
    for event_type, payload in hypothetical_events(base, hypothesis, state):
        apply_definition_event(definitions, 0, event_type, payload)
    return definitions[key]


def what_if(
    store: EventStore,
    spec: str,
    hypothesis: Hypothesis,
    *,
    jurisdictions: Sequence[str] = (),
    fy: str | None = None,
    as_of: AsOf,
    tier: str | None = None,
    period: str = "fiscal",
) -> DiffReport:
    """The report ``diff`` would print between ``spec`` as recorded and the hypothesis, per
    jurisdiction and fiscal year (or calendar year)."""
    state = state_at(read_events(store, as_of.seq), as_of.seq)
    places = jurisdictions_of(store, state, jurisdictions, as_of.seq)
    label = f"{spec} (what-if: {hypothesis.describe()})"
    periods = periods_at(store, as_of.seq)
    sections = []
    asked: set[int] = set()
    for place in places:

        def section_of(year: int, place: str = place) -> Section:
            base, _ = pick(state, spec, year)
            changed = apply_hypothesis(base, hypothesis, state)
            [section] = diff_sections(
                state, spec, changed, jurisdiction=place, years=[year], as_of=as_of.seq,
                tier=tier, b_label=label, year_basis=periods.of(place),
            )  # fmt: skip
            return section

        years, found = sections_by_period(store, state, as_of.seq, place, fy, period, section_of)
        asked.update(years)
        sections += found
    meta = report_meta(
        store, as_of, sections, **places_meta(places), fiscal_years=sorted(asked), tier=tier,
        hypothetical=True, hypothesis=_hypothesis_meta(hypothesis),
        **({"period": period} if period != "fiscal" else {}),
    )  # fmt: skip
    return DiffReport("what-if", spec, label, ORDER_TEXT, sections, meta)


def _hypothesis_meta(hypothesis: Hypothesis) -> dict[str, Any]:
    return {
        "include": list(hypothesis.includes),
        "exclude": list(hypothesis.excludes),
        "stages": hypothesis.stages,
        "stage_rule": hypothesis.stage_rule,
        "gdp_basis": hypothesis.gdp_basis,
    }


__all__: Sequence[str] = ["Hypothesis", "apply_hypothesis", "open_read_only", "what_if"]
