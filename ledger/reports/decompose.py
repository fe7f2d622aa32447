"""``diff --as-of T1 --as-of T2``: what the ledger learned between two moments about one
measure, and an exact decomposition of the change in its share of GDP.

Order of attribution (each part measured at the state the previous parts left):

(a) **definition change** — the version as known at T1 → as known at T2 (including a switch of
    the version in force), at T1's figures and T1's GDP, change by change in the order of
    ``ledger.reports.diff`` (a GDP-basis change is part of the definition, measured on T1's GDP);
(b) **figure restatements** — budget lines recorded, revised, reclassified or withdrawn (and
    exchange rates), at T2's definition and T1's GDP;
(c) **GDP revision** — T1's GDP → T2's GDP, at T2's definition and figures.

The parts telescope, so they sum exactly to share(T2) − share(T1), and their money to
total(T2) − total(T1). When a point on the way has no GDP figure for its basis (e.g. a basis
whose GDP was recorded only after T1), it is divided by T2's GDP, and a note says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events.base import SCHEMA_JURISDICTION
from ledger.errors import InvalidInput
from ledger.projections.definitions import (
    DEFINITION_EVENTS,
    DefinitionVersion,
    definition_names,
    parse_spec,
)
from ledger.projections.fold import LINE_EVENTS, LedgerState, key_of_payload
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
)
from ledger.reports.model import DiffReport, Section, check_sums
from ledger.reports.sources import (
    default_years,
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

ORDER_TEXT = (
    "(a) definition change at T1's figures and T1's GDP, then (b) figure restatements at "
    "T2's definition and T1's GDP, then (c) GDP revision at T2's definition and figures; "
    "the parts sum exactly to the change from T1 to T2"
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
    """The decomposition for one fiscal year (see the module docstring for the order)."""
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
    points: list[Point] = []
    if d1.version != d2.version:
        points.append(Point("version-switch", name, f"@{d1.version}", f"@{d2.version}", d1, f1,
                            (d2.status_seq or 0,), "definition"))  # fmt: skip
    points += points_of(plan_steps(d1, d2), f1, "definition")
    mid = f2.with_gdp_from(s1)
    line_seqs = tuple(e["seq"] for e in events if e["what"].startswith(("line", "exchange")))
    points.append(Point("figures", "budget lines", f"as of seq {t1.seq}", f"as of seq {t2.seq}",
                        d2, mid, line_seqs, "figures"))  # fmt: skip
    gdp_seqs = tuple(e["seq"] for e in events if e["what"].startswith("GDP"))
    gdp_before, gdp_after = _gdp_label(d2, mid, year_basis), _gdp_label(d2, f2, year_basis)
    points.append(Point("gdp-revision", "gdp", gdp_before, gdp_after, d2, f2, gdp_seqs, "gdp"))
    fallback = side_b.evaluation.gdp.amount if side_b.evaluation.gdp else None
    changes = largest_first(measure_changes(side_a, f1, points, tier, fallback))
    notes = list(gdp_notes(side_a, side_b))
    if fallback is not None and any(
        evaluate(p.version, p.figures).gdp is None for p in points[:-1]
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


def as_of_diff(
    store: EventStore,
    spec: str | None,
    moments: tuple[AsOf, AsOf],
    *,
    jurisdictions: Sequence[str] = (),
    fy: str | None = None,
    tier: str | None = None,
) -> DiffReport:
    """What the ledger learned between two moments about one measure, decomposed."""
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
        years = default_years(s2, place, fy)
        asked.update(years)
        sections += [
            decompose_year(s1, s2, chosen, place, year, moments, window, tier, periods.of(place))
            for year in years
        ]
    meta = report_meta(
        store, [t1, t2], sections, **places_meta(places), fiscal_years=sorted(asked), tier=tier,
        definition=chosen,
    )  # fmt: skip
    return DiffReport(
        "as-of-diff", f"{chosen} as of seq {t1.seq}", f"{chosen} as of seq {t2.seq}",
        ORDER_TEXT, sections, meta,
    )  # fmt: skip
