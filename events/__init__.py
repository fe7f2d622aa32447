"""Pure event models of the defledger ledger: no I/O, no clock, no imports from ledger or cli.

``AnyEvent`` is the discriminated union of every event type on the stable ``type`` string;
``parse_event`` validates a payload (after upcasting) and ``stream_of`` names the stream an
event belongs to (all in ``events.registry``).

The names are loaded on first use: building the pydantic models costs a command a tenth of a
second, and a reader that needs only light modules (``events.quoting``, ``events.values``,
``events.stages``) must not pay for them (``tests/test_lazy_imports.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from events.registry import (
        ENVELOPE_FIELDS,
        EVENT_ADAPTER,
        EVENT_CLASSES,
        EVENT_TYPES,
        SCHEMA_VERSIONS,
        STAGE_LEVELS,
        AnyEvent,
        BudgetLineReclassified,
        BudgetLineRecorded,
        BudgetLineRevised,
        BudgetLineWithdrawn,
        CalendarisationRuleSet,
        CalendarMethod,
        CategoryDefined,
        CategoryExcluded,
        CategoryIncluded,
        ClaimKind,
        ClaimMetric,
        ClaimRecorded,
        ClaimSuperseded,
        ClaimWithdrawn,
        Comparison,
        DefinitionStatusChanged,
        DefinitionVersionOpened,
        EventModel,
        ExchangeRateRecorded,
        GdpBasisKind,
        GdpBasisSet,
        GdpRecorded,
        IndexValue,
        ObligationKind,
        ObligationRecorded,
        PriceIndexRecorded,
        ProgrammeBasis,
        ProgrammeDefined,
        ProgrammePart,
        Provenance,
        Source,
        Stage,
        StageRule,
        StagesSet,
        Status,
        TargetKind,
        TargetSet,
        YearBasisSet,
        YearKind,
        YearNamedBy,
        event_payload,
        load_stored,
        parse_event,
        stream_of,
    )


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'events' has no attribute {name!r}")
    from events import registry

    value = getattr(registry, name)
    globals()[name] = value
    return value


__all__ = [
    "ENVELOPE_FIELDS",
    "STAGE_LEVELS",
    "EVENT_ADAPTER",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "SCHEMA_VERSIONS",
    "AnyEvent",
    "BudgetLineReclassified",
    "BudgetLineRecorded",
    "BudgetLineRevised",
    "BudgetLineWithdrawn",
    "CalendarMethod",
    "CalendarisationRuleSet",
    "CategoryDefined",
    "CategoryExcluded",
    "CategoryIncluded",
    "ClaimKind",
    "ClaimMetric",
    "ClaimRecorded",
    "ClaimSuperseded",
    "ClaimWithdrawn",
    "Comparison",
    "DefinitionStatusChanged",
    "DefinitionVersionOpened",
    "EventModel",
    "ExchangeRateRecorded",
    "GdpBasisKind",
    "GdpBasisSet",
    "GdpRecorded",
    "IndexValue",
    "ObligationKind",
    "ObligationRecorded",
    "PriceIndexRecorded",
    "ProgrammeBasis",
    "ProgrammeDefined",
    "ProgrammePart",
    "Provenance",
    "Source",
    "Stage",
    "StageRule",
    "StagesSet",
    "Status",
    "TargetKind",
    "TargetSet",
    "YearBasisSet",
    "YearKind",
    "YearNamedBy",
    "event_payload",
    "load_stored",
    "parse_event",
    "stream_of",
]
