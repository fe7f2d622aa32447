"""Definition versions as state: what each version of each definition counts, folded from its
events, and which version is in force for a fiscal year.

A version ``NAME@N`` lives in stream ``definition/NAME/vN``. ``DefinitionVersionOpened`` with
``based_on=K`` starts it as a copy of ``NAME@K`` at that moment (categories with share and tier,
stages and their rule, GDP basis; not the status). A version that never set its stages counts
``initial`` budgets only; one that never set its GDP basis divides by the same year's GDP,
latest vintage. A version's stage rule is ``sum`` (every stage it counts adds up) unless its
StagesSet said ``latest`` (only the latest stage level recorded for a year counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from events.quoting import quoted
from ledger.errors import InvalidInput, NotFound

DEFAULT_STAGES: tuple[str, ...] = ("initial",)
SUM, LATEST = "sum", "latest"
IN_FORCE_STATUSES = frozenset({"adopted", "superseded"})
DEFINITION_EVENTS = frozenset(
    {
        "DefinitionVersionOpened",
        "CategoryIncluded",
        "CategoryExcluded",
        "StagesSet",
        "GdpBasisSet",
        "DefinitionStatusChanged",
    }
)
_SPEC = re.compile(r"([A-Za-z0-9][A-Za-z0-9._\-]{0,63})(?:@v?(\d{1,6}))?")

DefinitionKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Inclusion:
    """A category counted by a version: the share that counts, its tier, and the seq of the
    ``CategoryIncluded`` event that set them (it may belong to the version it was based on)."""

    share: Decimal
    tier: str
    seq: int


@dataclass(frozen=True, slots=True)
class GdpBasis:
    """Which GDP a share divides by: ``same-year``, or ``fixed-year`` at ``fiscal_year``;
    ``vintage`` None means the latest recorded."""

    kind: str = "same-year"
    fiscal_year: int | None = None
    vintage: str | None = None

    def label(self) -> str:
        if self.kind == "same-year":
            year = "same-year"
        else:
            year = f"FY{self.fiscal_year}"
        return year + (f"@{self.vintage}" if self.vintage else "")


@dataclass(slots=True)
class DefinitionVersion:
    """The state of one definition version as of the last event applied to it."""

    definition: str
    version: int
    title: str
    based_on: int | None
    opened_seq: int
    status: str = "draft"
    status_seq: int | None = None
    effective_from: int | None = None
    stages: tuple[str, ...] | None = None  # None: never set, counts DEFAULT_STAGES
    stages_seq: int | None = None
    stage_rule: str = SUM  # set with the stages: "sum" or "latest"
    basis: GdpBasis = field(default_factory=GdpBasis)
    basis_seq: int | None = None
    categories: dict[str, Inclusion] = field(default_factory=dict)
    last_seq: int = 0

    @property
    def label(self) -> str:
        return f"{self.definition}@{self.version}"

    @property
    def counted_stages(self) -> tuple[str, ...]:
        return self.stages if self.stages is not None else DEFAULT_STAGES

    def stages_label(self) -> str:
        """``initial,supplementary``, or ``latest of plan,…,settled`` under the latest rule."""
        stages = ",".join(self.counted_stages)
        return f"latest of {stages}" if self.stage_rule == LATEST else stages

    def tiers(self) -> list[str]:
        """Tiers this version counts, ``core`` first, then alphabetical."""
        found = {inclusion.tier for inclusion in self.categories.values()} or {"core"}
        return sorted(found, key=lambda tier: (tier != "core", tier))


def apply_definition_event(
    definitions: dict[DefinitionKey, DefinitionVersion],
    seq: int,
    event_type: str,
    payload: dict[str, Any],
) -> None:
    """Fold one definition event into ``definitions`` (in place). Events for a version that was
    never opened are ignored (the rules refuse them at write time)."""
    key = (payload["definition"], int(payload["version"]))
    if event_type == "DefinitionVersionOpened":
        if key in definitions:
            return
        based_on = payload.get("based_on")
        version = DefinitionVersion(
            definition=key[0],
            version=key[1],
            title=payload.get("title", ""),
            based_on=based_on,
            opened_seq=seq,
            last_seq=seq,
        )
        base = definitions.get((key[0], int(based_on))) if based_on else None
        if base is not None:
            version.categories = dict(base.categories)
            version.stages, version.stages_seq = base.stages, base.stages_seq
            version.stage_rule = base.stage_rule
            version.basis, version.basis_seq = base.basis, base.basis_seq
        definitions[key] = version
        return
    current = definitions.get(key)
    if current is None:
        return
    current.last_seq = seq
    if event_type == "CategoryIncluded":
        current.categories[payload["category"]] = Inclusion(
            Decimal(str(payload.get("share", "1"))), payload.get("tier") or "core", seq
        )
    elif event_type == "CategoryExcluded":
        current.categories.pop(payload["category"], None)
    elif event_type == "StagesSet":
        current.stages, current.stages_seq = tuple(payload["stages"]), seq
        current.stage_rule = payload.get("rule") or SUM
    elif event_type == "GdpBasisSet":
        year = payload.get("fiscal_year")
        current.basis = GdpBasis(
            payload["basis"], int(year) if year is not None else None, payload.get("vintage")
        )
        current.basis_seq = seq
    elif event_type == "DefinitionStatusChanged":
        current.status, current.status_seq = payload["status"], seq
        if payload.get("effective_from") is not None:
            current.effective_from = int(payload["effective_from"])


def copy_definitions(
    definitions: dict[DefinitionKey, DefinitionVersion],
) -> dict[DefinitionKey, DefinitionVersion]:
    """An independent copy (versions are mutable; inclusions are frozen and shared)."""
    return {k: replace(v, categories=dict(v.categories)) for k, v in definitions.items()}


def in_force(
    definitions: dict[DefinitionKey, DefinitionVersion], name: str, fiscal_year: int
) -> DefinitionVersion | None:
    """The adopted version of ``name`` in force for ``fiscal_year``: among versions adopted or
    superseded with ``effective_from`` ≤ the year, the greatest ``effective_from`` (ties: the
    higher version). Withdrawn versions never count."""
    best: DefinitionVersion | None = None
    for (definition, _), version in definitions.items():
        if definition != name or version.status not in IN_FORCE_STATUSES:
            continue
        if version.effective_from is None or version.effective_from > fiscal_year:
            continue
        if best is None or (version.effective_from, version.version) > (
            best.effective_from or 0,
            best.version,
        ):
            best = version
    return best


def parse_spec(text: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@N`` (``NAME@vN`` also accepted)."""
    match = _SPEC.fullmatch(text.strip())
    if not match:
        raise InvalidInput(f"{quoted(text)} is not a definition like jp-defense-related or NAME@2")
    version = match.group(2)
    return match.group(1), int(version) if version else None


def definition_names(definitions: dict[DefinitionKey, DefinitionVersion]) -> list[str]:
    return sorted({name for name, _ in definitions})


def describe_versions(definitions: dict[DefinitionKey, DefinitionVersion], name: str) -> str:
    versions = sorted(v for (n, v) in definitions if n == name)
    return ", ".join(f"{name}@{v} {definitions[(name, v)].status}" for v in versions) or "none"


def select(
    definitions: dict[DefinitionKey, DefinitionVersion], spec: str, fiscal_year: int
) -> DefinitionVersion | None:
    """The version ``spec`` names for ``fiscal_year``: ``NAME@N`` exactly (any status), or
    ``NAME``'s version in force (None if none is). Unknown names and versions are errors."""
    name, version = parse_spec(spec)
    if name not in definition_names(definitions):
        known = ", ".join(definition_names(definitions)) or "none recorded"
        raise NotFound(f"unknown definition {quoted(name)} (definitions: {known})")
    if version is None:
        return in_force(definitions, name, fiscal_year)
    found = definitions.get((name, version))
    if found is None:
        raise NotFound(
            f"unknown definition version {name}@{version} "
            f"(versions: {describe_versions(definitions, name)})"
        )
    return found


def version_meta(version: DefinitionVersion) -> dict[str, Any]:
    """What the output says about a version it measured by."""
    return {
        "definition": version.definition,
        "version": version.version,
        "status": version.status,
        "effective_from": version.effective_from,
        "title": version.title,
        "stages": list(version.counted_stages),
        "stage_rule": version.stage_rule,
        "gdp_basis": version.basis.label(),
        "opened_seq": version.opened_seq,
        "last_seq": version.last_seq,
    }
