"""Definition diffs: table-driven cases with the primer §8 numbers, the deepdiff Delta round
trip, exact attribution (effects sum to B − A) and no float anywhere in the JSON."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from helpers.diff_scenario import BOTH, NSS, T, base_events, e, fold, open_version
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.projections.measure import rounded_str
from ledger.reports.diff import NO_FIGURE, compare, diff_sections
from ledger.reports.document import report_document, report_rows, stat_line
from ledger.reports.model import DiffReport
from ledger.reports.structure import apply_delta, definition_doc, delta_document
from ledger.reports.valuation import figures_of

NATO = [("JP.CORE.DBP", "1", "core"), ("JP.REL.JCG", "0.5", "core"),
        ("JP.NATO.PENSIONS", "1", "core")]  # fmt: skip
ESRI = e("GdpRecorded", fiscal_year=2022, amount=str(5665 * T // 10), currency="JPY",
         vintage="esri")  # fmt: skip


def _v2(*changes: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return open_version("jp", 2, [], based_on=1, **options) + list(changes)


def _pp(amount: int | Fraction, gdp: int) -> Fraction:
    return Fraction(amount) * 100 / gdp


# name: (extra events, A, B, fiscal year, tier, [(kind, key, Δ amount, Δ pp)], Δ amount, Δ pp)
CASES: dict[str, tuple[Any, ...]] = {
    "removed: JCG + PKO (primer example 2)": (
        _v2(e("CategoryExcluded", definition="jp", version=2, category="JP.REL.JCG"),
            e("CategoryExcluded", definition="jp", version=2, category="JP.REL.PKO")),
        "jp@1", "jp@2", 2025, None,
        [("category-removed", "JP.REL.JCG", -T // 2, Fraction(-5, 56)),
         ("category-removed", "JP.REL.PKO", -T // 5, Fraction(-1, 28))],
        -7 * T // 10, Fraction(-1, 8),
    ),
    "added: space + shipbuilding (primer example 4)": (
        _v2(e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.SPACE",
              tier="related"),
            e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.SHIP",
              tier="related")),
        "jp@1", "jp@2", 2025, None,
        [("category-added", "JP.CAND.SPACE", T // 5, _pp(T // 5, 560 * T)),
         ("category-added", "JP.CAND.SHIP", 12 * T // 100, _pp(12 * T // 100, 560 * T))],
        32 * T // 100, _pp(32 * T // 100, 560 * T),
    ),
    "re-weighted: JCG counts half": (
        _v2(e("CategoryIncluded", definition="jp", version=2, category="JP.REL.JCG",
              share="0.5", tier="related")),
        "jp@1", "jp@2", 2025, None,
        [("re-weighted", "JP.REL.JCG", -T // 4, Fraction(-5, 112))],
        -T // 4, Fraction(-5, 112),
    ),
    "stage change: count the supplementary (primer example 3)": (
        _v2(stages=BOTH),
        "jp@1", "jp@2", 2025, None,
        [("stage-added", "supplementary", 11 * T // 10, Fraction(11, 56))],
        11 * T // 10, Fraction(11, 56),
    ),
    "GDP basis: 560 → ESRI's 566.5 at T = 11.0 (primer example 5)": (
        [ESRI,
         *open_version("jp", 3, NSS, stages=BOTH,
                       basis={"basis": "fixed-year", "fiscal_year": 2022, "vintage": "est"}),
         *open_version("jp", 4, [], based_on=3, stages=BOTH,
                       basis={"basis": "fixed-year", "fiscal_year": 2022, "vintage": "esri"})],
        "jp@3", "jp@4", 2024, None,
        [("gdp-basis", "gdp_basis", 0, _pp(11 * T, 5665 * T // 10) - _pp(11 * T, 560 * T))],
        0, _pp(11 * T, 5665 * T // 10) - _pp(11 * T, 560 * T),
    ),
    "cross-definition: jp@1 → nato@1": (
        open_version("nato", 1, NATO, basis={"basis": "same-year"}),
        "jp@1", "nato@1", 2025, None,
        [("category-added", "JP.NATO.PENSIONS", 4 * T // 10, Fraction(1, 14)),
         ("category-removed", "JP.REL.RND", -8 * T // 10, Fraction(-1, 7)),
         ("category-removed", "JP.REL.PKO", -T // 5, Fraction(-1, 28)),
         ("re-weighted", "JP.REL.JCG", -T // 4, Fraction(-5, 112)),
         ("tier-moved", "JP.REL.JCG", 0, Fraction(0)),
         ("gdp-basis", "gdp_basis", 0,
          _pp(915 * T // 100, 620 * T) - _pp(915 * T // 100, 560 * T))],
        -85 * T // 100, _pp(915 * T // 100, 620 * T) - Fraction(25, 14),
    ),
    "tier move, measured on the core tier": (
        _v2(e("CategoryIncluded", definition="jp", version=2, category="JP.REL.RND",
              tier="core")),
        "jp@1", "jp@2", 2025, "core",
        [("tier-moved", "JP.REL.RND", 8 * T // 10, Fraction(1, 7))],
        8 * T // 10, Fraction(1, 7),
    ),
    "included with no figure recorded": (
        _v2(e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.ENERGY")),
        "jp@1", "jp@2", 2025, None,
        [("category-added", "JP.CAND.ENERGY", 0, Fraction(0))],
        0, Fraction(0),
    ),
}  # fmt: skip


def _section(extra: list[dict[str, Any]], spec_a: str, spec_b: str, year: int, tier: Any) -> Any:
    state = fold(base_events() + extra)
    sections = diff_sections(
        state, spec_a, spec_b, jurisdiction="JP", years=[year], as_of=state.last_seq, tier=tier
    )
    return sections[0]


@pytest.mark.parametrize("name", list(CASES))
def test_compare__each_change_has_its_exact_effect(name: str) -> None:
    extra, spec_a, spec_b, year, tier, expected, total, total_pp = CASES[name]
    section = _section(extra, spec_a, spec_b, year, tier)
    got = [(c.kind, c.key, c.delta_amount, c.delta_pp) for c in section.changes]
    assert got == [(k, key, Decimal(a), p) for k, key, a, p in expected]
    assert section.delta_amount == total
    assert section.delta_pp == total_pp
    assert sum((c.delta_amount for c in section.changes), Decimal(0)) == section.delta_amount
    assert sum((c.delta_pp or Fraction(0) for c in section.changes), Fraction(0)) == total_pp


@pytest.mark.parametrize("name", list(CASES))
def test_delta__round_trips_both_ways(name: str) -> None:
    extra, spec_a, spec_b, year, tier, *_ = CASES[name]
    section = _section(extra, spec_a, spec_b, year, tier)
    assert section.delta, "every case changes the structure"
    assert apply_delta(section.doc_a, section.delta) == section.doc_b
    assert apply_delta(section.doc_b, section.delta, reverse=True) == section.doc_a


def test_primer_numbers__rounded_as_published() -> None:
    removed = _section(*CASES["removed: JCG + PKO (primer example 2)"][:5])
    assert rounded_str(removed.b.share, 6) == "1.660714"
    assert rounded_str(removed.delta_pp, 6) == "-0.125000"
    added = _section(*CASES["added: space + shipbuilding (primer example 4)"][:5])
    assert (rounded_str(added.b.share, 6), rounded_str(added.delta_pp, 6)) == (
        "1.842857",
        "0.057143",
    )
    basis = _section(*CASES["GDP basis: 560 → ESRI's 566.5 at T = 11.0 (primer example 5)"][:5])
    assert (rounded_str(basis.b.share, 6), rounded_str(basis.delta_pp, 6)) == (
        "1.941748",
        "-0.022538",
    )


def test_compare__lines_entering_and_leaving_with_amount_times_share() -> None:
    section = _section(*CASES["re-weighted: JCG counts half"][:5])
    (line,) = section.changes[0].lines
    assert (line.line_id, line.amount, line.before, line.after) == (
        "JCG", Decimal(T // 2), Decimal(T // 2), Decimal(T // 4),
    )  # fmt: skip
    added = _section(*CASES["included with no figure recorded"][:5])
    assert added.changes[0].note == NO_FIGURE and added.changes[0].lines == ()


def test_stat_line__summary_first() -> None:
    section = _section(*CASES["removed: JCG + PKO (primer example 2)"][:5])
    assert stat_line(section) == "2 categories removed: -¥700.00B, -0.13 pp"
    cross = _section(*CASES["cross-definition: jp@1 → nato@1"][:5])
    assert stat_line(cross) == (
        "1 category added, 2 removed, 1 re-weighted, 1 moved tier, GDP basis changed: "
        "-¥850.00B, -0.31 pp"
    )


def _walk_numbers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _walk_numbers(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _walk_numbers(v)]
    return [value] if isinstance(value, int | float | Decimal | Fraction) else []


@pytest.mark.parametrize("name", list(CASES))
def test_report_document__has_no_float(name: str) -> None:
    section = _section(*CASES[name][:5])
    report = DiffReport("definition-diff", "a", "b", "order", [section], {"head": {"seq": 1}})
    for document in (report_document(report), *report_rows(report)):
        numbers = _walk_numbers(document)
        assert all(type(n) is int or type(n) is bool for n in numbers), numbers


def test_delta_document__decimals_stay_strings() -> None:
    a = fold(base_events()).definitions[("jp", 1)]
    b = fold(base_events() + CASES["re-weighted: JCG counts half"][0]).definitions[("jp", 2)]
    delta = delta_document(definition_doc(a), definition_doc(b))
    changed = delta["values_changed"]["root['categories']['JP.REL.JCG']['share']"]
    assert changed == {"new_value": "0.5", "old_value": "1"}


# -- property: the attribution always telescopes exactly ------------------------------------

CODES = ["C1", "C2", "C3", "C4"]
SHARES = st.sampled_from(["1", "0.5", "0.25", "0.333", "0.9"])
INCLUSIONS = st.dictionaries(
    st.sampled_from(CODES), st.tuples(SHARES, st.sampled_from(["core", "related"])), max_size=4
)
STAGE_SETS = st.sampled_from([["initial"], ["supplementary"], ["initial", "supplementary"]])
BASES = st.sampled_from([
    {"basis": "same-year"}, {"basis": "fixed-year", "fiscal_year": 2022},
    {"basis": "fixed-year", "fiscal_year": 2022, "vintage": "v1"},
    {"basis": "fixed-year", "fiscal_year": 2023},  # no GDP recorded: shares unknown
])  # fmt: skip
LINE_SETS = st.lists(
    st.tuples(st.sampled_from(CODES), st.integers(1, 10**15), st.sampled_from(BOTH)), max_size=8
)


def _definition(name: str, inclusions: dict[str, Any], stages: list[str], basis: Any) -> Any:
    triples = [(code, share, tier) for code, (share, tier) in sorted(inclusions.items())]
    return open_version(name, 1, triples, stages=stages, basis=basis)


@settings(max_examples=60, deadline=None)
@given(INCLUSIONS, INCLUSIONS, STAGE_SETS, STAGE_SETS, BASES, BASES, LINE_SETS,
       st.sampled_from([None, "core"]))  # fmt: skip
def test_compare__effects_always_sum_to_b_minus_a(
    inc_a: Any, inc_b: Any, st_a: Any, st_b: Any, ba: Any, bb: Any, lines: Any, tier: Any
) -> None:
    events = [e("CategoryDefined", code=code, name=code) for code in CODES]
    events += _definition("a", inc_a, st_a, ba) + _definition("b", inc_b, st_b, bb)
    for n, (code, amount, stage) in enumerate(lines):
        events.append(e("BudgetLineRecorded", fiscal_year=2025, line_id=f"L{n}", agency="X",
                        category=code, amount=str(amount), stage=stage))  # fmt: skip
    events += [
        e("GdpRecorded", fiscal_year=2022, amount="560000000000000", vintage="v1"),
        e("GdpRecorded", fiscal_year=2025, amount="620000000000000", vintage="v1"),
    ]
    state = fold(events)
    a, b = state.definitions[("a", 1)], state.definitions[("b", 1)]
    section = compare(a, b, figures_of(state, "JP", 2025), tier=tier)
    assert sum((c.delta_amount for c in section.changes), Decimal(0)) == section.delta_amount
    pps = [c.delta_pp for c in section.changes]
    if section.delta_pp is not None and None not in pps:
        assert sum(pps, Fraction(0)) == section.delta_pp  # type: ignore[arg-type]
    assert apply_delta(definition_doc(a), section.delta) == definition_doc(b)
    lines_total = sum((effect.delta for c in section.changes for effect in c.lines), Decimal(0))
    if tier is None:
        assert lines_total == section.delta_amount
