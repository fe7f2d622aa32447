"""Every event model, and what works on all of them (re-exported by ``events``, which loads
this module on first use).

``AnyEvent`` is the discriminated union of every event type on the stable ``type`` string;
``parse_event`` validates a payload (after upcasting) and ``stream_of`` names the stream an
event belongs to.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from events.base import EventModel, Source
from events.budget import (
    BudgetLineReclassified,
    BudgetLineRecorded,
    BudgetLineRevised,
    BudgetLineWithdrawn,
)
from events.claims import (
    ClaimKind,
    ClaimMetric,
    ClaimRecorded,
    ClaimSuperseded,
    ClaimWithdrawn,
    Comparison,
)
from events.definitions import (
    STAGE_LEVELS,
    CategoryExcluded,
    CategoryIncluded,
    DefinitionStatusChanged,
    DefinitionVersionOpened,
    GdpBasisKind,
    GdpBasisSet,
    Stage,
    StageRule,
    StagesSet,
    Status,
)
from events.envelope import ENVELOPE_FIELDS, Provenance
from events.macro import (
    ExchangeRateRecorded,
    GdpRecorded,
    IndexValue,
    PriceIndexRecorded,
    TargetKind,
    TargetSet,
)
from events.periods import (
    CalendarisationRuleSet,
    CalendarMethod,
    YearBasisSet,
    YearKind,
    YearNamedBy,
)
from events.programmes import (
    ObligationKind,
    ObligationRecorded,
    ProgrammeBasis,
    ProgrammeDefined,
    ProgrammePart,
)
from events.quoting import quoted
from events.taxonomy import CategoryDefined
from events.upcasters import upcast

EVENT_TYPES: tuple[type[EventModel], ...] = (
    CategoryDefined,
    DefinitionVersionOpened,
    CategoryIncluded,
    CategoryExcluded,
    StagesSet,
    GdpBasisSet,
    DefinitionStatusChanged,
    BudgetLineRecorded,
    BudgetLineRevised,
    BudgetLineReclassified,
    BudgetLineWithdrawn,
    GdpRecorded,
    TargetSet,
    ExchangeRateRecorded,
    ClaimRecorded,
    ClaimWithdrawn,
    ClaimSuperseded,
    YearBasisSet,
    CalendarisationRuleSet,
    PriceIndexRecorded,
    ProgrammeDefined,
    ObligationRecorded,
)
EVENT_CLASSES: dict[str, type[EventModel]] = {
    cls.model_fields["type"].default: cls for cls in EVENT_TYPES
}
SCHEMA_VERSIONS: dict[str, int] = {
    name: int(cls.schema_version) for name, cls in EVENT_CLASSES.items()
}

AnyEvent = Annotated[
    CategoryDefined
    | DefinitionVersionOpened
    | CategoryIncluded
    | CategoryExcluded
    | StagesSet
    | GdpBasisSet
    | DefinitionStatusChanged
    | BudgetLineRecorded
    | BudgetLineRevised
    | BudgetLineReclassified
    | BudgetLineWithdrawn
    | GdpRecorded
    | TargetSet
    | ExchangeRateRecorded
    | ClaimRecorded
    | ClaimWithdrawn
    | ClaimSuperseded
    | YearBasisSet
    | CalendarisationRuleSet
    | PriceIndexRecorded
    | ProgrammeDefined
    | ObligationRecorded,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def parse_event(data: Any) -> AnyEvent:
    """Validate one event from a mapping that carries its ``type``."""
    return EVENT_ADAPTER.validate_python(data)


def load_stored(event_type: str, schema_version: int, payload: dict[str, Any]) -> AnyEvent:
    """Turn a stored payload of any schema version into today's model (upcast, then validate)."""
    if event_type not in SCHEMA_VERSIONS:
        raise ValueError(f"unknown event type {quoted(event_type)}")
    current = upcast(event_type, schema_version, payload, SCHEMA_VERSIONS[event_type])
    return parse_event({**current, "type": event_type})


def event_payload(event: EventModel) -> dict[str, Any]:
    """The JSON-ready payload of an event: its fields without ``type``, decimals as strings."""
    data = event.model_dump(mode="json")
    data.pop("type", None)
    return data


def stream_of(event: EventModel) -> str:
    """The stream an event belongs to: the unit of ordering and optimistic concurrency."""
    match event:
        case CategoryDefined():
            return f"category/{event.code}"
        case (
            DefinitionVersionOpened()
            | CategoryIncluded()
            | CategoryExcluded()
            | StagesSet()
            | GdpBasisSet()
            | DefinitionStatusChanged()
        ):
            return f"definition/{event.definition}/v{event.version}"
        case (
            BudgetLineRecorded()
            | BudgetLineRevised()
            | BudgetLineReclassified()
            | BudgetLineWithdrawn()
        ):
            return f"line/{event.jurisdiction}/FY{event.fiscal_year}/{event.line_id}"
        case GdpRecorded():
            return f"gdp/{event.jurisdiction}/FY{event.fiscal_year}"
        case TargetSet():
            return f"target/{event.jurisdiction}/{event.target_id}"
        case ExchangeRateRecorded():
            fiscal = event.period == YearKind.FISCAL
            return f"fx/{event.base}-{event.quote}/{'FY' if fiscal else ''}{event.fiscal_year}"
        case ClaimRecorded() | ClaimWithdrawn() | ClaimSuperseded():
            return f"claim/{event.claim_id}"
        case YearBasisSet():
            return f"year-basis/{event.jurisdiction}"
        case CalendarisationRuleSet():
            return f"calendar-rule/{event.jurisdiction}"
        case PriceIndexRecorded():
            return f"price-index/{event.jurisdiction}/{event.series}/{event.vintage}"
        case ProgrammeDefined():
            return f"programme/{event.jurisdiction}/{event.programme_id}"
        case ObligationRecorded():
            return f"obligation/{event.jurisdiction}/FY{event.fiscal_year}/{event.obligation_id}"
    raise TypeError(f"no stream for {type(event).__name__}")


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
