"""One fold for a budget line, whoever reads the line.

The import (``ledger.intake.lines.current_lines``, which turns a re-imported line into a
revision), the in-memory projection (``fold_all``), the persisted projection (``proj_lines``
after a catch-up), the snapshot path (``fold_lines``) and ``trace`` must all see the same state
of every line. They once had two folds that disagreed on a withdrawn line (the import's fold let
a later revision or reclassification change it). The events here are appended with the store's
own API, around the rules, so the ledger holds exactly the events the rules would refuse: a
withdrawn line stays withdrawn and keeps the figures it was withdrawn with, a line is recorded
once, and an event on a line that is not there creates nothing.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers.projection_scenarios import Ev
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Provenance, parse_event
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.intake.importers import import_text
from ledger.intake.lines import LineState, current_lines, fold_lines, line_transition
from ledger.projections.fold import fold_all
from ledger.projections.persisted import stored_state
from ledger.queries.trace import _lines as trace_lines
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

KEY = {"jurisdiction": "JP", "fiscal_year": 2025, "line_id": "L1"}
STREAM = "line/JP/FY2025/L1"
RECORDED = {**KEY, "agency": "MoD", "program": "p", "category": "C.A", "amount": "100",
            "currency": "JPY", "stage": "initial"}  # fmt: skip
FOLLOW_UPS = {
    "BudgetLineRecorded": {**RECORDED, "category": "C.B", "amount": "999", "stage": "settled"},
    "BudgetLineRevised": {**KEY, "amount": "250"},
    "BudgetLineReclassified": {**KEY, "category": "C.B"},
    "BudgetLineWithdrawn": KEY,
}


def _pending(event_type: str, fields: dict[str, Any]) -> PendingEvent:
    return PendingEvent(parse_event({**fields, "type": event_type}), Provenance(actor="t"))


def _append(store: EventStore, events: list[tuple[str, dict[str, Any]]]) -> None:
    """Append ``events`` as they are, rules or not (the store's own API checks none)."""
    store.append_events([_pending(event_type, fields) for event_type, fields in events])


def _every_view(store: EventStore) -> dict[str, dict[str, LineState]]:
    """The lines as each reader of the ledger folds them, keyed by stream name."""
    events = list(store.read())
    streams = sorted({e.stream for e in events if e.stream.startswith("line/")})
    snapshot_path = fold_lines(
        {}, [(e.seq, e.type, e.schema_version, e.payload) for e in events if e.stream in streams]
    )
    years = {(line.jurisdiction, line.fiscal_year) for line in snapshot_path.values()}
    traced: dict[str, LineState] = {}
    for jurisdiction, year in years:
        traced.update(trace_lines(store, jurisdiction, year, events[-1].seq)[0])
    named = {
        "in memory": fold_all(events).lines,
        "persisted": stored_state(store).lines,
        "snapshot path": snapshot_path,
        "trace": traced,
    }
    views = {name: {f"line/{k}": v for k, v in lines.items()} for name, lines in named.items()}
    views["import"] = current_lines(store, streams)
    return views


def _assert_one_view(store: EventStore) -> dict[str, LineState]:
    views = _every_view(store)
    first = views.pop("import")
    for name, lines in views.items():
        assert lines == first, name
    return first


@pytest.mark.parametrize("follow_up", sorted(FOLLOW_UPS))
def test_line_fold__a_withdrawn_line_stays_withdrawn_with_its_figures(
    store: EventStore, follow_up: str
) -> None:
    _append(
        store, [("BudgetLineRecorded", RECORDED), ("BudgetLineRevised", {**KEY, "amount": "120"})]
    )
    _append(store, [("BudgetLineWithdrawn", KEY), (follow_up, FOLLOW_UPS[follow_up])])
    line = _assert_one_view(store)[STREAM]
    assert line.withdrawn
    assert (line.amount, line.category, line.stage) == (Decimal("120"), "C.A", "initial")
    assert (line.recorded_seq, line.last_seq) == (1, 3)  # the withdrawal was its last change
    assert fold_all(store.read()).sums == {}  # counted nowhere


def test_line_fold__a_line_is_recorded_once(store: EventStore) -> None:
    _append(store, [("BudgetLineRecorded", RECORDED)])
    _append(store, [("BudgetLineRecorded", FOLLOW_UPS["BudgetLineRecorded"])])
    line = _assert_one_view(store)[STREAM]
    assert (line.amount, line.category, line.stage, line.last_seq) == (
        Decimal("100"), "C.A", "initial", 1
    )  # fmt: skip
    sums = fold_all(store.read()).sums[("JP", 2025)]
    assert {cell: (s.amount, s.lines) for cell, s in sums.items()} == {
        ("initial", "C.A", "JPY"): (Decimal("100"), 1)
    }


@pytest.mark.parametrize("event_type", ["BudgetLineRevised", "BudgetLineReclassified",
                                        "BudgetLineWithdrawn"])  # fmt: skip
def test_line_fold__an_event_on_an_absent_line_creates_nothing(
    store: EventStore, event_type: str
) -> None:
    _append(store, [(event_type, FOLLOW_UPS[event_type])])
    assert _every_view(store)["import"] == {}
    assert fold_all(store.read()).lines == {}


def test_line_fold__is_pure() -> None:
    line = line_transition(None, 1, "BudgetLineRecorded", RECORDED)
    assert line is not None
    for seq, (event_type, payload) in enumerate(FOLLOW_UPS.items(), start=2):
        before = LineState(**{f: getattr(line, f) for f in LineState.__slots__})
        after = line_transition(line, seq, event_type, payload)
        assert line == before  # never changed in place
        if after is not line:
            assert after is not None and after.last_seq == seq
            line = after


@pytest.mark.parametrize(
    ("event_type", "payload", "detail"),
    [
        ("BudgetLineRevised", {**KEY, "amount": 5}, "expected a decimal string, found int"),
        ("BudgetLineRevised", {**KEY, "amount": 1.5}, "expected a decimal string, found float"),
        ("BudgetLineReclassified", {**KEY, "category": 7}, "expected text, found int"),
    ],
)
@pytest.mark.parametrize("withdrawn_first", [False, True])
def test_line_fold__a_changing_field_of_the_wrong_json_type_is_unreadable_at_its_seq(
    event_type: str, payload: dict[str, Any], detail: str, withdrawn_first: bool
) -> None:
    """The projection's fold once took ``Decimal(5)`` and ``Decimal(1.5)`` (a float's binary
    digits) into the running sums, where the snapshot path refused the same payload."""
    events = [Ev(1, "BudgetLineRecorded", 2, RECORDED)]
    if withdrawn_first:
        events.append(Ev(2, "BudgetLineWithdrawn", 1, KEY))
    events.append(Ev(len(events) + 1, event_type, 1, payload))
    seq = len(events)
    with pytest.raises(IntegrityFailure, match=rf"^seq {seq}: .*{detail}"):
        fold_all(events)
    with pytest.raises(IntegrityFailure, match=rf"^seq {seq}: .*{detail}"):
        fold_lines({}, [(e.seq, e.type, e.schema_version, e.payload) for e in events])


def test_import__a_withdrawn_line_reimported_with_new_figures_is_refused(
    store: EventStore,
) -> None:
    """The import compares a re-imported line with the state it was withdrawn in (not with
    figures an event after the withdrawal claimed), and the rules refuse the revision."""
    _append(store, [("CategoryDefined", {"code": "C.A", "name": "a"})])
    _append(store, [("BudgetLineRecorded", RECORDED), ("BudgetLineWithdrawn", KEY)])
    _append(store, [("BudgetLineRevised", {**KEY, "amount": "250"})])  # around the rules
    count = store.count()
    text = "fiscal_year,line_id,agency,program,category,amount,stage\n"
    same_as_withdrawn = import_text(store, text + "2025,L1,MoD,p,C.A,100,initial\n", actor="t")
    assert same_as_withdrawn.appended == 0
    with pytest.raises(InvalidInput, match="budget line JP/FY2025/L1 was withdrawn"):
        import_text(store, text + "2025,L1,MoD,p,C.A,250,initial\n", actor="t", reason="r")
    assert store.count() == count


_OPS = st.lists(
    st.tuples(
        st.sampled_from(sorted(FOLLOW_UPS)),
        st.sampled_from(["L1", "L2"]),
        st.sampled_from(["1", "2.5", "-3", "1E+3"]),
        st.sampled_from(["C.A", "C.B"]),
    ),
    min_size=1,
    max_size=12,
)


def _model(ops: list[tuple[str, str, str, str]]) -> dict[str, tuple[Decimal, str, bool]]:
    """What the events mean, written independently: (amount, category, withdrawn) per line."""
    lines: dict[str, tuple[Decimal, str, bool]] = {}
    for event_type, line_id, amount, category in ops:
        stream = f"line/JP/FY2025/{line_id}"
        found = lines.get(stream)
        if event_type == "BudgetLineRecorded":
            if found is None:
                lines[stream] = (Decimal(amount), category, False)
        elif found is not None and not found[2]:
            if event_type == "BudgetLineRevised":
                lines[stream] = (Decimal(amount), found[1], False)
            elif event_type == "BudgetLineReclassified":
                lines[stream] = (found[0], category, False)
            else:
                lines[stream] = (found[0], found[1], True)
    return lines


def _payload(event_type: str, line_id: str, amount: str, category: str) -> dict[str, Any]:
    key = {**KEY, "line_id": line_id}
    return {
        "BudgetLineRecorded": {**RECORDED, **key, "amount": amount, "category": category},
        "BudgetLineRevised": {**key, "amount": amount},
        "BudgetLineReclassified": {**key, "category": category},
        "BudgetLineWithdrawn": key,
    }[event_type]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=_OPS)
def test_line_fold__every_reader_sees_what_the_events_mean(
    ops: list[tuple[str, str, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        with EventStore.open(str(Path(folder) / "l.db"), create=True) as store:
            _append(store, [(op[0], _payload(*op)) for op in ops])
            lines = _assert_one_view(store)
    assert {s: (ln.amount, ln.category, ln.withdrawn) for s, ln in lines.items()} == _model(ops)
