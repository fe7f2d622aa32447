"""``record <kind>`` through the CLI: every event type, provenance, rules, idempotency, hostile
values stored verbatim, one-line errors."""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import ok, one_line_error

from ledger.audit.verify import verify_ledger
from ledger.storage.store import EventStore

LINE = ("record", "line", "--fy", "FY2025", "--line-id", "L1", "--agency", "MoD",
        "--category", "A", "--amount", "100", "--stage", "initial")  # fmt: skip


def shown(cli: Callable[..., Result], seq: int) -> dict[str, object]:
    return json.loads(ok(cli("show", str(seq), "--format", "json")).stdout)  # type: ignore[no-any-return]


def test_cli_record__every_kind_in_a_scenario(
    store: EventStore, cli: Callable[..., Result]
) -> None:
    steps = [
        ("category", "--code", "A", "--name", "Core"),
        ("category", "--code", "B", "--name", "Related", "--parent", "A"),
        ("definition", "--definition", "jp@1", "--title", "2022 set"),
        ("include", "--definition", "jp@1", "--category", "A"),
        ("include", "--definition", "jp@1", "--category", "B", "--share", "0.5",
         "--tier", "related"),
        ("exclude", "--definition", "jp@1", "--category", "B"),
        ("stages", "--definition", "jp@1", "--stages", "initial", "--stages",
         "supplementary"),
        ("gdp-basis", "--definition", "jp@1", "--basis", "fixed-year",
         "--fy", "2022"),
        ("status", "--definition", "jp@1", "--status", "adopted",
         "--effective-from", "FY2025"),
        LINE[1:],
        ("revise", "--fy", "2025", "--line-id", "L1", "--amount", "120", "--reason", "r"),
        ("reclassify", "--fy", "2025", "--line-id", "L1", "--category", "B", "--reason",
         "r"),
        ("withdraw", "--fy", "2025", "--line-id", "L1", "--reason", "duplicate"),
        ("gdp", "--fy", "2022", "--amount", "560E12", "--vintage", "2022-12-estimate"),
        ("target", "--target-id", "nss-2pct", "--percent-of-gdp", "2", "--by-fy", "2027",
         "--definition", "jp"),
        ("fx", "--base", "USD", "--quote", "JPY", "--fy", "2025", "--rate", "151.5"),
    ]  # fmt: skip
    for seq, step in enumerate(steps, start=1):
        result = ok(cli("record", *step))
        assert result.stdout.startswith(f"seq {seq}  ")
    types = [e.type for e in store.read()]
    assert types == [
        "CategoryDefined", "CategoryDefined", "DefinitionVersionOpened", "CategoryIncluded",
        "CategoryIncluded", "CategoryExcluded", "StagesSet", "GdpBasisSet",
        "DefinitionStatusChanged", "BudgetLineRecorded", "BudgetLineRevised",
        "BudgetLineReclassified", "BudgetLineWithdrawn", "GdpRecorded", "TargetSet",
        "ExchangeRateRecorded",
    ]  # fmt: skip
    assert store.get(5).payload["share"] == "0.5"
    assert store.get(7).payload["stages"] == ["initial", "supplementary"]
    assert store.get(14).payload["amount"] == "560000000000000"
    assert store.get(14).payload["currency"] == "JPY"
    assert verify_ledger(store).ok


def test_cli_record__provenance_defaults_and_source(
    store: EventStore, cli: Callable[..., Result]
) -> None:
    ok(cli("record", "category", "--code", "A", "--name", "Core"))
    assert store.get(1).actor == getpass.getuser()
    assert store.get(1).source is None
    provenance = ("--actor", "analyst", "--reason", "budget draft", "--source-title", "MOF draft",
                  "--source-url", "https://www.mof.go.jp/x", "--source-page", "p.22",
                  "--hypothetical")  # fmt: skip
    ok(cli(*LINE, *provenance))
    stored = store.get(2)
    assert (stored.actor, stored.reason) == ("analyst", "budget draft")
    assert stored.source == {"title": "MOF draft", "url": "https://www.mof.go.jp/x", "page": "p.22",
                             "published": None, "hypothetical": True}  # fmt: skip


@pytest.mark.parametrize("kind", ["revise", "reclassify", "withdraw"])
def test_cli_record__reason_required_for_changes(
    store: EventStore, cli: Callable[..., Result], kind: str
) -> None:
    ok(cli("record", "category", "--code", "A", "--name", "Core"))
    ok(cli(*LINE))
    extra = {"revise": ["--amount", "1"], "reclassify": ["--category", "A"], "withdraw": []}[kind]
    args = ["record", kind, "--fy", "2025", "--line-id", "L1", *extra]
    message = one_line_error(cli(*args), 2)
    assert "needs --reason" in message
    assert store.count() == 2


def test_cli_record__rules_are_one_line_exit_2(
    store: EventStore, cli: Callable[..., Result]
) -> None:
    ok(cli("record", "category", "--code", "A", "--name", "Core"))
    assert "not defined" in one_line_error(cli(*[a if a != "A" else "Z" for a in LINE]), 2)
    ok(cli(*LINE))
    assert "already recorded" in one_line_error(cli(*LINE), 2)
    ok(cli("record", "withdraw", "--fy", "2025", "--line-id", "L1", "--reason", "x"))
    revise = ("record", "revise", "--fy", "2025", "--line-id", "L1", "--amount", "5",
              "--reason", "x")  # fmt: skip
    assert "withdrawn" in one_line_error(cli(*revise), 2)
    ok(cli("record", "definition", "--definition", "d@1", "--title", "t"))
    ok(cli("record", "status", "--definition", "d@1", "--status", "adopted",
           "--effective-from", "2025"))  # fmt: skip
    include = ("record", "include", "--definition", "d@1", "--category", "A")
    assert "adopted" in one_line_error(cli(*include), 2)
    back = ("record", "status", "--definition", "d@1", "--status", "draft")
    assert "cannot move from adopted to draft" in one_line_error(cli(*back), 2)
    assert store.count() == 5


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--amount", "1,000", "amount"),
        ("--amount", "NaN", "amount"),
        ("--amount", "1e999999", "amount"),
        ("--fy", "1800", "--fy: fiscal year 1800"),
        ("--currency", "JYP", "ISO 4217"),
        ("--stage", "final", "stage"),
        ("--jurisdiction", "Japan", "jurisdiction"),
        ("--line-id", "L\u200b1", "invalid code"),
    ],
)
def test_cli_record__bad_values_one_line_exit_2(
    store: EventStore, cli: Callable[..., Result], option: str, value: str, needle: str
) -> None:
    ok(cli("record", "category", "--code", "A", "--name", "Core"))
    args = list(LINE)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    assert needle in one_line_error(cli(*args), 2)
    assert store.count() == 1


HOSTILE = ["'; DROP TABLE events; --", '" OR 1=1 --', "=HYPERLINK(\"http://x\")", "@SUM(1)",
           "Robert'); DELETE FROM streams;--", "%_*\\"]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE)
def test_cli_record__sql_looking_values_stored_verbatim(
    store: EventStore, cli: Callable[..., Result], value: str
) -> None:
    ok(cli("record", "category", "--code", "A", "--name", value, "--description", value,
           "--actor", value, "--reason", value, "--source-title", value))  # fmt: skip
    ok(cli(*[value if a == "MoD" else a for a in LINE], "--program", value))
    category, budget_line = shown(cli, 1), shown(cli, 2)
    assert category["actor"] == category["reason"] == value
    assert category["payload"] == {"code": "A", "description": value, "name": value, "parent": None}
    assert category["source"]["title"] == value  # type: ignore[index]
    assert budget_line["payload"]["agency"] == budget_line["payload"]["program"] == value  # type: ignore[index]
    assert store.count() == 2 and verify_ledger(store).ok
    logged = json.loads(ok(cli("log", "--format", "json", "--actor", value)).stdout)
    assert [e["seq"] for e in logged["events"]] == [1]


@pytest.mark.parametrize("value", HOSTILE)
def test_cli_record__sql_looking_codes_rejected(
    store: EventStore, cli: Callable[..., Result], value: str
) -> None:
    assert "invalid code" in one_line_error(
        cli("record", "category", "--code", value, "--name", "x"), 2
    )
    assert store.count() == 0


def test_cli_record__idempotency_key_retry(store: EventStore, cli: Callable[..., Result]) -> None:
    args = ("record", "category", "--code", "A", "--name", "Core", "--idempotency-key", "req-1")
    ok(cli(*args))
    again = ok(cli(*args))
    assert again.stdout == ""
    assert again.stderr == "already recorded (same idempotency key): nothing added\n"
    assert store.count() == 1
    other = ("record", "category", "--code", "B", "--name", "Other", "--idempotency-key", "req-1")
    message = one_line_error(cli(*other), 2)
    assert "req-1" in message and "different event" in message
    assert store.count() == 1


def test_cli_record__missing_required_option_is_usage_exit_2(
    store: EventStore, cli: Callable[..., Result]
) -> None:
    result = cli("record", "category", "--code", "A")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "--name" in result.stderr


# Every record sub-command with arguments valid on the ledger ``_dry_run_ledger`` builds, in an
# order in which each is still valid after the ones before it were recorded for real.
DRY_RUNS: list[tuple[str, ...]] = [
    ("category", "--code", "C", "--name", "Candidate", "--parent", "A"),
    ("definition", "--definition", "jp@2", "--based-on", "1", "--title", "v2"),
    ("include", "--definition", "jp@1", "--category", "B", "--share", "0.5"),
    ("exclude", "--definition", "jp@1", "--category", "A", "--note", "no"),
    ("stages", "--definition", "jp@1", "--stages", "initial", "--stages",
     "settled", "--rule", "latest"),
    ("gdp-basis", "--definition", "jp@1", "--basis", "same-year"),
    ("status", "--definition", "jp@1", "--status", "adopted",
     "--effective-from", "2025"),
    ("line", "--fy", "2027", "--line-id", "PLAN", "--agency", "MoD", "--category", "A",
     "--amount", "8.9E12", "--stage", "plan"),
    ("revise", "--fy", "2025", "--line-id", "L1", "--amount", "120", "--reason", "r"),
    ("reclassify", "--fy", "2025", "--line-id", "L1", "--category", "B", "--reason",
     "r"),
    ("withdraw", "--fy", "2025", "--line-id", "L1", "--reason", "duplicate"),
    ("gdp", "--fy", "2022", "--amount", "560E12", "--vintage", "2022-12-estimate"),
    ("target", "--target-id", "nss-2pct", "--percent-of-gdp", "2", "--by-fy", "2027",
     "--definition", "jp"),
    ("fx", "--base", "USD", "--quote", "JPY", "--fy", "2025", "--rate", "151.5"),
    ("year-basis", "--jurisdiction", "US", "--basis", "fiscal", "--start-month", "10",
     "--named-by", "end"),
    ("calendar-rule", "--jurisdiction", "JP", "--start-month", "4", "--named-by", "start"),
    ("obligation", "--fy", "2025", "--obligation-id", "MOD-NEW", "--agency", "MoD",
     "--category", "A", "--amount", "8.7896E12", "--stage", "initial"),
]  # fmt: skip


def _dry_run_ledger(cli: Callable[..., Result]) -> None:
    ok(cli("record", "category", "--code", "A", "--name", "Core"))
    ok(cli("record", "category", "--code", "B", "--name", "Related"))
    ok(cli("record", "definition", "--definition", "jp@1", "--title", "v1"))
    ok(cli("record", "include", "--definition", "jp@1", "--category", "A"))
    ok(cli(*LINE))


def _files(db_path: Path) -> tuple[str, str]:
    """SHA-256 of the database file and of what its write-ahead log holds (a reader may leave
    an empty one, and SQLite's shared-memory index, behind: neither holds data)."""
    wal = db_path.with_name(db_path.name + "-wal")
    logged = wal.read_bytes() if wal.exists() else b""
    return (
        hashlib.sha256(db_path.read_bytes()).hexdigest(),
        hashlib.sha256(logged).hexdigest(),
    )


def test_cli_record__dry_run_of_every_kind_writes_nothing_and_shows_the_event(
    store: EventStore, cli: Callable[..., Result], db_path: Path
) -> None:
    from cli.record import KINDS

    assert {case[0] for case in DRY_RUNS} == set(KINDS)
    _dry_run_ledger(cli)
    store.close()
    for case in DRY_RUNS:
        before, count = _files(db_path), store.count()
        result = ok(cli("record", *case, "--actor", "analyst", "--dry-run"))
        assert _files(db_path) == before, case  # not a byte changed
        assert store.count() == count
        assert result.stderr == "dry run: nothing written\n"
        [line] = result.stdout.splitlines()
        shown = json.loads(line)
        # the event as it is then recorded, field for field
        ok(cli("record", *case, "--actor", "analyst"))
        stored = store.get(count + 1)
        assert shown == {
            "type": stored.type, **stored.payload, "actor": "analyst", "reason": stored.reason,
            "source": stored.source, "idempotency_key": None,
            "schema_version": stored.schema_version, "stream": stored.stream,
            "stream_version": stored.stream_version,
        }  # fmt: skip
    [stages] = [e for e in store.read() if e.type == "StagesSet"]
    assert stages.payload["rule"] == "latest"


def test_cli_record__dry_run_refused_by_a_rule_or_already_recorded(
    store: EventStore, cli: Callable[..., Result], db_path: Path
) -> None:
    _dry_run_ledger(cli)
    store.close()
    before = _files(db_path)
    message = one_line_error(cli(*LINE, "--dry-run"), 2)  # the same refusal as without it
    assert message == "Error: budget line JP/FY2025/L1 is already recorded (record a revision)"
    ok(cli("record", "category", "--code", "K", "--name", "Keyed", "--idempotency-key", "k1"))
    before = _files(db_path)
    again = ok(cli("record", "category", "--code", "K", "--name", "Keyed",
                   "--idempotency-key", "k1", "--dry-run"))  # fmt: skip
    assert (again.stdout, again.stderr) == (
        "", "already recorded (same idempotency key): nothing would be added\n"
    )  # fmt: skip
    assert _files(db_path) == before
    missing = db_path.parent / "missing.db"
    result = cli("--db", str(missing), "record", "category", "--code", "A", "--name", "x",
                 "--dry-run")  # fmt: skip
    assert "no ledger at" in one_line_error(result, 2)
    assert not missing.exists()


def test_cli_record__dry_run_output_imports_as_the_event(
    store: EventStore, cli: Callable[..., Result]
) -> None:
    _dry_run_ledger(cli)
    shown = ok(cli("record", "line", "--fy", "2026", "--line-id", "E1", "--agency",
                   "MoD", "--category", "A", "--amount", "7", "--stage", "estimate",
                   "--reason", "outturn estimate", "--dry-run")).stdout  # fmt: skip
    ok(cli("import", "-", input=shown))
    stored = store.get(store.count())
    assert (stored.type, stored.payload["stage"], stored.reason) == (
        "BudgetLineRecorded", "estimate", "outturn estimate"
    )  # fmt: skip
