"""``SpilledFold``: the export's fold with the lines in a temporary SQLite table gives exactly
the rows of the in-memory ``fold_all``, whatever the page size (ledger.projections.spill)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from helpers.audit_scenario import build_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from events import SCHEMA_VERSIONS
from ledger.exports.tables import definition_rows, line_rows, totals_rows
from ledger.projections.fold import fold_all
from ledger.projections.spill import SpilledFold
from ledger.storage.store import EventStore


def _tables(state: Any, lines: Any = None) -> tuple[list[Any], list[Any], list[Any]]:
    return (
        list(line_rows(state, lines)),
        definition_rows(state),
        totals_rows(state, state.last_seq),
    )


@pytest.mark.parametrize("page", [1, 2, 3, 5000])
def test_spilled_fold__same_rows_as_fold_all_at_any_page_size(store: EventStore, page: int) -> None:
    build_scenario(store)
    events = list(store.read())
    with SpilledFold(page) as fold:
        for event in events:
            fold.add_event(event)
        spilled = _tables(fold.finish(), fold.lines())
    assert spilled == _tables(fold_all(events))
    assert spilled[0] and spilled[2]


class _Event:
    def __init__(self, seq: int, event_type: str, payload: dict[str, Any]) -> None:
        self.seq, self.type, self.payload = seq, event_type, payload
        self.schema_version = SCHEMA_VERSIONS[event_type]


def _line_events(ops: list[tuple[int, int, str]]) -> list[_Event]:
    """Line events over a few line ids: record, revise, reclassify or withdraw each."""
    events: list[_Event] = []
    for seq, (kind, ident, amount) in enumerate(ops, start=1):
        base = {"jurisdiction": "JP", "fiscal_year": 2020 + ident % 2, "line_id": f"L{ident}"}
        if kind == 0:
            payload = {**base, "agency": "MoD", "program": "p", "category": "C1",
                       "amount": amount, "currency": "JPY", "stage": "initial"}  # fmt: skip
            events.append(_Event(seq, "BudgetLineRecorded", payload))
        elif kind == 1:
            events.append(_Event(seq, "BudgetLineRevised", {**base, "amount": amount}))
        elif kind == 2:
            events.append(_Event(seq, "BudgetLineReclassified", {**base, "category": "C2"}))
        else:
            events.append(_Event(seq, "BudgetLineWithdrawn", base))
    return events


_AMOUNTS = st.sampled_from(["1", "1.50", "-2.000", "0", "1E+3", "123456789012345.678"])


@settings(max_examples=40, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 4), _AMOUNTS), min_size=1, max_size=30
    ),
    page=st.integers(1, 7),
)
def test_spilled_fold__lines_and_sums_match_the_in_memory_fold(
    ops: list[tuple[int, int, str]], page: int
) -> None:
    events = _line_events(ops)
    expected = fold_all(events)
    with SpilledFold(page) as fold:
        for event in events:
            fold.add_event(event)
        state = fold.finish()
        lines = list(fold.lines())
    wanted = sorted(
        expected.lines.values(), key=lambda ln: (ln.jurisdiction, ln.fiscal_year, ln.line_id)
    )
    assert lines == wanted
    assert [str(ln.amount) for ln in lines] == [str(ln.amount) for ln in wanted]
    assert state.sums == expected.sums
    assert state.last_seq == expected.last_seq


def test_spilled_fold__removes_its_temporary_file() -> None:
    fold = SpilledFold()
    path = fold.path
    assert os.path.exists(path)
    fold.close()
    assert not os.path.exists(path)
