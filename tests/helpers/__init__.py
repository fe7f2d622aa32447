"""Helpers shared by the tests: plain functions, strategies and scenarios, imported by name
(``from helpers import category``, ``from helpers.diff_scenario import record``). Fixtures live in
``tests/conftest.py``; nothing here is a fixture, and no test imports ``conftest``.

This module holds the smallest helpers: pending events to append (``pending``, ``category``,
``line``) and checks of a CLI run (``ok``, ``one_line_error``).
"""

from __future__ import annotations

from typing import Any

from click.testing import Result

from events import Provenance, parse_event
from ledger.storage.records import PendingEvent


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
