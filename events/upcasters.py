"""Upcasters: pure ``dict -> dict`` steps that bring an old stored payload to today's model.

Stored rows are never rewritten (their bytes are hashed). On read, the payload of a
``(type, schema_version)`` older than the model's is passed through the registered steps one
version at a time, then validated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.quoting import clipped, quoted
from events.values import SCHEMA_JURISDICTION

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


class UpcastError(ValueError):
    """A payload its schema version's steps cannot bring up to date: reported like any other
    invalid field (a ``ValueError``), never as a crash of the step."""


MISSING: Any = object()
TYPE_NAMES = {int: "an integer", str: "a string", dict: "an object", list: "an array"}


def take(payload: Payload, key: str, *types: type) -> Any:
    """Remove and return ``payload[key]``, which must be present and one of ``types`` (a bool
    is not an integer here, as in JSON); else an ``UpcastError`` naming the key."""
    value = payload.pop(key, MISSING)
    if value is MISSING:
        raise UpcastError(f"{key}: field required")
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        names = " or ".join(TYPE_NAMES.get(t, t.__name__) for t in types)
        raise UpcastError(f"{key}: must be {names}, not {quoted(value)}")
    return value


def check_version(event_type: str, schema_version: Any, current: int) -> int:
    """``schema_version`` as a version of ``event_type`` this program can read: an integer
    (not a bool) from 1 to ``current``."""
    if isinstance(schema_version, bool) or not isinstance(schema_version, int):
        raise UpcastError(f"schema_version must be an integer, not {quoted(schema_version)}")
    if schema_version > current:
        raise UpcastError(
            f"schema_version {quoted(schema_version)} of {event_type} is newer than this "
            f"program (v{current})"
        )
    if schema_version < 1:
        raise UpcastError(
            f"schema_version {quoted(schema_version)} is not a version of {event_type} "
            f"(versions start at 1; this program reads 1..{current})"
        )
    return schema_version


def upcast(event_type: str, schema_version: Any, payload: Any, current: int) -> Payload:
    """Apply the registered steps until ``current``. Whatever the input — a version that is not
    one, a payload that is not an object, a step missing or meeting a payload it cannot read —
    the error is an ``UpcastError`` (a ``ValueError``), never a ``KeyError`` or ``TypeError``."""
    version = check_version(event_type, schema_version, current)
    if not isinstance(payload, dict):
        raise UpcastError(f"the {event_type} payload must be a JSON object")
    for step_from in range(version, current):
        step = UPCASTERS.get((event_type, step_from))
        if step is None:
            raise UpcastError(f"no upcaster for {event_type} v{step_from} → v{step_from + 1}")
        try:
            payload = step(dict(payload))
        except UpcastError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # a step that meets a payload it did not expect: the payload is not of that version
            raise UpcastError(
                f"not a v{step_from} {event_type} payload ({type(exc).__name__}: "
                f"{clipped(str(exc))})"
            ) from exc
        if not isinstance(payload, dict):  # pragma: no cover - a step must return a dict
            raise UpcastError(f"the {event_type} v{step_from} step did not return an object")
    return payload


@upcaster("BudgetLineRecorded", 1)
def _budget_line_v1_to_v2(payload: Payload) -> Payload:
    """v1 (the first prototype) held Japanese lines only: ``amount_yen`` as an integer, no
    jurisdiction, no currency. v2 makes every amount a decimal string with its currency."""
    if "amount" in payload:
        raise UpcastError("amount: a v1 BudgetLineRecorded has amount_yen, not amount")
    amount = take(payload, "amount_yen", int)
    payload["amount"] = str(amount)
    payload.setdefault("jurisdiction", SCHEMA_JURISDICTION)
    payload.setdefault("currency", "JPY")
    return payload


@upcaster("ExchangeRateRecorded", 1)
def _exchange_rate_v1_to_v2(payload: Payload) -> Payload:
    """v1 rates were per fiscal year, with no vintage. v2 states the period (``fiscal`` or
    ``calendar``) and the vintage (the release the rate comes from): a v1 rate is a fiscal-year
    rate whose vintage was not stated."""
    if "period" in payload or "vintage" in payload:
        raise UpcastError("a v1 ExchangeRateRecorded has no period or vintage")
    payload["period"] = "fiscal"
    payload["vintage"] = None
    return payload
