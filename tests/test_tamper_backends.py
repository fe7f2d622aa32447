"""The strict checks hold on both backends: a payload rewritten as non-canonical JSON, or a
time moved before the event preceding it, with every later hash recomputed, is named at its
seq by ``verify`` (the chain scan over ``chain_query`` rows) and ``verify --checkpoint`` (the
envelope reads). On PostgreSQL the attacker is a superuser who switches the triggers off for
the session (``SET session_replication_role = replica``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers import category, line
from helpers.tamper_classes import YEAR, rechain

from ledger.audit.checkpoints import checkpoint_text
from ledger.storage.store import EventStore

N, BAD = 12, 7


@pytest.fixture
def ledger(backend_store: EventStore) -> EventStore:
    source = {"title": "MOF FY2025 予算書", "url": "https://www.mof.go.jp/"}
    backend_store.append_events([category("A")])
    for k in range(2, N + 1):  # one append each: every event has its own time
        backend_store.append_events([line(f"L{k}", str(k), "A", source=source)])
    return backend_store


@contextmanager
def attacker(backend: str, url: str) -> Iterator[tuple[Any, str]]:
    """A DB-API connection with the append-only triggers out of the way, and its marker."""
    if backend == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{name}"')
        try:
            yield conn, "?"
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as pg:
        pg.execute("SET session_replication_role = replica")  # superuser: triggers do not fire
        yield pg, "%s"


def _verify_names(cli: Callable[..., Result], kind: str, *args: str) -> None:
    result = cli("verify", *args)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert result.stderr.startswith(f"Error: verification failed at seq {BAD}: seq {BAD}: ")
    assert kind in result.stdout


@pytest.mark.parametrize(
    ("column", "expression"),
    [
        ("payload", 'substr(payload, 1, length(payload) - 1) || \',"amount":"9"}\''),
        ("payload", "replace(payload, ',', ', ')"),
        ("payload", "'{\"amount\":'"),
        ("source", '\'{"url":"u","title":"t"}\''),
    ],
    ids=["duplicate key", "pretty-printed", "invalid JSON", "source reordered"],
)
def test_tamper_backends__non_canonical_rechained_named_by_verify(
    ledger: EventStore,
    backend: str,
    backend_url: str,
    backend_cli: Callable[..., Result],
    tmp_path: Path,
    column: str,
    expression: str,
) -> None:
    kept = tmp_path / "checkpoint"
    kept.write_text(checkpoint_text(ledger, None))
    with attacker(backend, backend_url) as (conn, mark):
        conn.execute(f"UPDATE events SET {column} = {expression} WHERE seq = {mark}", (BAD,))
        rechain(conn, BAD, sqlite=backend == "sqlite")
    _verify_names(backend_cli, "non-canonical")
    _verify_names(backend_cli, "non-canonical", "--checkpoint", str(kept))


def test_tamper_backends__time_regression_rechained_named_by_verify(
    ledger: EventStore,
    backend: str,
    backend_url: str,
    backend_cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    kept = tmp_path / "checkpoint"
    kept.write_text(checkpoint_text(ledger, None))
    with attacker(backend, backend_url) as (conn, mark):
        before = conn.execute(f"SELECT recorded_at FROM events WHERE seq = {mark}", (BAD - 1,))
        conn.execute(
            f"UPDATE events SET recorded_at = {mark} WHERE seq = {mark}",
            (before.fetchone()[0] - YEAR, BAD),
        )
        rechain(conn, BAD, sqlite=backend == "sqlite")
    _verify_names(backend_cli, "time-regression")
    _verify_names(backend_cli, "time-regression", "--checkpoint", str(kept))
    export = backend_cli("export", "-o", "bundle", "--root", str(tmp_path))
    assert export.exit_code == 3 and f"seq {BAD}" in export.stderr
