"""``defledger demo``: the Japan scenario imported through the normal ``import`` path, the
chain verified, and the story told as one JSON-ready document (``cli/demo.py`` renders it).

Everything in the document is computed from the ledger by the functions the other commands
use: ``import_text``, ``verify_ledger``, ``measure`` (``totals``), ``trace_table`` (``trace``),
``check_claims`` (``claims check``) and ``definition_diff`` (``diff``). No figure is written
here: the published figures the demo compares with are claims recorded in the scenario
(``ClaimRecorded`` events, each with its source). Amounts in the document are exact decimal
strings; display strings (``*_tn``, rounded shares) sit beside them.
"""

from __future__ import annotations

from typing import Any

from ledger.audit.verify import verify_ledger
from ledger.demo.format import gdp_doc, labels_text, years_text
from ledger.demo.seed import COMPARISONS_FILE, SCENARIO_ACTOR, SCENARIO_FILE, scenario_text
from ledger.errors import IntegrityFailure
from ledger.intake.importers import import_text
from ledger.numbers import compact, pp, scaled
from ledger.projections.definitions import DefinitionVersion, in_force, select, version_meta
from ledger.projections.fold import LedgerState, dec_str
from ledger.projections.measure import exact_str, measure, rounded_str
from ledger.projections.periods import YearLabel
from ledger.queries.asof import resolve_as_of
from ledger.queries.claim_check import Verdict
from ledger.queries.claims import check_claims, check_doc, claims_at, counts_text, select_claims
from ledger.queries.question import open_context
from ledger.queries.trace import TraceRequest, trace_table
from ledger.reports.diff import definition_diff
from ledger.reports.document import stat_line
from ledger.reports.model import Section
from ledger.storage.db import safe_url
from ledger.storage.store import EventStore

SCHEMA_VERSION = 1
DEFAULT_DB = "defledger-demo.db"
JURISDICTION = "JP"
YEARS = (2022, 2023, 2024, 2025)
DEFINITIONS = (
    "jp-mod-core@1",
    "jp-defense-related@1",
    "jp-defense-related@2",
    "jp-defense-related@3",
    "nato@1",
)
DIFF = ("jp-defense-related@2", "jp-defense-related@3", 2025)
SHARE_PLACES = 2
TN_PLACES = 4  # trillions to ¥100 million, the precision of the sources
NEXT_COMMANDS = (
    "defledger totals --fy FY2022..FY2025 --definition jp-defense-related --change",
    "defledger replay --fy FY2025 --definition jp-defense-related",
    "defledger claims check && defledger claims show jp-fy2024-share-japantimes",
    "defledger diff jp-defense-related@2 jp-defense-related@3 --fy FY2025 -o diff.html",
    "defledger what-if jp-defense-related@2 --include JP.CAND.SPACE=0.5:related --fy FY2025",
    "defledger verify && defledger digest > digest.json",
    "defledger export -o bundle && defledger verify-export bundle",
)


# -- the ledger ---------------------------------------------------------------------------------


def build(store: EventStore, comparisons: bool = False) -> dict[str, Any]:
    """Import the scenario (idempotent; with ``comparisons``, the comparisons scenario after
    it) and verify the chain; raise if it does not verify."""
    names = (SCENARIO_FILE, COMPARISONS_FILE) if comparisons else (SCENARIO_FILE,)
    reports = [import_text(store, scenario_text(name), actor=SCENARIO_ACTOR) for name in names]
    firsts = [r.first_seq for r in reports if r.first_seq is not None]
    lasts = [r.last_seq for r in reports if r.last_seq is not None]
    verified = verify_ledger(store)
    if not verified.ok:
        problem = verified.problems[0]
        raise IntegrityFailure(
            f"the demo ledger does not verify: first bad seq {verified.first_bad_seq}: "
            f"{problem.message}"
        )
    return {
        "scenarios": list(names),
        "events_in_scenario": sum(r.rows for r in reports),
        "added": sum(r.appended for r in reports),
        "already_recorded": sum(r.skipped for r in reports),
        "first_seq": firsts[0] if firsts else None,
        "last_seq": lasts[-1] if lasts else None,
        "verified": True,
        "checked": verified.checked,
        "head": {"seq": verified.head_seq, "hash": verified.head_hash},
    }


def hypothetical_events(store: EventStore) -> dict[int, Any]:
    """The events whose source says ``hypothetical``: illustrative, not published."""
    return {e.seq: e for e in store.read() if (e.source or {}).get("hypothetical")}


def behind(store: EventStore, spec: str, year: int, gdp_basis: str | None = None) -> set[int]:
    """The seqs of the events behind one total, per ``trace``: the version's events and the
    inclusions of the categories that contributed, every event of each counted line, the GDP
    figure and exchange rates (not the targets: they do not make the number)."""
    request = TraceRequest((JURISDICTION,), str(year), spec, gdp_basis=gdp_basis)
    rows = trace_table(store, request).rows
    counted = {row["category"] for row in rows if row["role"] == "line"}
    seqs: set[int] = set()
    for row in rows:
        if row["role"] == "line":
            seqs.update(row["events"])
        elif row["seq"] is not None and (
            row["role"] in ("gdp", "rate")
            or (row["role"] == "definition" and row.get("category") in (None, *counted))
        ):
            seqs.add(row["seq"])
    return seqs


def _cell(
    store: EventStore, state: LedgerState, version: DefinitionVersion, year: int, flagged: set[int]
) -> dict[str, Any]:
    m = measure(state, JURISDICTION, year, version)
    share = m.share()
    return {
        "fiscal_year": year,
        "in_force": in_force(state.definitions, version.definition, year) is version,
        "currency": m.currency,
        "total": dec_str(m.total()),
        "total_tn": scaled(m.total(), "T", TN_PLACES),
        "tiers": {tier: dec_str(amount) for tier, amount in m.tiers.items()},
        "empty_tiers": [t for t in version.tiers() if not m.total(t) and len(m.tiers) > 1],
        "gdp": gdp_doc(m.gdp),
        "share_of_gdp_pct": rounded_str(share, SHARE_PLACES) or None,
        "share_of_gdp_pct_exact": exact_str(share) or None,
        "hypothetical_seqs": sorted(behind(store, version.label, year) & flagged),
    }


def _definition(
    store: EventStore, state: LedgerState, spec: str, flagged: set[int], label: YearLabel
) -> dict[str, Any]:
    version = select(state.definitions, spec, YEARS[0])
    assert version is not None  # NAME@N names a version or raises NotFound
    cells = [_cell(store, state, version, year, flagged) for year in YEARS]
    used: dict[tuple[Any, ...], dict[str, Any]] = {}
    for cell in cells:
        if cell["gdp"] is not None:
            used.setdefault((cell["gdp"]["fiscal_year"], cell["gdp"]["seq"]), cell["gdp"])
    return {
        "label": version.label,
        **version_meta(version),
        "divided_by": [used[key] for key in sorted(used)],
        "in_force": years_text([c["fiscal_year"] for c in cells if c["in_force"]], label),
        "years": cells,
    }


def _cite(claim: dict[str, Any]) -> str:
    """A short citation: the publication's name and its date (``Yomiuri 2025-04-16``)."""
    name = claim["publication"].split(":")[0].strip()
    return name if claim["published"] in name else f"{name} {claim['published']}"


def _claims(store: EventStore, seq: int, state: LedgerState) -> dict[str, Any]:
    """``claims check`` on the demo ledger: every active claim of the scenario, checked, with
    a short citation; and, first, what a reader must not take for a confirmation."""
    results = check_claims(store, seq, select_claims(claims_at(store, seq), (), False), state)
    items = [{**check_doc(r), "cite": _cite(check_doc(r))} for r in results]
    circular = [r for r in results if r.verdict is Verdict.BY_CONSTRUCTION]
    seqs = sorted({s for r in circular for o in r.outcomes for s in o.derived})
    return {
        "as_of_seq": seq,
        "counts": counts_text(results),
        "consistent_by_construction": [r.claim.claim_id for r in circular],
        "derived_seqs": seqs,
        "items": items,
    }


def _gaps(definitions: list[dict[str, Any]], year_label: YearLabel) -> list[dict[str, Any]]:
    """What the ledger cannot say, because no sourced figure is recorded: tiers in which
    nothing recorded counts, and years without a GDP for the definition's basis."""
    empty: dict[tuple[str, str], list[int]] = {}
    no_gdp: dict[str, list[int]] = {}
    for d in definitions:
        for cell in d["years"]:
            for tier in cell["empty_tiers"]:
                empty.setdefault((tier, d["label"]), []).append(cell["fiscal_year"])
            if cell["gdp"] is None:
                no_gdp.setdefault(d["label"], []).append(cell["fiscal_year"])
    same: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for (tier, label), years in empty.items():
        same.setdefault((tier, tuple(years)), []).append(label)
    tiers = {d["label"]: list(d["years"][0]["tiers"]) for d in definitions}
    gaps = []
    for (tier, shared), labels in sorted(same.items(), key=lambda item: item[0][1]):
        others = sorted({t for label in labels for t in tiers[label] if t != tier})
        text = (
            f"{years_text(list(shared), year_label)}: nothing recorded counts in the {tier} "
            f"tier of {labels_text(labels)} ({' and '.join(others)} only)"
        )
        gaps.append({"kind": "empty-tier", "tier": tier, "fiscal_years": list(shared),
                     "definitions": labels, "text": text})  # fmt: skip
    for name, years in no_gdp.items():
        basis = next(d["gdp_basis"] for d in definitions if d["label"] == name)
        text = (
            f"{name}: no GDP is recorded for {years_text(years, year_label)} (basis {basis}), "
            "so no share."
        )
        gaps.append({"kind": "no-gdp", "definitions": [name], "fiscal_years": years,
                     "text": text})  # fmt: skip
    return gaps


def _diff(store: EventStore) -> dict[str, Any]:
    a, b, year = DIFF
    report = definition_diff(
        store, a, b, jurisdictions=(JURISDICTION,), fy=f"FY{year}", as_of=resolve_as_of(store, None)
    )
    section: Section = report.sections[0]
    moved = [c for c in section.changes if c.delta_amount]
    return {
        "a": a,
        "b": b,
        "fiscal_year": year,
        "summary": stat_line(section),
        "delta_amount": dec_str(section.delta_amount),
        "delta_pp_rounded": pp(section.delta_pp),
        "changes": [
            {
                "kind": c.kind,
                "key": c.key,
                "delta_amount": dec_str(c.delta_amount),
                "delta_short": compact(c.delta_amount, section.currency, sign=True),
                "delta_pp_rounded": pp(c.delta_pp),
                "lines": [effect.line_id for effect in c.lines],
                "seqs": list(c.seqs),
            }
            for c in moved
        ],
        "no_figure_recorded": [c.key for c in section.changes if not c.delta_amount],
    }


def _flags(
    events: dict[int, Any],
    definitions: list[dict[str, Any]],
    claims: dict[str, Any],
    year_label: YearLabel,
) -> list[dict[str, Any]]:
    """Each hypothetical event behind a shown figure, and the figures it is behind."""
    flags = []
    for seq, event in sorted(events.items()):
        p = event.payload
        figures = [
            {"definition": d["label"], "fiscal_year": c["fiscal_year"]}
            for d in definitions
            for c in d["years"]
            if seq in c["hypothetical_seqs"]
        ]
        if not figures:
            continue
        if event.type.startswith("BudgetLine"):
            amount = f" ¥{scaled(p['amount'], 'T', TN_PLACES)}T" if "amount" in p else ""
            what = f"{year_label(p['fiscal_year'])} {p['line_id']}{amount}"
        elif event.type == "CategoryIncluded":
            what = f"{p['definition']}@{p['version']} counts {p['category']} ×{p.get('share', '1')}"
        else:
            what = event.stream
        flags.append({
            "seq": seq, "type": event.type, "what": what, "reason": event.reason,
            "source": event.source, "figures": figures,
            "claims": [
                c["claim_id"]
                for c in claims["items"]
                if any(seq in o["derived_from_claim"] for o in c["outcomes"])
            ],
        })  # fmt: skip
    return flags


def run_demo(store: EventStore, db: str, comparisons: bool = False) -> dict[str, Any]:
    """Build the demo ledger in ``store`` (opened from ``db``, a path or URL: shown with any
    password masked; with ``comparisons``, the comparisons scenario too) and return the story
    as a document."""
    ledger = {"db": safe_url(db) if "://" in db else db, **build(store, comparisons)}
    context = open_context(store, None, JURISDICTION)
    state = context.state
    basis = context.periods.of(JURISDICTION)
    events = hypothetical_events(store)
    definitions = [
        _definition(store, state, spec, set(events), basis.label) for spec in DEFINITIONS
    ]
    claims = _claims(store, context.as_of.seq, state)
    return {
        "report": "demo",
        "schema_version": SCHEMA_VERSION,
        "jurisdiction": JURISDICTION,
        "fiscal_years": list(YEARS),
        "year_basis": basis.meta(),
        "year_labels": {str(year): basis.label(year) for year in YEARS},
        "ledger": ledger,
        "as_of": context.meta["as_of"],
        "share_of_gdp": f"total / GDP × 100, exact; shown rounded half up to {SHARE_PLACES} "
        "places (claims: to their own precision)",
        "definitions": definitions,
        "claims": claims,
        "gaps": _gaps(definitions, basis.label),
        "diff": _diff(store),
        "hypothetical": _flags(events, definitions, claims, basis.label),
        "next_commands": list(NEXT_COMMANDS),
    }
