"""Shared fixtures: a fresh SQLite ledger per test, a CLI runner, and the PostgreSQL URL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from events import Provenance, parse_event
from ledger.storage.records import PendingEvent
from ledger.storage.store import EventStore

PG_URL = os.environ.get("DEFLEDGER_TEST_PG_URL")

# Both backends: `backend` ("sqlite", "postgresql"), `backend_url`, `backend_store`, `backend_cli`.
from backends import (  # noqa: E402, F401
    backend,
    backend_cli,
    backend_store,
    backend_url,
    pg_admin_url,
    pg_url,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[EventStore]:
    opened = EventStore.open(str(db_path), create=True)
    yield opened
    opened.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner, db_path: Path) -> Callable[..., Result]:
    """Invoke ``defledger --db <tmp ledger> ARGS…`` and return the click Result."""
    from cli.app import cli as app

    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(
            app, ["--db", str(db_path), *args], input=input, catch_exceptions=False
        )

    return invoke


def pending(event_type: str, actor: str = "tester", **fields: Any) -> PendingEvent:
    """A validated pending event, for tests."""
    provenance = {k: fields.pop(k) for k in ("reason", "source", "idempotency_key") if k in fields}
    return PendingEvent(
        parse_event({**fields, "type": event_type}), Provenance(actor=actor, **provenance)
    )


def category(code: str = "JP.CORE.DBP", **extra: Any) -> PendingEvent:
    return pending("CategoryDefined", code=code, name=extra.pop("name", code), **extra)


def line(
    line_id: str, amount: str, category_code: str = "JP.CORE.DBP", **extra: Any
) -> PendingEvent:
    fields = {"fiscal_year": 2025, "agency": "MoD", "stage": "initial", **extra}
    return pending(
        "BudgetLineRecorded", line_id=line_id, amount=amount, category=category_code, **fields
    )


def ok(result: Result) -> Result:
    """Assert a CLI run succeeded (showing its stderr if not) and return it."""
    assert result.exit_code == 0, result.stderr
    return result


def one_line_error(result: Result, code: int) -> str:
    """Assert a CLI run failed with ``code`` and exactly one ``Error:`` line, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.fixture(autouse=True)
def _no_terminal_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output must not depend on the shell that runs the tests: no COLUMNS (a test that wants a
    width sets it), no pager, no colour settings."""
    for name in ("COLUMNS", "NO_COLOR", "PAGER", "DEFLEDGER_PAGER"):
        monkeypatch.delenv(name, raising=False)
