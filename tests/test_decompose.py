"""``diff --as-of T1 --as-of T2``: what the ledger learned, and the exact decomposition of the
change in the share of GDP into the definition change alone, the figure changes alone, their
joint effect and the GDP revision."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers.diff_scenario import BOTH, T, base_events, e, fold, open_version, record
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.projections.measure import measure
from ledger.queries.asof import AsOf
from ledger.reports.decompose import as_of_diff, decompose_year
from ledger.reports.document import parts_of
from ledger.reports.sources import pick
from ledger.storage.store import EventStore

SEED = Path(__file__).resolve().parent.parent / "ledger" / "demo" / "seed" / "japan.jsonl"
PARTS = ["definition", "figures", "joint", "gdp"]


def _parts(section: Any) -> dict[str, tuple[Decimal, Fraction | None]]:
    found: dict[str, tuple[Decimal, Fraction | None]] = {}
    for part in PARTS:
        members = [c for c in section.changes if c.group == part]
        amount = sum((c.delta_amount for c in members), Decimal(0))
        pps = [c.delta_pp for c in members]
        found[part] = (amount, None if None in pps else sum(pps, Fraction(0)))  # type: ignore[arg-type]
    return found


def _learn(store: EventStore) -> tuple[int, int]:
    """T1: jp@2 drafted from jp@1. Then: SPACE included (definition), JCG revised 0.5T → 0.6T
    (figure), SHIP recorded as a new line of an uncounted category, GDP FY2022 revised to
    ESRI's 566.5T (the basis names no vintage, so the latest counts)."""
    t1 = record(store, base_events() + open_version("jp", 2, [], based_on=1))
    t2 = record(store, [
        e("CategoryIncluded", definition="jp", version=2, category="JP.CAND.SPACE"),
        e("BudgetLineRevised", fiscal_year=2025, line_id="JCG", amount=str(6 * T // 10),
          reason="restated"),
        e("GdpRecorded", fiscal_year=2022, amount=str(5665 * T // 10), vintage="esri"),
    ])  # fmt: skip
    return t1, t2


def test_as_of_diff__parts_with_their_exact_effects(store: EventStore) -> None:
    t1, t2 = _learn(store)
    report = as_of_diff(store, "jp@2", (AsOf(t1, str(t1)), AsOf(t2, str(t2))), fy="FY2025")
    (section,) = report.sections
    parts = _parts(section)
    assert parts["definition"] == (Decimal(T // 5), Fraction(1, 28))  # 0.2T / 560T
    assert parts["figures"] == (Decimal(T // 10), Fraction(1, 56))  # 0.1T / 560T
    assert parts["joint"] == (Decimal(0), Fraction(0)), "JCG counts the same under jp@1, jp@2"
    new_total = Fraction(103 * T // 10)
    expected_gdp = new_total * 100 / (5665 * T // 10) - new_total * 100 / (560 * T)
    assert parts["gdp"] == (Decimal(0), expected_gdp)
    assert section.a.share == Fraction(25, 14)
    assert section.delta_pp == Fraction(1, 28) + Fraction(1, 56) + expected_gdp
    assert [p["part"] for p in parts_of(section)] == ["definition", "figures", "joint", "gdp"]


def test_as_of_diff__lists_what_was_learned_with_seq(store: EventStore) -> None:
    t1, t2 = _learn(store)
    report = as_of_diff(store, "jp@2", (AsOf(t1, None), AsOf(t2, None)), fy="FY2025")
    learned = [(ev["seq"], ev["what"]) for ev in report.sections[0].events]
    assert learned == [
        (t1 + 1, "definition changed"), (t1 + 2, "line revised"), (t1 + 3, "GDP revised"),
    ]  # fmt: skip
    figures = next(c for c in report.sections[0].changes if c.group == "figures")
    assert (figures.kind, figures.items, figures.seqs) == ("lines-revised", ("JCG",), (t1 + 2,))
    assert [(ln.line_id, ln.before, ln.after) for ln in figures.lines] == [
        ("JCG", Decimal(T // 2), Decimal(6 * T // 10))
    ]


def test_as_of_diff__version_in_force_switch_is_a_definition_change(store: EventStore) -> None:
    t1 = record(store, base_events() + [
        e("DefinitionStatusChanged", definition="jp", version=1, status="adopted",
          effective_from=2023),
        *open_version("jp", 2, [], based_on=1, stages=BOTH),
    ])  # fmt: skip
    t2 = record(store, [e("DefinitionStatusChanged", definition="jp", version=2,
                          status="adopted", effective_from=2025)])  # fmt: skip
    report = as_of_diff(store, "jp", (AsOf(t1, None), AsOf(t2, None)), fy="FY2025")
    kinds = [(c.kind, c.delta_amount) for c in report.sections[0].changes]
    assert kinds[:2] == [("version-switch", 0), ("stage-added", Decimal(11 * T // 10))]
    assert report.sections[0].a.label == f"jp (in force: @1) as of seq {t1}"


def test_as_of_diff__a_definition_not_yet_recorded_counts_nothing(store: EventStore) -> None:
    t1 = record(store, base_events())
    t2 = record(store, open_version("nato", 1, [("JP.CORE.DBP", "1", "core")]))
    report = as_of_diff(store, "nato@1", (AsOf(t1, None), AsOf(t2, None)), fy="FY2025")
    section = report.sections[0]
    assert (section.a.measure, section.a.share) == (0, 0)
    assert section.delta_pp == Fraction(85, 56)  # 8.5T / 560T
    assert "(not recorded)" in section.a.label


def test_as_of_diff__new_lines_counted_only_by_the_new_definition_are_the_joint_effect(
    store: EventStore,
) -> None:
    """The FY2025 story in small: between T1 and T2 jp@2 (initial + supplementary) replaces
    jp@1 (initial) and a supplementary line is recorded. The supplementary line that existed at
    T1 moves by the definition alone; the new one counts only because both changed."""
    t1 = record(store, base_events() + [
        e("DefinitionStatusChanged", definition="jp", version=1, status="adopted",
          effective_from=2023),
        *open_version("jp", 2, [], based_on=1),
    ])  # fmt: skip
    t2 = record(store, [
        e("StagesSet", definition="jp", version=2, stages=BOTH),
        e("BudgetLineRecorded", fiscal_year=2025, line_id="SUPP-JCG", agency="JCG",
          category="JP.REL.JCG", amount=str(3 * T // 10), stage="supplementary"),
        e("DefinitionStatusChanged", definition="jp", version=2, status="adopted",
          effective_from=2025),
    ])  # fmt: skip
    (section,) = as_of_diff(store, "jp", (AsOf(t1, None), AsOf(t2, None)), fy="FY2025").sections
    parts = _parts(section)
    assert parts["definition"] == (Decimal(11 * T // 10), Fraction(11, 56))  # MOD-SUPP 1.1T / 560T
    assert parts["figures"] == (Decimal(0), Fraction(0)), "jp@1 does not count supplementary"
    assert parts["joint"] == (Decimal(3 * T // 10), Fraction(3, 56))
    (joint,) = [c for c in section.changes if c.group == "joint"]
    assert (joint.kind, joint.items) == ("lines-recorded", ("SUPP-JCG",))
    assert [(ln.line_id, ln.before, ln.after) for ln in joint.lines] == [
        ("SUPP-JCG", Decimal(0), Decimal(3 * T // 10))
    ]
    assert {t1 + 1, t1 + 2, t1 + 3} <= set(joint.seqs), "the stage, the line and the adoption"


def test_scenario__replay_diff_and_decomposition_tell_one_story(cli: Any) -> None:
    """Issue 16: on the shipped scenario, ``diff --as-of 99 --as-of 119`` must not call the
    FY2025 jump a figure restatement: ``replay`` puts it on seq 105, the adoption of @2 (which
    counts the supplementary stage), and the lines it counts were recorded at seq 100–102."""
    assert cli("import", str(SEED)).exit_code == 0
    measure_args = ("--definition", "jp-defense-related", "--fy", "FY2025")
    as_of = ("diff", "--as-of", "99", "--as-of", "119", *measure_args)
    document = json.loads(cli(*as_of, "--format", "json").stdout)
    (section,) = document["sections"]
    parts = {p["part"]: p["delta_amount"] for p in section["parts"]}
    supplementary = "1147200000000"
    assert parts == {"definition": "0", "figures": "0", "joint": supplementary, "gdp": "0"}
    assert section["delta"]["amount"] == supplementary
    (joint,) = [c for c in section["changes"] if c["group"] == "joint"]
    assert joint["kind"] == "lines-recorded" and joint["delta_amount"] == supplementary
    assert {ln["line_id"] for ln in joint["lines"]} == {"SUPP-MOD", "SUPP-JCG-PKO", "SUPP-CYBER"}
    assert {100, 101, 102, 104, 105} <= set(joint["seqs"])
    recorded = next(c for c in section["changes"] if c["kind"] == "lines-recorded")
    assert recorded["group"] == "figures" and recorded["delta_amount"] == "0"
    assert "SUPP-MOD" in recorded["items"]
    # replay: the same money, on the event that completed the joint cause
    replay = json.loads(cli("replay", *measure_args, "--format", "json").stdout)["replay"]
    moves = [(r["seq"], r["change_total"]) for r in replay if 99 < r["seq"] <= 119]
    assert moves == [(105, supplementary)]
    assert all(seq in joint["seqs"] for seq, _ in moves)
    # the definition diff at T2 measures (a) + (c): the definition's effect on T2's figures
    at_t2 = json.loads(cli("diff", "jp-defense-related@1", "jp-defense-related@2", "--fy",
                           "FY2025", "--as-of", "119", "--format", "json").stdout)  # fmt: skip
    assert at_t2["sections"][0]["delta"]["amount"] == supplementary
    # and the headline says so, in words
    stat = cli(*as_of, "--stat").stdout
    assert "5 lines recorded" in stat and "(c) joint +¥1.15T" in stat
    assert "(a) definition alone ¥0" in stat and "(b) figures alone ¥0" in stat
    assert "restate" not in stat


def test_as_of_diff__moments_out_of_order_are_refused(store: EventStore) -> None:
    record(store, base_events())
    with pytest.raises(InvalidInput, match="later than the second"):
        as_of_diff(store, "jp@1", (AsOf(5, None), AsOf(3, None)), fy="FY2025")


def test_as_of_diff__several_definitions_need_a_choice(store: EventStore) -> None:
    record(store, base_events() + open_version("nato", 1, []))
    with pytest.raises(InvalidInput, match="--definition"):
        as_of_diff(store, None, (AsOf(1, None), AsOf(2, None)), fy="FY2025")


# -- property: the parts sum exactly to the change, whatever happened in between ------------

CODES = ["C1", "C2", "C3"]
OPS = st.one_of(
    st.tuples(st.just("line"), st.sampled_from(CODES), st.integers(1, 10**14),
              st.sampled_from(BOTH)),
    st.tuples(st.just("revise"), st.integers(0, 9), st.integers(1, 10**14)),
    st.tuples(st.just("reclassify"), st.integers(0, 9), st.sampled_from(CODES)),
    st.tuples(st.just("withdraw"), st.integers(0, 9)),
    st.tuples(st.just("include"), st.sampled_from(CODES), st.sampled_from(["1", "0.5", "0.3"]),
              st.sampled_from(["core", "related"])),
    st.tuples(st.just("exclude"), st.sampled_from(CODES)),
    st.tuples(st.just("stages"), st.sampled_from([["initial"], BOTH, ["supplementary"]])),
    st.tuples(st.just("basis"), st.sampled_from([2022, 2025, None])),
    st.tuples(st.just("gdp"), st.sampled_from([2022, 2025]), st.integers(10**14, 10**15),
              st.sampled_from(["v1", "v2"])),
)  # fmt: skip


def _event(op: tuple[Any, ...], lines: list[str]) -> dict[str, Any] | None:
    d = {"definition": "m", "version": 1}
    match op:
        case ("line", code, amount, stage):
            lines.append(f"L{len(lines)}")
            return e("BudgetLineRecorded", fiscal_year=2025, line_id=lines[-1], agency="X",
                     category=code, amount=str(amount), stage=stage)  # fmt: skip
        case ("revise", n, amount) if n < len(lines):
            return e("BudgetLineRevised", fiscal_year=2025, line_id=lines[n], amount=str(amount))
        case ("reclassify", n, code) if n < len(lines):
            return e("BudgetLineReclassified", fiscal_year=2025, line_id=lines[n], category=code)
        case ("withdraw", n) if n < len(lines):
            return e("BudgetLineWithdrawn", fiscal_year=2025, line_id=lines[n])
        case ("include", code, share, tier):
            return e("CategoryIncluded", **d, category=code, share=share, tier=tier)
        case ("exclude", code):
            return e("CategoryExcluded", **d, category=code)
        case ("stages", stages):
            return e("StagesSet", **d, stages=stages)
        case ("basis", year):
            basis = {"basis": "same-year"} if year is None else {"basis": "fixed-year",
                                                                 "fiscal_year": year}  # fmt: skip
            return e("GdpBasisSet", **d, **basis)
        case ("gdp", year, amount, vintage):
            return e("GdpRecorded", fiscal_year=year, amount=str(amount), vintage=vintage)
    return None


@settings(max_examples=80, deadline=None)
@given(st.lists(OPS, max_size=12), st.lists(OPS, max_size=12), st.sampled_from([None, "core"]))
def test_decompose__parts_sum_exactly_to_the_change(
    before: list[Any], between: list[Any], tier: str | None
) -> None:
    lines: list[str] = []
    start = [e("CategoryDefined", code=c, name=c) for c in CODES]
    start.append(e("DefinitionVersionOpened", definition="m", version=1, title="m"))
    first = start + [ev for op in before if (ev := _event(op, lines))]
    second = first + [ev for op in between if (ev := _event(op, lines))]
    s1, s2 = fold(first), fold(second)
    moments = (AsOf(s1.last_seq, None), AsOf(s2.last_seq, None))
    section = decompose_year(s1, s2, "m@1", "JP", 2025, moments, [], tier)
    amounts = sum((c.delta_amount for c in section.changes), Decimal(0))
    assert amounts == section.b.measure - section.a.measure
    pps = [c.delta_pp for c in section.changes]
    if section.a.share is not None and section.b.share is not None:
        assert None not in pps, "every point gets a denominator when both ends have one"
        assert sum(pps, Fraction(0)) == section.b.share - section.a.share  # type: ignore[arg-type]
    groups = [c.group for c in section.changes]
    assert groups == sorted(groups, key=PARTS.index) and groups[-1] == "gdp"
    # each cause alone is what it is alone, measured independently with ``measure``
    d1, d2 = pick(s1, "m@1", 2025)[0], pick(s2, "m@1", 2025)[0]

    def total(state: Any, version: Any) -> Decimal:
        return measure(state, "JP", 2025, version).total(tier)

    parts = _parts(section)
    assert parts["definition"][0] == total(s1, d2) - total(s1, d1)
    assert parts["figures"][0] == total(s2, d1) - total(s1, d1)
    assert parts["joint"][0] == total(s2, d2) - total(s1, d2) - parts["figures"][0]
    assert parts["gdp"][0] == 0
    # a new line is "recorded", never anything else; a line gone is "withdrawn"
    live1 = {ln.line_id for ln in s1.lines.values() if not ln.withdrawn}
    live2 = {ln.line_id for ln in s2.lines.values() if not ln.withdrawn}
    items = {c.kind: set(c.items) for c in section.changes if c.group == "figures"}
    assert items.get("lines-recorded", set()) == live2 - live1
    assert items.get("lines-withdrawn", set()) == live1 - live2
    assert not (items.get("lines-revised", set()) | items.get("lines-reclassified", set())) - (
        live1 & live2
    )
