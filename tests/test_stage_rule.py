"""The stages ``plan`` and ``estimate``, and the ``latest`` stage rule: a definition that counts
the latest stage level recorded for a year never counts the year twice (draft, then initial +
supplementary, then settled), through record, totals (persisted tables, snapshots, as-of),
trace, diff and what-if; a ``sum`` StagesSet is the payload it always was."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from click.testing import Result
from helpers import ok

from events import STAGE_LEVELS, Stage, StagesSet, event_payload, parse_event
from ledger.intake.importers import content_key
from ledger.projections.definitions import SUM, DefinitionVersion
from ledger.projections.snapshots import parse_stages_text, stages_text

Cli = Callable[..., Result]
ALL_STAGES = ("plan", "request", "draft", "initial", "supplementary", "estimate", "settled")


def _line(cli: Cli, line_id: str, stage: str, amount: str, category: str = "A") -> None:
    ok(cli("record", "line", "--fy", "FY2025", "--line-id", line_id, "--agency", "MoD",
           "--category", category, "--amount", amount, "--stage", stage))  # fmt: skip


def _definition(cli: Cli, version: int, rule: str | None, stages: tuple[str, ...]) -> None:
    ok(cli("record", "definition", "--definition", f"d@{version}", "--title", f"v{version}"))
    ok(cli("record", "include", "--definition", f"d@{version}", "--category", "A"))
    args = [x for stage in stages for x in ("--stages", stage)]
    args += ["--rule", rule] if rule else []
    ok(cli("record", "stages", "--definition", f"d@{version}", *args))


def _total(cli: Cli, spec: str, *extra: str) -> dict[str, Any]:
    result = ok(cli("totals", "--fy", "FY2025", "--definition", spec, "--tier", "all",
                    "--format", "json", *extra))  # fmt: skip
    rows = json.loads(result.stdout)["totals"]
    assert len(rows) == 1
    return rows[0]  # type: ignore[no-any-return]


@pytest.fixture
def ledger(cli: Cli) -> Cli:
    ok(cli("record", "category", "--code", "A", "--name", "Defense"))
    ok(cli("record", "category", "--code", "B", "--name", "Not counted"))
    _definition(cli, 1, "latest", ("draft", "initial", "supplementary", "settled"))
    _definition(cli, 2, None, ("draft", "initial", "supplementary", "settled"))
    return cli


def test_stages__plan_and_estimate_exist_in_budget_order() -> None:
    assert [s.value for s in Stage] == list(ALL_STAGES)
    assert sorted(ALL_STAGES, key=STAGE_LEVELS.__getitem__) == list(ALL_STAGES)
    assert STAGE_LEVELS["initial"] == STAGE_LEVELS["supplementary"]
    assert len(set(STAGE_LEVELS.values())) == len(ALL_STAGES) - 1


def test_stage_rule__latest_counts_draft_then_enacted_then_settled_never_twice(
    ledger: Cli,
) -> None:
    _line(ledger, "DRAFT", "draft", "100")
    assert (_total(ledger, "d@1")["total"], _total(ledger, "d@1")["stages"]) == ("100", "draft")
    _line(ledger, "INITIAL", "initial", "200")
    assert _total(ledger, "d@1")["total"] == "200"  # the draft is replaced, not added
    _line(ledger, "SUPP", "supplementary", "30")
    row = _total(ledger, "d@1")
    assert (row["total"], row["stages"]) == ("230", "initial,supplementary")  # one level: adds
    _line(ledger, "SETTLED", "settled", "240")
    row = _total(ledger, "d@1")
    assert (row["total"], row["stages"]) == ("240", "settled")
    # the same stages summed (the old behaviour, still the default) count the year four times
    assert _total(ledger, "d@2")["total"] == "570"
    # --stages narrows first, then the rule picks the latest of what is left
    assert _total(ledger, "d@1", "--stages", "draft", "--stages", "initial")["total"] == "200"
    # as of an earlier moment (folded from the events, not the tables): the draft alone
    assert _total(ledger, "d@1", "--as-of", "9")["total"] == "100"


def test_stage_rule__only_lines_the_definition_counts_decide_the_level(ledger: Cli) -> None:
    _line(ledger, "INITIAL", "initial", "200")
    _line(ledger, "OTHER-SETTLED", "settled", "999", category="B")  # B is not included
    _line(ledger, "PLAN", "plan", "50")  # plan is not among d@1's stages
    assert _total(ledger, "d@1")["total"] == "200"


def test_stage_rule__estimate_replaces_enacted_and_settled_replaces_estimate(cli: Cli) -> None:
    ok(cli("record", "category", "--code", "A", "--name", "Defense"))
    _definition(cli, 1, "latest", ALL_STAGES)
    lines = [("P", "plan", "90"), ("R", "request", "110"), ("I", "initial", "100"),
             ("S", "supplementary", "5")]  # fmt: skip
    for line_id, stage, amount in lines:
        _line(cli, line_id, stage, amount)
    assert _total(cli, "d@1")["total"] == "105"
    _line(cli, "E", "estimate", "103")
    assert _total(cli, "d@1")["total"] == "103"
    _line(cli, "X", "settled", "101")
    assert _total(cli, "d@1")["total"] == "101"
    ok(cli("record", "withdraw", "--fy", "2025", "--line-id", "X", "--reason", "typo"))
    assert _total(cli, "d@1")["total"] == "103"  # back to the estimate: a withdrawn line is gone


def test_stage_rule__shown_in_totals_meta_trace_log_and_exports(ledger: Cli, tmp_path: Any) -> None:
    _line(ledger, "INITIAL", "initial", "200")
    _line(ledger, "SETTLED", "settled", "240")
    meta = json.loads(ok(ledger("totals", "--fy", "FY2025", "--format", "json",
                                "--definition", "d@1")).stdout)["meta"]  # fmt: skip
    [version] = meta["definitions"]
    assert (version["stage_rule"], version["stages"]) == (
        "latest",
        ["draft", "initial", "supplementary", "settled"],
    )
    trace = ok(ledger("trace", "--fy", "FY2025", "--definition", "d@1", "--all-lines")).stdout
    assert "stages counted: latest of draft,initial,supplementary,settled" in trace
    assert "not counted: stage initial is replaced by the year's latest (settled)" in trace
    log = ok(ledger("log", "--type", "StagesSet")).stdout
    assert "d@1 stages draft,initial,supplementary,settled (latest)" in log
    out = tmp_path / "bundle"
    ok(ledger("export", "-o", "bundle", "--root", str(tmp_path)))
    rows = (out / "definitions.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    rules = {r.split(",")[1]: r.split(",")[header.index("stage_rule")] for r in rows[1:]}
    assert rules == {"1": "latest", "2": "sum"}
    ok(ledger("verify-export", str(out)))


def test_stage_rule__stored_tables_snapshots_and_rebuild_agree(ledger: Cli) -> None:
    _line(ledger, "INITIAL", "initial", "200")
    _line(ledger, "SETTLED", "settled", "240")
    assert _total(ledger, "d@1")["total"] == "240"  # from the persisted tables
    ok(ledger("rebuild", "--check"))
    version = DefinitionVersion("d", 1, "t", None, 1, stages=("initial",), stage_rule="latest")
    assert stages_text(version) == "latest:initial"
    assert parse_stages_text("latest:initial") == (("initial",), "latest")
    assert parse_stages_text("initial,supplementary") == (("initial", "supplementary"), SUM)
    assert parse_stages_text(None) == (None, SUM)


def test_stage_rule__diff_and_what_if_attribute_the_rule_change_exactly(ledger: Cli) -> None:
    for line_id, stage, amount in [("DRAFT", "draft", "100"), ("INITIAL", "initial", "200"),
                                   ("SUPP", "supplementary", "30")]:  # fmt: skip
        _line(ledger, line_id, stage, amount)
    report = json.loads(ok(ledger("diff", "d@2", "d@1", "--fy", "FY2025",
                                  "--format", "json")).stdout)  # fmt: skip
    [section] = report["sections"]
    assert [(c["kind"], c["before"], c["after"]) for c in section["changes"]] == [
        ("stage-rule", "sum", "latest")
    ]
    assert section["changes"][0]["delta_amount"] == "-100"  # the draft no longer counts
    assert (section["a"]["stage_rule"], section["b"]["stage_rule"]) == ("sum", "latest")
    what_if = json.loads(ok(ledger("what-if", "d@2", "--stage-rule", "latest", "--fy", "FY2025",
                                   "--format", "json")).stdout)  # fmt: skip
    assert what_if["sections"][0]["b"]["total"] == "230"
    # --stages alone keeps the version's rule (latest), --stage-rule alone keeps its stages
    what_if = json.loads(ok(ledger("what-if", "d@1", "--stages", "draft", "--fy", "FY2025",
                                   "--format", "json")).stdout)  # fmt: skip
    assert what_if["sections"][0]["b"]["total"] == "100"
    text = ok(ledger("diff", "d@2", "d@1", "--fy", "FY2025")).stdout
    assert "stage rule changed" in text and "initial,supplementary (latest)" in text


def test_stage_rule__sum_is_left_out_of_the_payload_so_old_events_are_unchanged() -> None:
    old = {"definition": "d", "version": 1, "stages": ["initial", "supplementary"]}
    event = parse_event({"type": "StagesSet", **old})
    assert isinstance(event, StagesSet) and event.rule == "sum"
    assert event_payload(event) == old  # the same canonical payload, hash and content key
    explicit = parse_event({"type": "StagesSet", **old, "rule": "sum"})
    from events import Provenance

    prov = Provenance(actor="a")
    assert content_key(explicit, prov) == content_key(event, prov)
    latest = parse_event({"type": "StagesSet", **old, "rule": "latest"})
    assert event_payload(latest) == {**old, "rule": "latest"}
    with pytest.raises(ValueError, match="rule"):
        parse_event({"type": "StagesSet", **old, "rule": "newest"})


def test_stage_rule__levels_are_what_measure_uses() -> None:
    from ledger.projections.fold import SumCell
    from ledger.projections.measure import counted_stages

    version = DefinitionVersion("d", 1, "t", None, 1, stages=ALL_STAGES, stage_rule="latest")
    version.categories["A"] = None  # type: ignore[assignment]  # only membership is read
    for stage in ALL_STAGES:
        group = {(s, "A", "JPY"): SumCell(Decimal(1), 1) for s in ALL_STAGES}
        # with every stage present, the settled accounts win
        assert counted_stages(version, group) == ("settled",)
        below = {k: v for k, v in group.items() if STAGE_LEVELS[k[0]] <= STAGE_LEVELS[stage]}
        expected = tuple(s for s in ALL_STAGES if STAGE_LEVELS[s] == STAGE_LEVELS[stage])
        assert counted_stages(version, below) == expected
