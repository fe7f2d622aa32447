"""A small Japan-like ledger for the checkpoint and export tests: categories, two definition
versions, budget lines (one with a formula-looking program name, one negative), GDP."""

from __future__ import annotations

from helpers import category, line, pending
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

HOSTILE_PROGRAM = '=HYPERLINK("http://x")'


def scenario_events() -> list[PendingEvent]:
    source = {"title": "MOF FY2025 budget", "url": "https://www.mof.go.jp/"}
    return [
        category("JP.CORE.DBP", name="Defense Buildup Program"),
        category("JP.REL.JCG", name="Coast Guard"),
        category("JP.CAND.SPACE", name="@space and aviation"),
        pending(
            "DefinitionVersionOpened", definition="jp-defense-related", version=1, title="2022 set"
        ),
        pending(
            "CategoryIncluded", definition="jp-defense-related", version=1, category="JP.CORE.DBP"
        ),
        pending(
            "CategoryIncluded",
            definition="jp-defense-related",
            version=1,
            category="JP.REL.JCG",
            tier="related",
        ),
        pending(
            "DefinitionStatusChanged",
            definition="jp-defense-related",
            version=1,
            status="adopted",
            effective_from=2023,
        ),
        pending(
            "DefinitionVersionOpened",
            definition="jp-defense-related",
            version=2,
            based_on=1,
            title="Expanded",
        ),
        pending(
            "CategoryIncluded",
            definition="jp-defense-related",
            version=2,
            category="JP.CAND.SPACE",
            share="0.5",
            tier="related",
        ),
        line("MOD-DBP", "8500000000000", source=source),
        line("JCG", "250000000000", "JP.REL.JCG", agency="Japan Coast Guard", program="-cutters"),
        line(
            "SPACE",
            "120000000000.5",
            "JP.CAND.SPACE",
            agency="Cabinet Office",
            program=HOSTILE_PROGRAM,
        ),
        line("CUT", "-1000", "JP.CORE.DBP", program="+correction", reason="@reversal"),
        pending(
            "BudgetLineRevised",
            fiscal_year=2025,
            line_id="JCG",
            amount="260000000000",
            reason="restated",
        ),
        pending("GdpRecorded", fiscal_year=2025, amount="620000000000000", vintage="2025-estimate"),
    ]


def build_scenario(store: EventStore) -> int:
    """Append the scenario one event per transaction; return the head seq."""
    for event in scenario_events():
        store.append_events([event])
    head = store.head()
    assert head is not None
    return head.seq
