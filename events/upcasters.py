"""Upcasters: pure ``dict -> dict`` steps that bring an old stored payload to today's model.

Stored rows are never rewritten (their bytes are hashed). On read, the payload of a
``(type, schema_version)`` older than the model's is passed through the registered steps one
version at a time, then validated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a step from ``from_version`` to ``from_version + 1`` of ``event_type``."""

    def register(step: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in UPCASTERS:
            raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
        UPCASTERS[key] = step
        return step

    return register


def upcast(event_type: str, schema_version: int, payload: Payload, current: int) -> Payload:
    """Apply the registered steps until ``current``; a missing step is an error."""
    if schema_version > current:
        raise ValueError(
            f"{event_type} schema v{schema_version} is newer than this program (v{current})"
        )
    for version in range(schema_version, current):
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise ValueError(f"no upcaster for {event_type} v{version} → v{version + 1}")
        payload = step(dict(payload))
    return payload


@upcaster("BudgetLineRecorded", 1)
def _budget_line_v1_to_v2(payload: Payload) -> Payload:
    """v1 (the first prototype) held Japanese lines only: ``amount_yen`` as an integer, no
    jurisdiction, no currency. v2 makes every amount a decimal string with its currency."""
    amount = payload.pop("amount_yen")
    payload["amount"] = str(amount)
    payload.setdefault("jurisdiction", "JP")
    payload.setdefault("currency", "JPY")
    return payload
