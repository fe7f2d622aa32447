"""Mutated old-schema payloads, wherever a payload is decoded: only validation errors come out.

A payload is read in three places: an imported JSON Lines line (upcast, then validated), a
stored row (upcast, then folded or validated), and the upcasters themselves. Hypothesis
mutates real payloads (the frozen v1 ``BudgetLineRecorded`` and valid events of every type):
keys dropped, renamed and added, values of the wrong type, nested junk, huge numbers and
strings, every ``schema_version`` (0, negative, future, bools, strings, floats, absent).

- ``upcast``/``load_stored``: a model, or a ``ValueError`` (an ``UpcastError`` or a pydantic
  ``ValidationError``), never a ``KeyError``, ``TypeError`` or the like;
- ``import``: the line is imported, or the file is refused with one problem naming line 1
  (library and CLI: exit 2, one ``Error:`` line, no "internal error");
- a stored row (inserted raw, with a correct hash chain, as someone editing the database would):
  every read command ends without a traceback or "internal error"; a payload it cannot decode
  is exit 3 naming the seq."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import category, line, pending
from helpers.strategies import event_strategy
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from cli.app import cli as app
from events import EVENT_CLASSES, SCHEMA_VERSIONS, event_payload, load_stored
from events.upcasters import upcast
from ledger.errors import InvalidInput
from ledger.intake.importers import import_text
from ledger.storage.chain import chain_hash, envelope_bytes
from ledger.storage.records import format_time, utc_now
from ledger.storage.store import EventStore
from ledger.storage.times import micros_of

DATA = Path(__file__).parent / "data"
V1 = json.loads((DATA / "budget_line_recorded_v1.json").read_text())

# -- payloads ------------------------------------------------------------------------------------

SPECIAL = ["1e400", "NaN", "-0", "\x00", "", " ", "FY2025", "２０２５"]
# long strings drawn by length (a literal would make every strategy's repr 100 KB long)
HUGE = st.one_of(st.sampled_from(SPECIAL), st.sampled_from([5000, 100_000]).map(lambda n: "9" * n))
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**53, 2**63, 10**40, -(10**41)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    HUGE,
)
JUNK = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


VALUES = st.one_of(JUNK, st.integers(1, 60).map(nested))


def v1_of(payload: dict[str, Any]) -> dict[str, Any]:
    """A current ``BudgetLineRecorded`` payload written the v1 way (yen integer, no currency)."""
    old = {k: v for k, v in payload.items() if k not in ("amount", "currency", "jurisdiction")}
    return {**old, "amount_yen": int(float(payload["amount"]))}


def bases() -> st.SearchStrategy[tuple[str, dict[str, Any], int]]:
    """(type, payload, the schema version it is written in): the frozen v1 payload, generated
    v1 lines, and valid payloads of every type at today's version."""
    current = st.sampled_from(sorted(EVENT_CLASSES)).flatmap(
        lambda name: event_strategy(EVENT_CLASSES[name]).map(
            lambda event: (name, event_payload(event), SCHEMA_VERSIONS[name])
        )
    )
    v1_lines = event_strategy(EVENT_CLASSES["BudgetLineRecorded"]).map(
        lambda event: ("BudgetLineRecorded", v1_of(event_payload(event)), 1)
    )
    return st.one_of(st.just(("BudgetLineRecorded", V1, 1)), v1_lines, current)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any], Any]:
    """A payload after one to four mutations, and the schema version it claims."""
    event_type, payload, version = draw(bases())
    payload = dict(payload)
    keys = sorted(set(payload) | {"amount", "amount_yen", "currency", "jurisdiction"})
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["drop", "set", "set", "add", "rename"]))
        key = draw(st.sampled_from(keys))
        if kind == "drop":
            payload.pop(key, None)
        elif kind == "set":
            payload[key] = draw(VALUES)
        elif kind == "add":
            payload[draw(st.text(min_size=1, max_size=8) | HUGE)] = draw(VALUES)
        elif key in payload:
            payload[draw(st.sampled_from(keys))] = payload.pop(key)
    claimed = draw(
        st.one_of(
            st.just(version),
            st.integers(-3, 5),
            st.integers(-(2**70), 2**70),
            st.booleans(),
            st.none(),
            st.floats(),
            st.text(max_size=4),
            st.sampled_from(["1", "2", [1], {"v": 1}]),
        )
    )
    return event_type, payload, claimed


# -- the upcasters and the model -----------------------------------------------------------------


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=400, deadline=None)
@given(
    case=mutated(),
    not_an_object=st.one_of(st.none(), JUNK.filter(lambda v: not isinstance(v, dict))),
)
def test_upcast_and_load__only_value_errors(
    case: tuple[str, dict[str, Any], Any], not_an_object: Any
) -> None:
    event_type, payload, version = case
    for candidate in (payload, not_an_object):
        before = json.dumps(candidate, sort_keys=True, default=repr)
        try:
            load_stored(event_type, version, candidate)
        except ValueError:  # UpcastError and pydantic's ValidationError are ValueErrors
            pass
        try:
            upcast(event_type, version, candidate, SCHEMA_VERSIONS[event_type])
        except ValueError:
            pass
        assert json.dumps(candidate, sort_keys=True, default=repr) == before, "input mutated"


def test_upcast__the_reported_cases() -> None:
    """Issue 12 item 7 and its neighbours, each a ValueError that names what is wrong."""
    missing = {k: v for k, v in V1.items() if k != "amount_yen"}
    cases = [
        (missing, 1, "amount_yen: field required"),
        ({**V1, "amount_yen": "5257400000000"}, 1, "amount_yen: must be an integer"),
        ({**V1, "amount_yen": True}, 1, "amount_yen: must be an integer, not True"),
        ({**V1, "amount_yen": 1.5}, 1, "amount_yen: must be an integer, not 1.5"),
        ({**V1, "amount": "1"}, 1, "amount: a v1 BudgetLineRecorded has amount_yen, not amount"),
        (V1, 0, "schema_version 0 is not a version of BudgetLineRecorded"),
        (V1, -7, "schema_version -7 is not a version"),
        (V1, 3, "schema_version 3 of BudgetLineRecorded is newer than this program (v2)"),
        (V1, 10**80, "schema_version an integer of 81 digits of BudgetLineRecorded is newer"),
        (V1, True, "schema_version must be an integer, not True"),
        (V1, "1", "schema_version must be an integer, not '1'"),
    ]
    for payload, version, message in cases:
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            upcast("BudgetLineRecorded", version, payload, 2)
    with pytest.raises(ValueError, match="the BudgetLineRecorded payload must be a JSON object"):
        upcast("BudgetLineRecorded", 1, [V1], 2)


# -- import: the library and the CLI -------------------------------------------------------------


def jsonl_line(event_type: str, payload: dict[str, Any], version: Any, omit: bool) -> str:
    data = {"type": event_type, **payload}
    if not omit:
        data["schema_version"] = version
    return json.dumps(data) + "\n"


@pytest.fixture(scope="module")
def import_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile-import") / "ledger.db"
    with EventStore.open(str(path), create=True) as store:
        store.append_events([category("JP.CORE.DBP")])
    return path


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=300, deadline=None)
@given(case=mutated(), omit=st.booleans())
def test_import_text__a_line_is_imported_or_one_problem_at_line_1(
    import_db: Path, case: tuple[str, dict[str, Any], Any], omit: bool
) -> None:
    text = jsonl_line(*case, omit=omit)
    store = EventStore.open(str(import_db))
    try:
        import_text(store, text, actor="fuzz", dry_run=True)
        event("imported")
    except InvalidInput as exc:
        event("refused")
        message = str(exc)
        assert message.startswith("nothing imported: 1 problem in the events file: line 1: ")
        assert "\n" not in message and len(message) < 2000, message[:300]
    finally:
        store.close()


@pytest.mark.slow
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=mutated(), omit=st.booleans())
def test_cli_import__exit_0_or_one_line_naming_line_1(
    import_db: Path, tmp_path: Path, case: tuple[str, dict[str, Any], Any], omit: bool
) -> None:
    source = tmp_path / "hostile.jsonl"
    source.write_text(jsonl_line(*case, omit=omit), encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(import_db), "import", "--dry-run", str(source)])
    assert result.exit_code in (0, 2), result.output[-500:]
    event(f"exit {result.exit_code}")
    assert "internal error" not in result.output and "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr[-500:]
        assert lines[0].startswith(
            "Error: nothing imported: 1 problem in the events file: line 1: "
        )


def test_cli_import__the_reported_line(tmp_path: Path) -> None:
    """Issue 12 item 7, as reported: a v1 line without amount_yen."""
    line_text = json.dumps(
        {
            "type": "BudgetLineRecorded",
            "schema_version": 1,
            **{k: v for k, v in V1.items() if k != "amount_yen"},
        }
    )
    runner = CliRunner()
    (tmp_path / "v1.jsonl").write_text(line_text + "\n")
    result = runner.invoke(
        app, ["--db", str(tmp_path / "ledger.db"), "import", str(tmp_path / "v1.jsonl")]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: nothing imported: 1 problem in the events file: "
        "line 1: amount_yen: field required\n"
    )


# -- stored rows ---------------------------------------------------------------------------------


def append_raw(db_path: Path, event_type: str, version: int, payload_json: str, stream: str) -> int:
    """Append a row as someone editing the database would: raw SQL, any payload text, and a
    hash chain that verifies (so only reading the payload can notice)."""
    with EventStore.open(str(db_path)) as store:
        head = store.head()
    assert head is not None
    seq, prev_hash = head.seq + 1, bytes.fromhex(head.hash)
    event_id = uuid.uuid4()
    recorded_at = max(format_time(utc_now()), head.recorded_at)
    digest = chain_hash(
        prev_hash,
        envelope_bytes(
            seq=seq, event_id=str(event_id), stream=stream, stream_version=1, type=event_type,
            schema_version=version, payload_json=payload_json, recorded_at=recorded_at,
            actor="editor", reason=None, source_json=None, idempotency_key=None,
            prev_hash=prev_hash,
        ),
    )  # fmt: skip
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        stream_id = conn.execute(
            "INSERT INTO streams (name) VALUES (?) RETURNING id", (stream,)
        ).fetchone()[0]
        conn.execute("INSERT OR IGNORE INTO event_types (name) VALUES (?)", (event_type,))
        conn.execute("INSERT OR IGNORE INTO actors (name) VALUES ('editor')")
        conn.execute(
            "INSERT INTO events (seq, event_id, stream_id, stream_version, type_id, schema_version,"
            " payload, recorded_at, actor_id, reason, source, idempotency_key, hash)"
            " VALUES (?, ?, ?, 1, (SELECT id FROM event_types WHERE name = ?), ?, ?, ?,"
            " (SELECT id FROM actors WHERE name = 'editor'), NULL, NULL, NULL, ?)",
            (seq, event_id.bytes, stream_id, event_type, version, payload_json,
             micros_of(recorded_at), digest),
        )  # fmt: skip
        conn.execute("COMMIT")
    finally:
        conn.close()
    return seq


READ_COMMANDS = [
    ["log"],
    ["log", "--format", "jsonl"],
    ["totals", "-j", "all"],  # a hostile line may name another jurisdiction: read them all
    ["rebuild", "--check"],
    ["export", "-o", "{tmp}/bundle", "--root", "{tmp}"],
]


@pytest.fixture(scope="module")
def stored_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile-stored") / "base.db"
    with EventStore.open(str(path), create=True) as store:
        store.append_events([category("JP.CORE.DBP"), line("L1", "100")])
        store.append_events(
            [
                pending("DefinitionVersionOpened", definition="d", version=1, title="d"),
                pending("CategoryIncluded", definition="d", version=1, category="JP.CORE.DBP"),
                pending(
                    "DefinitionStatusChanged",
                    definition="d",
                    version=1,
                    status="adopted",
                    effective_from=2019,
                ),
            ]
        )
    return path


def run_reads(db: Path, tmp: Path) -> list[tuple[list[str], Result]]:
    runner = CliRunner()
    results = []
    for command in READ_COMMANDS:
        args = [arg.format(tmp=tmp) for arg in command]
        results.append((command, runner.invoke(app, ["--db", str(db), *args])))
    return results


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=mutated(), version=st.one_of(st.integers(-3, 4), st.just(2**53 - 1)))
def test_stored_row__reads_end_in_exit_0_or_3_naming_the_seq(
    stored_base: Path, tmp_path_factory: pytest.TempPathFactory,
    case: tuple[str, dict[str, Any], Any], version: int,
) -> None:  # fmt: skip
    event_type, payload, _ = case
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:  # a string of a huge integer: not what this test is about
        assume(False)
    tmp = tmp_path_factory.mktemp("stored")
    db = tmp / "ledger.db"
    db.write_bytes(stored_base.read_bytes())
    seq = append_raw(db, event_type, version, text, f"raw/{uuid.uuid4().hex}")
    for command, result in run_reads(db, tmp):
        shown = (command, event_type, version, text[:200], result.output[-400:])
        event(f"{command[0]}: exit {result.exit_code}")
        # 3: a payload the readers cannot decode, named by its seq. 1: values of the wrong
        # JSON type that decode (agency: null) and are refused where they are written (a
        # projection's NOT NULL column): the folds do not re-validate every stored payload.
        assert result.exit_code in (0, 1, 3), shown
        assert "internal error" not in result.output and "Traceback" not in result.output, shown
        errors = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
        if result.exit_code:
            assert len(errors) == 1, shown
        if result.exit_code == 3:
            assert f"seq {seq}" in errors[0], shown


def test_stored_row__the_reported_payload_is_exit_3_naming_the_seq(
    stored_base: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.db"
    db.write_bytes(stored_base.read_bytes())
    missing = {k: v for k, v in V1.items() if k != "amount_yen"}
    text = json.dumps(missing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    seq = append_raw(db, "BudgetLineRecorded", 1, text, "line/JP/FY2019/X")  # canonical: verifies
    for command, result in run_reads(db, tmp_path):
        if command == ["log", "--format", "jsonl"]:  # prints the stored payload as it is
            assert result.exit_code == 0
            continue
        assert result.exit_code == 3, (command, result.output)
        assert result.stderr.startswith(
            f"Error: seq {seq}: the stored BudgetLineRecorded payload (schema v1) cannot be read"
        ), (command, result.stderr)


def test_stored_row__a_valid_v1_row_is_logged_with_its_summary(
    stored_base: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """``log`` summarised the stored payload without upcasting it: a genuine v1 row (the
    prototype's) ended in 'internal error: KeyError: amount'."""
    db = tmp_path / "ledger.db"
    db.write_bytes(stored_base.read_bytes())
    append_raw(db, "BudgetLineRecorded", 1, json.dumps(V1), "line/JP/FY2019/MOD-DBP-2019")
    result = CliRunner().invoke(app, ["--db", str(db), "log"])
    assert result.exit_code == 0, result.output
    assert "JP.CORE.DBP 5,257,400,000,000 JPY (initial)" in result.stdout
