"""The pure fold: totals from running sums equal Σ lines × share; reclassification between equal
shares moves nothing; snapshots round-trip; old schemas are upcast."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers.projection_scenarios import OPS, YEARS, Ev, as_stored, expected_total, interpret
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.projections import snapshots as snap
from ledger.projections.definitions import in_force
from ledger.projections.fold import LedgerState, apply, dec_str, fold_all
from ledger.projections.measure import measure


def _rows(state: LedgerState) -> dict[str, object]:
    return {
        **snap.small_state(state),
        "lines": sorted(snap.line_row(x) for x in state.lines.values()),
    }


@settings(max_examples=60, deadline=None)
@given(OPS)
def test_fold_all__total_equals_sum_of_included_lines_times_share(
    ops: list[tuple[int, ...]],
) -> None:
    state = fold_all(as_stored(interpret(ops)))
    for version in state.definitions.values():
        for year in YEARS:
            m = measure(state, "JP", year, version)
            for tier in [*version.tiers(), "all"]:
                assert m.total(tier) == expected_total(state, year, version, tier)


@settings(max_examples=40, deadline=None)
@given(OPS, st.integers(0, 10_000))
def test_fold__any_split_point_gives_the_same_state(ops: list[tuple[int, ...]], cut: int) -> None:
    events = as_stored(interpret(ops))
    cut = cut % (len(events) + 1)
    state = fold_all(events[:cut])
    for event in events[cut:]:
        apply(state, event)
    assert _rows(state) == _rows(fold_all(events))


@settings(max_examples=40, deadline=None)
@given(OPS)
def test_snapshot__round_trips_the_small_state(ops: list[tuple[int, ...]]) -> None:
    state = fold_all(as_stored(interpret(ops)))
    again = snap.decode_snapshot(snap.encode_snapshot(state))
    assert snap.small_state(again) == snap.small_state(state)
    assert snap.encode_snapshot(again) == snap.encode_snapshot(state)


@settings(max_examples=60, deadline=None)
@given(
    share=st.sampled_from(["1", "0.5", "0.3333", "0.07"]),
    tiers=st.tuples(st.sampled_from(["core", "related"]), st.sampled_from(["core", "related"])),
    amount=st.sampled_from(["1", "0.5", "8500000000000", "123.456"]),
    other=st.sampled_from(["0", "10", "0.01"]),
)
def test_reclassify__between_equal_shares_leaves_the_total_unchanged(
    share: str, tiers: tuple[str, str], amount: str, other: str
) -> None:
    events = [
        {"type": "CategoryDefined", "code": "A", "name": "A"},
        {"type": "CategoryDefined", "code": "B", "name": "B"},
        {"type": "DefinitionVersionOpened", "definition": "d", "version": 1, "title": "t"},
        {"type": "CategoryIncluded", "definition": "d", "version": 1, "category": "A",
         "share": share, "tier": tiers[0]},
        {"type": "CategoryIncluded", "definition": "d", "version": 1, "category": "B",
         "share": share, "tier": tiers[1]},
        {"type": "BudgetLineRecorded", "fiscal_year": 2025, "line_id": "X", "agency": "a",
         "category": "A", "amount": amount, "stage": "initial"},
        {"type": "BudgetLineRecorded", "fiscal_year": 2025, "line_id": "Y", "agency": "a",
         "category": "B", "amount": other or "0", "stage": "initial"},
    ]  # fmt: skip
    stored = as_stored(events)
    state = fold_all(stored)
    version = state.definitions[("d", 1)]
    before = measure(state, "JP", 2025, version).total()
    move = {"type": "BudgetLineReclassified", "fiscal_year": 2025, "line_id": "X", "category": "B"}
    apply(state, as_stored([*events, move])[-1])
    after = measure(state, "JP", 2025, version)
    assert after.total() == before
    assert after.total() == Decimal(amount) * Decimal(share) + Decimal(other) * Decimal(share)


def _ev(seq: int, event_type: str, **payload: object) -> Ev:
    return Ev(seq, event_type, 1, dict(payload))


def test_fold__revise_and_withdraw_move_the_sum_by_deltas() -> None:
    key = {"jurisdiction": "JP", "fiscal_year": 2025, "line_id": "L"}
    recorded = {**key, "agency": "a", "program": "", "category": "A", "amount": "10",
                "currency": "JPY", "stage": "initial"}  # fmt: skip
    state = fold_all([Ev(1, "BudgetLineRecorded", 2, recorded)])
    assert state.sums[("JP", 2025)][("initial", "A", "JPY")].amount == Decimal(10)
    apply(state, _ev(2, "BudgetLineRevised", **key, amount="12.5"))
    assert dec_str(state.sums[("JP", 2025)][("initial", "A", "JPY")].amount) == "12.5"
    apply(state, _ev(3, "BudgetLineWithdrawn", **key))
    assert ("JP", 2025) not in state.sums
    apply(state, _ev(4, "BudgetLineRevised", **key, amount="99"))  # ignored: withdrawn
    assert ("JP", 2025) not in state.sums and state.lines["JP/FY2025/L"].amount == Decimal("12.5")


def test_fold__upcasts_a_v1_budget_line() -> None:
    old = {"fiscal_year": 2024, "line_id": "OLD", "agency": "MoD", "program": "", "category": "A",
           "amount_yen": 6800000000000, "stage": "initial"}  # fmt: skip
    state = fold_all([Ev(1, "BudgetLineRecorded", 1, old)])
    line = state.lines["JP/FY2024/OLD"]
    assert (line.amount, line.currency) == (Decimal("6800000000000"), "JPY")


def test_definitions__version_opened_from_a_base_copies_its_state_then_diverges() -> None:
    ref1 = {"definition": "d", "version": 1}
    ref2 = {"definition": "d", "version": 2}
    state = fold_all(
        [
            _ev(1, "DefinitionVersionOpened", **ref1, title="one"),
            _ev(2, "CategoryIncluded", **ref1, category="A", share="0.5", tier="related"),
            _ev(3, "StagesSet", **ref1, stages=["initial", "supplementary"]),
            _ev(4, "DefinitionVersionOpened", **ref2, title="two", based_on=1),
            _ev(5, "CategoryExcluded", **ref2, category="A"),
            _ev(6, "CategoryIncluded", **ref1, category="B", share="1", tier="core"),
        ]
    )
    one, two = state.definitions[("d", 1)], state.definitions[("d", 2)]
    assert sorted(one.categories) == ["A", "B"] and two.categories == {}
    assert two.counted_stages == ("initial", "supplementary") and two.stages_seq == 3


@pytest.mark.parametrize(
    ("statuses", "year", "expected"),
    [
        ([("adopted", 2023, 1), ("adopted", 2025, 2)], 2024, 1),
        ([("adopted", 2023, 1), ("adopted", 2025, 2)], 2025, 2),
        ([("superseded", 2023, 1), ("adopted", 2025, 2)], 2024, 1),
        ([("adopted", 2025, 1), ("adopted", 2025, 2)], 2026, 2),
        ([("withdrawn", None, 1), ("adopted", 2026, 2)], 2025, None),
        ([("adopted", 2023, 1), ("draft", None, 2)], 2030, 1),
    ],
)
def test_in_force__greatest_effective_from_then_highest_version(
    statuses: list[tuple[str, int | None, int]], year: int, expected: int | None
) -> None:
    events = []
    for status, effective, number in statuses:
        ref = {"definition": "d", "version": number}
        events.append(_ev(len(events) + 1, "DefinitionVersionOpened", **ref, title="t"))
        if status == "superseded":
            events.append(_ev(len(events) + 1, "DefinitionStatusChanged", **ref, status="adopted",
                              effective_from=effective))  # fmt: skip
        if status != "draft":
            events.append(_ev(len(events) + 1, "DefinitionStatusChanged", **ref, status=status,
                              effective_from=effective))  # fmt: skip
    found = in_force(fold_all(events).definitions, "d", year)
    assert (found.version if found else None) == expected
