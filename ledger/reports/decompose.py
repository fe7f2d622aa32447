"""``diff --as-of T1 --as-of T2``: what the ledger learned between two moments about one
measure, and an exact decomposition of the change in its share of GDP.

Attribution: **each cause alone, then their joint effect** (not an order of steps, so no cause
can hide behind another):

(a) **definition change alone** — the version as known at T1 → as known at T2 (including a switch
    of the version in force), at T1's figures and T1's GDP, change by change as in
    ``ledger.reports.diff`` (a GDP-basis change is part of the definition);
(b) **figure changes alone** — exchange rates, then budget lines recorded, revised,
    reclassified, withdrawn (``ledger.reports.figure_changes``), at T1's definition and GDP;
(c) **joint effect** — what exists only because both changed: each figure change measured at
    T2's definition minus the same change at T1's (e.g. new lines in a stage that only T2's
    definition counts);
(d) **GDP revision** — T1's GDP → T2's GDP, at T2's definition and figures.

With V(definition, figures, GDP): (a) = V(D2,F1,G1) − V(D1,F1,G1), (b) = V(D1,F2,G1) −
V(D1,F1,G1), (c) = V(D2,F2,G1) − V(D2,F1,G1) − (b), (d) = V(D2,F2,G2) − V(D2,F2,G1); they sum
exactly to V(D2,F2,G2) − V(D1,F1,G1), in money and in percentage points. When a point has no
GDP figure for its basis (e.g. a basis whose GDP was recorded only after T1), it is divided by
T2's GDP, and a note says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from events.base import SCHEMA_JURISDICTION
from ledger.errors import InvalidInput
from ledger.intake.lines import LINE_EVENTS, key_of_payload
from ledger.projections.definitions import (
    DEFINITION_EVENTS,
    DefinitionVersion,
    definition_names,
    parse_spec,
)
from ledger.projections.fold import LedgerState
from ledger.projections.periods import DEFAULT_BASIS, YearBasis, periods_at
from ledger.queries.asof import AsOf
from ledger.queries.history import summary
from ledger.queries.jurisdictions import jurisdictions_of
from ledger.reports.diff import (
    Point,
    gdp_notes,
    largest_first,
    make_side,
    measure_changes,
    plan_steps,
    points_of,
    sections_by_period,
)
from ledger.reports.figure_changes import FigureStep, figure_steps
from ledger.reports.model import Change, DiffReport, Section, check_sums
from ledger.reports.sources import (
    pick,
    places_meta,
    read_events,
    report_meta,
    state_at,
)
from ledger.reports.structure import definition_doc, delta_document
from ledger.reports.valuation import evaluate, figures_of
from ledger.storage.records import DECODE_ERRORS, StoredEvent, unreadable
from ledger.storage.store import EventStore

ATTRIBUTION = "alone-and-joint"
ORDER_TEXT = (
    "(a) the definition change alone, at T1's figures and GDP; (b) the figure changes alone "
    "(exchange rates, lines recorded, revised, reclassified, withdrawn), at T1's definition and "
    "GDP; (c) their joint effect, what exists only because both changed (the figure changes "
    "at T2's definition minus at T1's); (d) the GDP revision, at T2's definition and figures; "
    "no part depends on which change is taken first, and the parts sum exactly to the change "
    "from T1 to T2"
)
LINE_WHAT = {
    "BudgetLineRecorded": "line recorded",
    "BudgetLineRevised": "line revised",
    "BudgetLineReclassified": "line reclassified",
    "BudgetLineWithdrawn": "line withdrawn",
}


def default_definition(state: LedgerState, spec: str | None) -> str:
    """``--definition``, or the only definition recorded."""
    if spec:
        return spec
    names = definition_names(state.definitions)
    if len(names) == 1:
        return names[0]
    known = ", ".join(names) or "none recorded"
    raise InvalidInput(f"choose a measure with --definition NAME or NAME@N (definitions: {known})")


def learned_events(
    window: list[StoredEvent],
    before: LedgerState,
    name: str,
    versions: set[int],
    pinned: bool,
    jurisdiction: str,
    fiscal_year: int,
    gdp_years: set[int],
) -> list[dict[str, Any]]:
    """The events between the two moments that bear on the measure, classified: lines of the
    year, GDP of the years the bases divide by, exchange rates of the year, and changes to the
    versions measured (any status change of the definition, when the version in force is
    measured: it may switch)."""
    seen_gdp = {year for (j, year) in before.gdp if j == jurisdiction}
    found = []
    for stored in window:
        p, kind = stored.payload, stored.type
        what = None
        try:
            if kind in LINE_EVENTS:
                key = key_of_payload(p)
                if key.startswith(f"{jurisdiction}/FY{fiscal_year}/"):
                    what = LINE_WHAT[kind]
            elif (
                kind == "GdpRecorded"
                and (p.get("jurisdiction") or SCHEMA_JURISDICTION) == jurisdiction
            ):
                year = int(p["fiscal_year"])
                if year in gdp_years:
                    what = "GDP revised" if year in seen_gdp else "GDP recorded"
                seen_gdp.add(year)
            elif kind == "ExchangeRateRecorded" and int(p["fiscal_year"]) == fiscal_year:
                what = "exchange rate recorded"
            elif p.get("definition") == name and kind in DEFINITION_EVENTS:
                changed = int(p["version"]) in versions
                if changed or (kind == "DefinitionStatusChanged" and not pinned):
                    what = "definition changed"
        except DECODE_ERRORS as exc:
            raise unreadable(stored.seq, kind, stored.schema_version, exc) from None
        if what:
            found.append(
                {
                    "seq": stored.seq,
                    "recorded_at": stored.recorded_at,
                    "what": what,
                    "type": kind,
                    "stream": stored.stream,
                    "summary": summary(stored),
                    "actor": stored.actor,
                    "reason": stored.reason,
                }
            )
    return found


def _gdp_label(version: DefinitionVersion, figures: Any, year_basis: YearBasis) -> str:
    gdp = evaluate(version, figures).gdp
    return gdp.label(year_basis.label) if gdp else "none recorded"


def decompose_year(
    s1: LedgerState,
    s2: LedgerState,
    spec: str,
    jurisdiction: str,
    year: int,
    moments: tuple[AsOf, AsOf],
    window: list[StoredEvent],
    tier: str | None = None,
    year_basis: YearBasis = DEFAULT_BASIS,
) -> Section:
    """The decomposition for one fiscal year (see the module docstring)."""
    t1, t2 = moments
    d1, label1 = pick(s1, spec, year, missing_ok=True)
    d2, label2 = pick(s2, spec, year)
    f1, f2 = figures_of(s1, jurisdiction, year), figures_of(s2, jurisdiction, year)
    side_a = make_side(f"{label1} as of seq {t1.seq}", d1, t1.seq, f1, tier)
    side_b = make_side(f"{label2} as of seq {t2.seq}", d2, t2.seq, f2, tier)
    name = parse_spec(spec)[0]
    basis_years = {v.basis.fiscal_year or year for v in (d1, d2)} | {year}
    pinned = parse_spec(spec)[1] is not None
    versions = {d2.version} if pinned else {d1.version, d2.version}
    events = learned_events(window, s1, name, versions, pinned, jurisdiction, year, basis_years)
    fallback = side_b.evaluation.gdp.amount if side_b.evaluation.gdp else None
    # (a) the definition alone, at T1's figures
    points: list[Point] = []
    if d1.version != d2.version:
        points.append(Point("version-switch", name, f"@{d1.version}", f"@{d2.version}", d1, f1,
                            (d2.status_seq or 0,), "definition"))  # fmt: skip
    points += points_of(plan_steps(d1, d2), f1, "definition")
    definition = measure_changes(side_a, f1, points, tier, fallback)
    # (b) the figures alone, at T1's definition; (c) the same at T2's, less (b)
    mid = f2.with_gdp_from(s1)
    steps = figure_steps(f1, mid)
    seqs = [_figure_seqs(step, events, jurisdiction, year) for step in steps]
    alone = measure_changes(side_a, f1, [
        Point(step.kind, step.key, f"as of seq {t1.seq}", f"as of seq {t2.seq}", d1,
              step.figures, seq, "figures", step.keys)
        for step, seq in zip(steps, seqs, strict=True)
    ], tier, fallback)  # fmt: skip
    start_d2 = make_side(side_b.label, d2, t2.seq, f1, tier, fallback)
    at_d2 = measure_changes(start_d2, f1, [
        Point(step.kind, step.key, None, None, d2, step.figures) for step in steps
    ], tier, fallback)  # fmt: skip
    definition_seqs = sorted({seq for c in definition for seq in c.seqs})
    joint = [
        found
        for one, both, seq in zip(alone, at_d2, seqs, strict=True)
        if (found := _joint(one, both, (*seq, *definition_seqs), d1.label, d2.label))
    ]
    # (d) the GDP revision, at T2's definition and figures
    gdp_seqs = tuple(e["seq"] for e in events if e["what"].startswith("GDP"))
    at_mid = make_side(side_b.label, d2, t2.seq, mid, tier, fallback)
    gdp_before, gdp_after = _gdp_label(d2, mid, year_basis), _gdp_label(d2, f2, year_basis)
    gdp = measure_changes(at_mid, mid, [
        Point("gdp-revision", "gdp", gdp_before, gdp_after, d2, f2, gdp_seqs, "gdp"),
    ], tier, fallback)  # fmt: skip
    changes = largest_first([*definition, *alone, *joint, *gdp])
    notes = list(gdp_notes(side_a, side_b))
    walked = [p.figures for p in points] + [s.figures for s in steps] + [f1, mid]
    if fallback is not None and any(
        evaluate(version, figures).gdp is None for version in (d1, d2) for figures in walked
    ):
        notes.append("a point on the way has no GDP for its basis at T1: divided by T2's GDP")
    doc_a, doc_b = definition_doc(d1), definition_doc(d2)
    section = Section(
        jurisdiction, year, side_b.evaluation.measure.currency, tier, side_a, side_b,
        tuple(changes), doc_a, doc_b, delta_document(doc_a, doc_b), tuple(events), tuple(notes),
        year_basis,
    )  # fmt: skip
    check_sums(section)
    return section


def _figure_seqs(
    step: FigureStep, events: list[dict[str, Any]], jurisdiction: str, year: int
) -> tuple[int, ...]:
    """The events in between behind one kind of figure change."""
    if step.kind == "exchange-rates":
        return tuple(e["seq"] for e in events if e["what"].startswith("exchange"))
    prefix = f"line/{jurisdiction}/FY{year}/"
    ids = set(step.keys)
    return tuple(
        e["seq"]
        for e in events
        if e["what"].startswith("line") and e["stream"].removeprefix(prefix) in ids
    )


def _joint(
    alone: Change, both: Change, seqs: tuple[int, ...], label1: str, label2: str
) -> Change | None:
    """The joint effect of one kind of figure change and the definition change: the change
    measured at T2's definition (``both``) minus at T1's (``alone``); None when there is none.
    Its lines give, per line, what the figure change counts under T1's definition
    (``before``) and under T2's (``after``)."""
    amount = both.delta_amount - alone.delta_amount
    pp = None if both.delta_pp is None or alone.delta_pp is None else both.delta_pp - alone.delta_pp
    under1 = {effect.line_id: effect for effect in alone.lines}
    under2 = {effect.line_id: effect for effect in both.lines}
    effects = []
    for line_id in sorted(set(under1) | set(under2)):
        one, two = under1.get(line_id), under2.get(line_id)
        first, second = (one.delta if one else Decimal(0)), (two.delta if two else Decimal(0))
        if first == second:
            continue
        shown = two or one
        assert shown is not None
        effects.append(replace(
            shown, before=first, after=second, tier_before=one.tier_after if one else None,
            tier_after=two.tier_after if two else None,
        ))  # fmt: skip
    tiers = set(alone.tier_deltas) | set(both.tier_deltas)
    tier_deltas = {
        t: d for t in sorted(tiers)
        if (d := both.tier_deltas.get(t, Decimal(0)) - alone.tier_deltas.get(t, Decimal(0)))
    }  # fmt: skip
    if not (amount or pp or effects):
        return None
    effects.sort(key=lambda e: (-abs(e.delta), -e.amount, e.line_id))
    return replace(
        alone, before=label1, after=label2, delta_amount=amount, delta_pp=pp,
        tier_deltas=tier_deltas, lines=tuple(effects), seqs=tuple(sorted(set(seqs))),
        group="joint", note="counted differently under the two definitions",
    )  # fmt: skip


def as_of_diff(
    store: EventStore,
    spec: str | None,
    moments: tuple[AsOf, AsOf],
    *,
    jurisdictions: Sequence[str] = (),
    fy: str | None = None,
    tier: str | None = None,
    period: str = "fiscal",
) -> DiffReport:
    """What the ledger learned between two moments about one measure, decomposed (by fiscal
    year, or by calendar year: ``ledger.reports.calendar_diff``)."""
    t1, t2 = moments
    if t1.seq > t2.seq:
        raise InvalidInput(
            f"the first --as-of (seq {t1.seq}) is later than the second (seq {t2.seq})"
        )
    events = read_events(store, t2.seq)
    s1, s2 = state_at(events, t1.seq), state_at(events, t2.seq)
    chosen = default_definition(s2, spec)
    places = jurisdictions_of(store, s2, jurisdictions, t2.seq)
    window = events[t1.seq : t2.seq]
    periods = periods_at(store, t2.seq)
    sections = []
    asked: set[int] = set()
    for place in places:

        def section_of(year: int, place: str = place) -> Section:
            return decompose_year(
                s1, s2, chosen, place, year, moments, window, tier, periods.of(place)
            )

        years, found = sections_by_period(store, s2, t2.seq, place, fy, period, section_of)
        asked.update(years)
        sections += found
    meta = report_meta(
        store, [t1, t2], sections, **places_meta(places), fiscal_years=sorted(asked), tier=tier,
        definition=chosen, **({"period": period} if period != "fiscal" else {}),
    )  # fmt: skip
    return DiffReport(
        "as-of-diff", f"{chosen} as of seq {t1.seq}", f"{chosen} as of seq {t2.seq}",
        ORDER_TEXT, sections, meta, ATTRIBUTION,
    )  # fmt: skip
