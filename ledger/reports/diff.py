"""Definition diffs that quantify the money: what changed between two definition states, and
how much each change moves the total and the share of GDP, line by line.

The structural diff is deepdiff's, on documents keyed by stable codes with every value a
string (``definition_doc``), so no Decimal ever becomes a float and a path reads
``root['categories']['JP.CAND.SPACE']['share']``. The money effect of each change is measured
by walking from A to B one change at a time, in a fixed **attribution order**: stages added,
stages removed, the stage rule, categories added, removed, re-weighted, tier moves, GDP basis.
So a stage change is measured on A's categories and a category change on B's stages (an added
category shows the money it brings into the new definition, whatever stage its lines are in).
Each step is measured against the state after the previous steps, at A's GDP until the
GDP-basis step, so the effects telescope: they sum exactly to total(B) − total(A) and
share(B) − share(A). Within one kind the steps are independent of each other (the GDP is
fixed), so their order within a kind is free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from ledger.errors import LedgerError
from ledger.intake.lines import LineState
from ledger.projections.definitions import DefinitionVersion, Inclusion
from ledger.projections.fold import LedgerState, dec_str
from ledger.projections.periods import DEFAULT_BASIS, YearBasis, periods_at
from ledger.queries.asof import AsOf
from ledger.queries.jurisdictions import jurisdictions_of
from ledger.reports.model import (
    Change,
    DiffReport,
    LineEffect,
    Section,
    Side,
    check_sums,
    measure_of,
    share_of,
)
from ledger.reports.sources import (
    default_years,
    pick,
    places_meta,
    read_events,
    report_meta,
    state_at,
)
from ledger.reports.structure import (
    definition_doc,
    delta_document,
    ordered_stages,
    structural_diff,
)
from ledger.reports.valuation import Evaluation, Figures, evaluate, figures_of
from ledger.storage.store import EventStore

KINDS = (
    "stage-added",
    "stage-removed",
    "stage-rule",
    "category-added",
    "category-removed",
    "re-weighted",
    "tier-moved",
    "gdp-basis",
)
ORDER_TEXT = (
    "stages added → stages removed → stage rule → categories added → removed → re-weighted → "
    "tier moves → GDP basis; each measured against the state after the previous steps (so a "
    "stage change is measured on A's categories, a category on B's stages), at A's GDP until "
    "the GDP-basis step; the effects sum exactly to B − A"
)
NO_FIGURE = "included, no figure recorded"


# -- structure ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    kind: str
    key: str
    before: str | None
    after: str | None
    version: DefinitionVersion
    seqs: tuple[int, ...]


def _describe(inclusion: Inclusion | None) -> str | None:
    return None if inclusion is None else f"{dec_str(inclusion.share)} {inclusion.tier}"


def plan_steps(a: DefinitionVersion, b: DefinitionVersion) -> list[_Planned]:
    """The walk from A to B in attribution order, read off deepdiff's tree view."""
    tree = structural_diff(definition_doc(a), definition_doc(b), tree=True)
    kinds: dict[str, set[str]] = {kind: set() for kind in KINDS}
    stages_touched = rule_touched = basis_touched = False
    for report_type, levels in tree.items():
        for level in levels:
            path = level.path(output_format="list")
            if path[0] == "categories" and len(path) == 2:
                added = report_type == "dictionary_item_added"
                kinds["category-added" if added else "category-removed"].add(path[1])
            elif path[0] == "categories":
                kinds["re-weighted" if path[2] == "share" else "tier-moved"].add(path[1])
            elif path[0] == "stages":
                stages_touched = True
            elif path[0] == "stage_rule":
                rule_touched = True
            else:
                basis_touched = True
    steps: list[_Planned] = []
    state = replace(a, categories=dict(a.categories))
    if stages_touched:
        have, want = set(state.counted_stages), set(b.counted_stages)
        stage_seqs = (b.stages_seq,) if b.stages_seq else ()
        for stage in ordered_stages(want - have):
            have.add(stage)
            state = replace(state, stages=tuple(ordered_stages(have)))
            steps.append(_Planned("stage-added", stage, None, stage, state, stage_seqs))
        for stage in ordered_stages(have - want):
            have.discard(stage)
            state = replace(state, stages=tuple(ordered_stages(have)))
            steps.append(_Planned("stage-removed", stage, stage, None, state, stage_seqs))
    if rule_touched:
        state = replace(state, stage_rule=b.stage_rule)
        seqs = (b.stages_seq,) if b.stages_seq else ()
        steps.append(_Planned("stage-rule", "stage_rule", a.stage_rule, b.stage_rule, state, seqs))
    for code in sorted(kinds["category-added"]):
        state = replace(state, categories={**state.categories, code: b.categories[code]})
        inc = b.categories[code]
        steps.append(_Planned("category-added", code, None, _describe(inc), state, (inc.seq,)))
    for code in sorted(kinds["category-removed"]):
        categories = dict(state.categories)
        old = categories.pop(code)
        state = replace(state, categories=categories)
        steps.append(_Planned("category-removed", code, _describe(old), None, state, ()))
    for code in sorted(kinds["re-weighted"]):
        old, new = state.categories[code], b.categories[code]
        moved = Inclusion(new.share, old.tier, new.seq)
        state = replace(state, categories={**state.categories, code: moved})
        steps.append(
            _Planned("re-weighted", code, dec_str(old.share), dec_str(new.share), state, (new.seq,))
        )
    for code in sorted(kinds["tier-moved"]):
        old, new = state.categories[code], b.categories[code]
        state = replace(state, categories={**state.categories, code: new})
        steps.append(_Planned("tier-moved", code, old.tier, new.tier, state, (new.seq,)))
    if basis_touched:
        state = replace(state, basis=b.basis)
        seqs = (b.basis_seq,) if b.basis_seq else ()
        steps.append(
            _Planned("gdp-basis", "gdp_basis", a.basis.label(), b.basis.label(), state, seqs)
        )
    if definition_doc(state) != definition_doc(b):
        raise LedgerError("internal error: the attribution walk does not reach B")
    return steps


# -- money ----------------------------------------------------------------------------------


def make_side(
    label: str, version: DefinitionVersion, as_of: int, figures: Figures, tier: str | None,
    fallback_gdp: Decimal | None = None,
) -> Side:  # fmt: skip
    """A definition state measured on some figures; without a GDP for its basis, divided by
    ``fallback_gdp`` when given (a point on a walk, see ``measure_changes``)."""
    evaluation = evaluate(version, figures)
    measure = measure_of(evaluation, tier)
    gdp = evaluation.gdp.amount if evaluation.gdp else fallback_gdp
    return Side(label, version, as_of, evaluation, measure, share_of(measure, gdp))


def line_effects(
    before: Evaluation, after: Evaluation, lines: Iterable[LineState]
) -> tuple[LineEffect, ...]:
    """Lines whose counted amount or tier differs between two evaluations."""
    effects = []
    for line in lines:
        old, new = before.counted.get(line.line_id), after.counted.get(line.line_id)
        if old == new:
            continue
        effects.append(
            LineEffect(
                line_id=line.line_id,
                agency=line.agency,
                program=line.program,
                category=line.category,
                stage=line.stage,
                amount=line.amount,
                before=old[1] if old else Decimal(0),
                after=new[1] if new else Decimal(0),
                tier_before=old[0] if old else None,
                tier_after=new[0] if new else None,
            )
        )
    return tuple(sorted(effects, key=lambda e: (-abs(e.delta), -e.amount, e.line_id)))


def _note(kind: str, key: str, figures: Figures, effects: Sequence[LineEffect]) -> str:
    if kind not in ("category-added", "category-removed", "re-weighted") or effects:
        return ""
    if not any(line.category == key for line in figures.lines):
        return NO_FIGURE if kind != "category-removed" else "no figure recorded"
    return "no line in the counted stages"


@dataclass(frozen=True)
class Point:
    """A state on the walk: a definition state applied to some figures, reached by a step."""

    kind: str
    key: str
    before: str | None
    after: str | None
    version: DefinitionVersion
    figures: Figures
    seqs: tuple[int, ...] = ()
    group: str = ""
    items: tuple[str, ...] = ()


def points_of(steps: Sequence[_Planned], figures: Figures, group: str = "") -> list[Point]:
    return [
        Point(s.kind, s.key, s.before, s.after, s.version, figures, s.seqs, group) for s in steps
    ]


def measure_changes(
    start: Side, start_figures: Figures, points: Sequence[Point], tier: str | None,
    fallback_gdp: Decimal | None = None,
) -> list[Change]:  # fmt: skip
    """Measure each point against the one before it. A point whose basis has no GDP figure
    is divided by ``fallback_gdp`` (B's), so the pp effects still telescope exactly."""
    changes: list[Change] = []
    previous, previous_share = start.evaluation, start.share
    previous_lines = start_figures.lines
    for number, point in enumerate(points, start=1):
        current = evaluate(point.version, point.figures)
        measure = measure_of(current, tier)
        gdp = current.gdp.amount if current.gdp else fallback_gdp
        share = share_of(measure, gdp)
        delta_pp = None if share is None or previous_share is None else share - previous_share
        lines = {line.line_id: line for line in previous_lines}
        lines.update({line.line_id: line for line in point.figures.lines})
        effects = line_effects(previous, current, lines.values())
        tiers = sorted(set(previous.by_tier) | set(current.by_tier))
        tier_deltas = {
            t: current.by_tier.get(t, Decimal(0)) - previous.by_tier.get(t, Decimal(0))
            for t in tiers
        }
        changes.append(
            Change(
                step=number,
                kind=point.kind,
                key=point.key,
                before=point.before,
                after=point.after,
                delta_amount=measure - measure_of(previous, tier),
                delta_pp=delta_pp,
                tier_deltas={t: d for t, d in tier_deltas.items() if d},
                lines=effects,
                note=_note(point.kind, point.key, point.figures, effects),
                seqs=tuple(s for s in point.seqs if s),
                group=point.group,
                items=point.items,
            )
        )
        previous, previous_share, previous_lines = current, share, point.figures.lines
    return changes


def largest_first(changes: Sequence[Change]) -> list[Change]:
    """Within each kind (of each part), the largest effect first (steps of one kind are
    independent of each other, so their order does not change any effect); kinds keep their
    attribution order."""
    first: dict[tuple[str, str], int] = {}
    for index, change in enumerate(changes):
        first.setdefault((change.group, change.kind), index)
    ordered = sorted(changes, key=lambda c: (first[(c.group, c.kind)], -abs(c.delta_amount), c.key))
    return [replace(change, step=number) for number, change in enumerate(ordered, start=1)]


def compare(
    a: DefinitionVersion,
    b: DefinitionVersion,
    figures: Figures,
    *,
    a_label: str | None = None,
    b_label: str | None = None,
    as_of: int = 0,
    tier: str | None = None,
    year_basis: YearBasis = DEFAULT_BASIS,
) -> Section:
    """The diff of A and B on one fiscal year's figures, change by change."""
    side_a = make_side(a_label or a.label, a, as_of, figures, tier)
    side_b = make_side(b_label or b.label, b, as_of, figures, tier)
    fallback = side_b.evaluation.gdp.amount if side_b.evaluation.gdp else None
    points = points_of(plan_steps(a, b), figures)
    changes = largest_first(measure_changes(side_a, figures, points, tier, fallback))
    doc_a, doc_b = definition_doc(a), definition_doc(b)
    section = Section(
        figures.jurisdiction, figures.fiscal_year, side_b.evaluation.measure.currency, tier,
        side_a, side_b, tuple(changes), doc_a, doc_b, delta_document(doc_a, doc_b),
        notes=gdp_notes(side_a, side_b), year_basis=year_basis,
    )  # fmt: skip
    check_sums(section)
    return section


def gdp_notes(a: Side, b: Side) -> tuple[str, ...]:
    """Say plainly when a share cannot be computed."""
    notes = []
    for side in (a, b):
        if side.share is None:
            basis = side.version.basis.label()
            notes.append(f"{side.label}: no GDP recorded for its basis ({basis}); no share")
    return tuple(notes)


def diff_sections(
    state: LedgerState,
    spec_a: str | DefinitionVersion,
    spec_b: str | DefinitionVersion,
    *,
    jurisdiction: str,
    years: Sequence[int],
    as_of: int,
    tier: str | None = None,
    b_label: str | None = None,
    year_basis: YearBasis = DEFAULT_BASIS,
) -> list[Section]:
    """One section per fiscal year; a spec is ``NAME@N``, ``NAME`` (in force) or a version
    object (a what-if)."""
    sections = []
    for year in years:
        a, label_a = _version(state, spec_a, year)
        b, label_b = _version(state, spec_b, year)
        figures = figures_of(state, jurisdiction, year)
        sections.append(
            compare(
                a,
                b,
                figures,
                a_label=label_a,
                b_label=b_label or label_b,
                as_of=as_of,
                tier=tier,
                year_basis=year_basis,
            )  # fmt: skip
        )
    return sections


def sections_by_period(
    store: EventStore,
    state: LedgerState,
    seq: int,
    jurisdiction: str,
    fy: str | None,
    period: str,
    section_of: Callable[[int], Section],
) -> tuple[list[int], list[Section]]:
    """The years asked for and their sections: fiscal years as recorded, or calendar years
    combined from their fiscal years (``ledger.reports.calendar_diff``)."""
    if period != "calendar":
        years = default_years(state, jurisdiction, fy)
        return years, [section_of(year) for year in years]
    from ledger.reports.calendar_diff import calendar_rule, calendar_sections, calendar_years

    rule = calendar_rule(store, seq, jurisdiction)
    years = calendar_years(state, rule, jurisdiction, fy)
    return years, calendar_sections(rule, years, section_of)


def _version(
    state: LedgerState, spec: str | DefinitionVersion, year: int
) -> tuple[DefinitionVersion, str]:
    if isinstance(spec, DefinitionVersion):
        return spec, spec.label
    return pick(state, spec, year)


def definition_diff(
    store: EventStore,
    spec_a: str,
    spec_b: str,
    *,
    jurisdictions: Sequence[str] = (),
    fy: str | None = None,
    as_of: AsOf,
    tier: str | None = None,
    period: str = "fiscal",
) -> DiffReport:
    """``diff NAME@A NAME@B``: the structural diff and its money effect, per jurisdiction and
    fiscal year (or calendar year: ``ledger.reports.calendar_diff``), as the ledger stood at
    ``as_of``."""
    state = state_at(read_events(store, as_of.seq), as_of.seq)
    places = jurisdictions_of(store, state, jurisdictions, as_of.seq)
    periods = periods_at(store, as_of.seq)
    sections: list[Section] = []
    asked: set[int] = set()
    for place in places:

        def section_of(year: int, place: str = place) -> Section:
            [section] = diff_sections(
                state, spec_a, spec_b, jurisdiction=place, years=[year], as_of=as_of.seq,
                tier=tier, year_basis=periods.of(place),
            )  # fmt: skip
            return section

        years, found = sections_by_period(store, state, as_of.seq, place, fy, period, section_of)
        asked.update(years)
        sections += found
    meta = report_meta(
        store, as_of, sections, **places_meta(places), fiscal_years=sorted(asked), tier=tier,
        **({"period": period} if period != "fiscal" else {}),
    )  # fmt: skip
    return DiffReport("definition-diff", spec_a, spec_b, ORDER_TEXT, sections, meta)
