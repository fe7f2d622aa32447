"""Tamper classes and the verifiers that must catch them: the table that
``tests/test_tamper_classes.py`` asserts and ``scripts/tamper_matrix.py`` prints.

A ledger of ``N`` events is built, an auditor keeps its digest and checkpoint, then one class of
tampering rewrites the SQLite file directly, as anyone holding it can: triggers dropped, rows
edited, and (for the careful attacker) every hash from the edit on recomputed with the
published algorithm. Each verifier then runs on the file: ``defledger verify`` (one pass, and
forced onto the parallel scan of two seq ranges), ``verify --checkpoint``, ``verify --digest``
and the shipped standard-library script ``docs/verifiers/verify_chain.py``.

Every edit is at seq ``BAD`` = 51, the first row of the second range when the parallel scan
splits 100 events in two, so the carry-over between ranges is exercised too.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from click.testing import CliRunner

from helpers import category, line
from ledger.audit import scan as chain_scan
from ledger.storage.chain import (
    GENESIS_HASH,
    chain_hash,
    chain_query,
    chain_time,
    envelope_bytes,
    uuid_text,
)
from ledger.storage.store import EventStore

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "verifiers" / "verify_chain.py"
N = 100
BAD = 51
YEAR = 365 * 86_400 * 1_000_000  # microseconds
VERIFIERS = ("verify", "verify (parallel)", "verify --checkpoint", "verify --digest", "script")


def build(store: EventStore, amount_at_bad: str = str(BAD)) -> None:
    """``N`` events: 2 categories, then budget lines L3..L100 (amount k at seq k), each citing
    a source, appended in two batches (3..51 and 52..100: the batches' times differ)."""
    source = {"title": "MOF FY2025 予算書", "url": "https://www.mof.go.jp/", "page": "p. 1"}
    store.append_events([category("A"), category("B")])
    for start, stop in ((3, BAD), (BAD + 1, N)):
        store.append_events(
            [
                line(f"L{k}", amount_at_bad if k == BAD else str(k), "AB"[k % 2], source=source)
                for k in range(start, stop + 1)
            ]
        )
    assert store.count() == N


@contextmanager
def attacker(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the file with the append-only triggers dropped."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{name}"')
        yield conn
    finally:
        conn.close()


def rechain(conn: Any, start: int, sqlite: bool = True) -> None:
    """Recompute and store every hash from seq ``start`` on over the bytes as stored (the
    published algorithm: what a careful attacker does so that the chain holds again), through
    a DB-API connection to either backend (a ``psycopg`` one when not ``sqlite``)."""

    def sql(statement: str) -> str:
        return statement if sqlite else statement.replace("?", "%s")

    before = conn.execute(sql("SELECT hash FROM events WHERE seq = ?"), (start - 1,)).fetchone()
    previous = GENESIS_HASH if before is None else bytes(before[0])
    rows = conn.execute(
        sql(chain_query(sqlite) + " WHERE e.seq >= ? ORDER BY e.seq"), (start,)
    ).fetchall()
    for row in rows:
        envelope = envelope_bytes(
            row[0], uuid_text(bytes(row[1])), row[2], row[3], row[4], row[5], bytes(row[6]),
            chain_time(row[7]), row[8], row[9], None if row[10] is None else bytes(row[10]),
            row[11], previous,
        )  # fmt: skip
        previous = chain_hash(previous, envelope)
        conn.execute(sql("UPDATE events SET hash = ? WHERE seq = ?"), (previous, row[0]))


def _set_payload(db_path: Path, text: str, column: str = "payload") -> None:
    with attacker(db_path) as conn:
        conn.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", (text, BAD))  # noqa: S608
        rechain(conn, BAD)


def _stored(db_path: Path, column: str) -> dict[str, object]:
    with sqlite3.connect(db_path) as conn:
        text = conn.execute(f"SELECT {column} FROM events WHERE seq = ?", (BAD,)).fetchone()[0]  # noqa: S608
    return dict(json.loads(text))


# -- the classes ---------------------------------------------------------------------------------


def edit(db_path: Path, _: Path) -> None:
    """The amount of seq 51 changed; hashes left as they were."""
    with attacker(db_path) as conn:
        conn.execute(
            "UPDATE events SET payload = replace(payload, ?, ?) WHERE seq = ?",
            (f'"amount":"{BAD}"', '"amount":"999"', BAD),
        )


def edit_rechained(db_path: Path, _: Path) -> None:
    """The amount of seq 51 changed and every hash from there on recomputed."""
    edit(db_path, _)
    with attacker(db_path) as conn:
        rechain(conn, BAD)


def reorder(db_path: Path, _: Path) -> None:
    """Seqs 51 and 52 swap places."""
    with attacker(db_path) as conn:
        conn.execute("UPDATE events SET seq = -seq WHERE seq IN (?, ?)", (BAD, BAD + 1))
        conn.execute("UPDATE events SET seq = ? WHERE seq = ?", (BAD + 1, -BAD))
        conn.execute("UPDATE events SET seq = ? WHERE seq = ?", (BAD, -BAD - 1))


def delete(db_path: Path, _: Path) -> None:
    """Seq 51 deleted from the middle."""
    with attacker(db_path) as conn:
        conn.execute("DELETE FROM events WHERE seq = ?", (BAD,))


def truncate(db_path: Path, _: Path) -> None:
    """The last five events (96..100) deleted."""
    with attacker(db_path) as conn:
        conn.execute("DELETE FROM events WHERE seq > ?", (N - 5,))


FORGED_REVISION = '{"amount":"1","fiscal_year":2025,"jurisdiction":"JP","line_id":"L50"}'


def insert_rechained(db_path: Path, _: Path) -> None:
    """A forged revision of line L50 inserted as seq 51 (later seqs move up by one), at the
    time of its neighbours, and every hash from there on recomputed."""
    with attacker(db_path) as conn:
        conn.execute("UPDATE events SET seq = -seq WHERE seq >= ?", (BAD,))
        conn.execute("UPDATE events SET seq = 1 - seq WHERE seq < 0")
        conn.execute("INSERT INTO event_types (name) VALUES ('BudgetLineRevised')")
        stream_id, at = conn.execute(
            "SELECT stream_id, recorded_at FROM events WHERE seq = ?", (BAD - 1,)
        ).fetchone()
        conn.execute(
            "INSERT INTO events (seq, event_id, stream_id, stream_version, type_id,"
            " schema_version, payload, recorded_at, actor_id, reason, source, idempotency_key,"
            " hash) VALUES (?, ?, ?, 2, (SELECT id FROM event_types WHERE name ="
            " 'BudgetLineRevised'), 1, ?, ?, 1, 'forged', NULL, NULL, zeroblob(32))",
            (BAD, uuid.uuid4().bytes, stream_id, FORGED_REVISION, at),
        )
        rechain(conn, BAD)


def recorded_at_edit(db_path: Path, _: Path) -> None:
    """Seq 51's recorded_at moved a year later; hashes left as they were (seq 52 is then
    also earlier than the event before it)."""
    with attacker(db_path) as conn:
        conn.execute("UPDATE events SET recorded_at = recorded_at + ? WHERE seq = ?", (YEAR, BAD))


def pretty_payload(db_path: Path, _: Path) -> None:
    """Seq 51's payload stored pretty-printed (same object), hashes recomputed over it."""
    _set_payload(db_path, json.dumps(_stored(db_path, "payload"), indent=2, sort_keys=True))


def duplicate_key(db_path: Path, _: Path) -> None:
    """Seq 51's payload with a second "amount" (a reader keeping the last sees 8474800000000),
    hashes recomputed."""
    stored = _stored(db_path, "payload")
    members = ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(stored.items()))
    _set_payload(db_path, "{" + members + ',"amount":"8474800000000"}')


def invalid_json(db_path: Path, _: Path) -> None:
    """Seq 51's payload cut short (not JSON), hashes recomputed."""
    with sqlite3.connect(db_path) as conn:
        text = conn.execute("SELECT payload FROM events WHERE seq = ?", (BAD,)).fetchone()[0]
    _set_payload(db_path, text[:-1])


def non_canonical_source(db_path: Path, _: Path) -> None:
    """Seq 51's source with its members out of order, hashes recomputed."""
    stored = _stored(db_path, "source")
    members = ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(stored.items())[::-1])
    _set_payload(db_path, "{" + members + "}", column="source")


def float_in_source(db_path: Path, _: Path) -> None:
    """Seq 51's source with a floating-point page number (canonical text otherwise), hashes
    recomputed."""
    stored = {**_stored(db_path, "source"), "page": 1.5}
    _set_payload(db_path, json.dumps(stored, sort_keys=True, separators=(",", ":")), "source")


def time_regression(db_path: Path, _: Path) -> None:
    """Seq 51's recorded_at a year before seq 50's, hashes recomputed (the chain holds)."""
    with attacker(db_path) as conn:
        conn.execute(
            "UPDATE events SET recorded_at = (SELECT recorded_at FROM events WHERE seq = ?) - ?"
            " WHERE seq = ?",
            (BAD - 1, YEAR, BAD),
        )
        rechain(conn, BAD)


def db_swap(db_path: Path, work: Path) -> None:
    """The whole file replaced by another ledger of the same events but one amount, built
    with the tool itself, carrying the original's ledger id (so the checkpoint's origin
    still matches): self-consistent from seq 1."""
    other = work / "other.db"
    with EventStore.open(str(other), create=True) as store:
        build(store, amount_at_bad="999")
    with sqlite3.connect(db_path) as conn:
        meta = conn.execute("SELECT key, value FROM ledger_meta").fetchall()
    with attacker(other) as conn:
        conn.execute("DELETE FROM ledger_meta")
        conn.executemany("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", meta)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(other, db_path)


@dataclass(frozen=True)
class TamperClass:
    name: str
    apply: Callable[[Path, Path], None]
    expected: dict[str, tuple[int, int | None]]  # verifier: (exit code, first bad seq)
    note: str = ""


def _all(seq: int) -> dict[str, tuple[int, int | None]]:
    return dict.fromkeys(VERIFIERS, (3, seq))


def _kept_only(seq: int) -> dict[str, tuple[int, int | None]]:
    """Only what was kept outside the file sees it: the chain holds, so the chain verifiers
    pass; the digest and the checkpoint fail at their own seq (they cannot say where)."""
    passes = dict.fromkeys(("verify", "verify (parallel)", "script"), (0, None))
    return {**passes, "verify --checkpoint": (3, seq), "verify --digest": (3, seq)}


CHAIN_BLIND = (
    "the chain holds, so no chain verifier can see it; the kept digest and checkpoint fail at "
    "their own seq (a commitment to the head cannot say which event changed)"
)
CLASSES = (
    TamperClass("edit", edit, _all(BAD)),
    TamperClass("edit, re-chained", edit_rechained, _kept_only(N), CHAIN_BLIND),
    TamperClass("reorder", reorder, _all(BAD)),
    TamperClass("delete", delete, _all(BAD)),
    TamperClass(
        "truncate",
        truncate,
        _kept_only(N - 4),
        "nothing inside the file says how long it was: only the kept digest and checkpoint see "
        "it, at the first seq missing",
    ),
    TamperClass("insert, re-chained", insert_rechained, _kept_only(N), CHAIN_BLIND),
    TamperClass("recorded_at edit", recorded_at_edit, _all(BAD)),
    TamperClass("payload pretty-printed, re-chained", pretty_payload, _all(BAD)),
    TamperClass("payload duplicate key, re-chained", duplicate_key, _all(BAD)),
    TamperClass("payload invalid JSON, re-chained", invalid_json, _all(BAD)),
    TamperClass("source non-canonical, re-chained", non_canonical_source, _all(BAD)),
    TamperClass("source with a float, re-chained", float_in_source, _all(BAD)),
    TamperClass("time regression, re-chained", time_regression, _all(BAD)),
    TamperClass("whole-DB swap", db_swap, _kept_only(N), CHAIN_BLIND),
)


# -- running the verifiers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    seq: int | None
    kinds: tuple[str, ...]  # the problem kinds at ``seq``

    def cell(self) -> str:
        if self.exit_code == 0:
            return "0 ok"
        return f"{self.exit_code} @{self.seq} {'+'.join(self.kinds)}"


@contextmanager
def _parallel() -> Iterator[None]:
    """Force the parallel scan (two seq ranges, 1..50 and 51..) whatever the machine."""
    with (
        mock.patch.object(chain_scan, "PARALLEL_MIN_EVENTS", 10),
        mock.patch.object(chain_scan, "default_workers", lambda: 2),
    ):
        yield


def _defledger(db_path: Path, *args: str) -> Outcome:
    from cli.app import cli

    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "verify", "--format", "json", *args], catch_exceptions=False
    )
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    document = json.loads(result.stdout)
    seq = document["meta"]["first_bad_seq"]
    kinds = tuple(dict.fromkeys(p["kind"] for p in document["problems"] if p["seq"] == seq))
    if result.exit_code:  # the one-line error names the same seq
        assert result.stderr.startswith(f"Error: verification failed at seq {seq}:"), result.stderr
    return Outcome(result.exit_code, seq, kinds)


def _script(db_path: Path) -> Outcome:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(db_path)], capture_output=True, text=True, check=False
    )
    assert "Traceback" not in done.stderr, done.stderr
    if done.returncode == 0:
        return Outcome(0, None, ())
    found = re.fullmatch(r"FAILED at seq (-?\d+): ([a-z-]+).*\n", done.stderr)
    assert found, done.stderr
    return Outcome(done.returncode, int(found.group(1)), (found.group(2),))


def run_verifiers(db_path: Path, digest: Path, checkpoint: Path) -> dict[str, Outcome]:
    with _parallel():
        parallel = _defledger(db_path)
    return {
        "verify": _defledger(db_path),
        "verify (parallel)": parallel,
        "verify --checkpoint": _defledger(db_path, "--checkpoint", str(checkpoint)),
        "verify --digest": _defledger(db_path, "--digest", str(digest)),
        "script": _script(db_path),
    }


def prepared(work: Path) -> Path:
    """A ledger built in ``work`` whose digest and checkpoint are kept there; all verify."""
    from ledger.audit.checkpoints import checkpoint_text
    from ledger.audit.verify import digest

    db_path = work / "ledger.db"
    with EventStore.open(str(db_path), create=True) as store:
        build(store)
        (work / "digest.json").write_text(json.dumps(digest(store)))
        (work / "checkpoint.txt").write_text(checkpoint_text(store, None))
    clean = run_verifiers(db_path, work / "digest.json", work / "checkpoint.txt")
    assert all(outcome.exit_code == 0 for outcome in clean.values()), clean
    return db_path


def tampered(work: Path, tamper: TamperClass) -> dict[str, Outcome]:
    """Build a ledger in ``work``, keep its digest and checkpoint, tamper, verify."""
    db_path = prepared(work)
    tamper.apply(db_path, work)
    return run_verifiers(db_path, work / "digest.json", work / "checkpoint.txt")


def matrix(rows: dict[str, dict[str, Outcome]]) -> str:
    """A Markdown table: class × verifier → "exit @first-bad-seq kinds"."""
    lines = [
        "| class | " + " | ".join(VERIFIERS) + " |",
        "|---" * (len(VERIFIERS) + 1) + "|",
    ]
    for name, outcomes in rows.items():
        lines.append(f"| {name} | " + " | ".join(outcomes[v].cell() for v in VERIFIERS) + " |")
    return "\n".join(lines)
