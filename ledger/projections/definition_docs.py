"""Definition versions as documents: what ``projections.definitions`` folds (categories, stages,
GDP basis, status), plus everything a person reads in a definition file — the note, reason and
source of every inclusion and exclusion, of the stages, the GDP basis and each status change,
the opening's title and description, and the targets set for the definition.

Folded from the definition events in seq order, with the same meaning as
``apply_definition_event`` (a version ``based_on`` another starts as a copy of its categories,
exclusions, stages and GDP basis at that moment, with their provenance; not its statuses).
``version_of`` turns a document back into a ``DefinitionVersion`` (seqs 0) for measures and
structural diffs; the tests check that it equals the projection's fold, seqs aside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from events import (
    CategoryExcluded,
    CategoryIncluded,
    DefinitionStatusChanged,
    DefinitionVersionOpened,
    EventModel,
    GdpBasisSet,
    StagesSet,
    TargetSet,
)
from events.quoting import quoted
from ledger.errors import NotFound
from ledger.projections.definitions import (
    SUM,
    DefinitionKey,
    DefinitionVersion,
    GdpBasis,
    Inclusion,
    parse_spec,
)
from ledger.storage.store import EventStore

Source = dict[str, Any]  # a Source as JSON: title, url, page, published, hypothetical


@dataclass(frozen=True)
class Said:
    """Who-asserted-why of one statement: the event's reason and source (None: not given)."""

    reason: str | None = None
    source: Source | None = None


@dataclass(frozen=True)
class Include:
    share: Decimal
    tier: str
    note: str
    said: Said


@dataclass(frozen=True)
class Exclude:
    note: str
    said: Said


@dataclass(frozen=True)
class Stages:
    counted: tuple[str, ...]
    rule: str
    said: Said


@dataclass(frozen=True)
class Basis:
    basis: str
    fiscal_year: int | None
    vintage: str | None
    said: Said


@dataclass(frozen=True)
class StatusStep:
    status: str
    effective_from: int | None
    said: Said


@dataclass(frozen=True)
class TargetDoc:
    jurisdiction: str
    target_id: str
    percent_of_gdp: Decimal
    by_fiscal_year: int
    kind: str
    tier: str | None
    description: str
    said: Said

    @property
    def key(self) -> tuple[str, str]:
        return (self.jurisdiction, self.target_id)


@dataclass
class DefinitionDoc:
    """One definition version as a document (a definition file's content)."""

    definition: str
    version: int
    title: str
    based_on: int | None = None
    description: str = ""
    said: Said = field(default_factory=Said)
    includes: dict[str, Include] = field(default_factory=dict)
    excludes: dict[str, Exclude] = field(default_factory=dict)
    stages: Stages | None = None
    basis: Basis | None = None
    statuses: list[StatusStep] = field(default_factory=list)
    targets: dict[tuple[str, str], TargetDoc] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.definition}@{self.version}"

    @property
    def status(self) -> str:
        return self.statuses[-1].status if self.statuses else "draft"

    def content(self) -> DefinitionDoc:
        """What a version ``based_on`` this one starts from: categories, exclusions, stages
        and GDP basis, not the opening, the statuses or the targets."""
        return DefinitionDoc(
            self.definition,
            self.version,
            self.title,
            includes=dict(self.includes),
            excludes=dict(self.excludes),
            stages=self.stages,
            basis=self.basis,
        )


@dataclass
class DefinitionDocs:
    """Every definition version's document, and the targets set for each definition."""

    versions: dict[DefinitionKey, DefinitionDoc] = field(default_factory=dict)
    targets: dict[tuple[str, str], tuple[str | None, TargetDoc]] = field(default_factory=dict)

    def doc(self, definition: str, version: int) -> DefinitionDoc | None:
        """The document of ``definition@version`` with the definition's current targets."""
        found = self.versions.get((definition, version))
        if found is None:
            return None
        targets = {
            key: target for key, (owner, target) in self.targets.items() if owner == definition
        }
        return replace(found, targets=dict(sorted(targets.items())))


def said_of(reason: str | None, source: Source | None) -> Said:
    return Said(reason, source)


def apply_doc_event(docs: DefinitionDocs, event: EventModel, said: Said) -> None:
    """Fold one event into ``docs`` (in place); events of other kinds are ignored, as are
    events for a version never opened (the rules refuse them at write time)."""
    if isinstance(event, TargetSet):
        target = TargetDoc(
            event.jurisdiction, event.target_id, event.percent_of_gdp, event.by_fiscal_year,
            event.kind.value, event.tier, event.description, said,
        )  # fmt: skip
        docs.targets[target.key] = (event.definition, target)
        return
    if not isinstance(
        event,
        DefinitionVersionOpened | CategoryIncluded | CategoryExcluded | StagesSet | GdpBasisSet
        | DefinitionStatusChanged,
    ):  # fmt: skip
        return
    key = (event.definition, event.version)
    if isinstance(event, DefinitionVersionOpened):
        if key in docs.versions:
            return
        base = docs.versions.get((event.definition, event.based_on)) if event.based_on else None
        opened = base.content() if base is not None else DefinitionDoc(*key, event.title)
        opened.definition, opened.version = event.definition, event.version
        opened.title, opened.based_on = event.title, event.based_on
        opened.description, opened.said = event.description, said
        docs.versions[key] = opened
        return
    doc = docs.versions.get(key)
    if doc is None:
        return
    if isinstance(event, CategoryIncluded):
        doc.includes[event.category] = Include(event.share, event.tier, event.note, said)
        doc.excludes.pop(event.category, None)
    elif isinstance(event, CategoryExcluded):
        doc.includes.pop(event.category, None)
        doc.excludes[event.category] = Exclude(event.note, said)
    elif isinstance(event, StagesSet):
        doc.stages = Stages(tuple(s.value for s in event.stages), event.rule.value, said)
    elif isinstance(event, GdpBasisSet):
        doc.basis = Basis(event.basis.value, event.fiscal_year, event.vintage, said)
    else:
        doc.statuses.append(StatusStep(event.status.value, event.effective_from, said))


def fold_docs(events: Iterable[tuple[EventModel, Said]]) -> DefinitionDocs:
    """The documents after ``events`` (event model, its provenance), in seq order."""
    docs = DefinitionDocs()
    for event, said in events:
        apply_doc_event(docs, event, said)
    return docs


def version_of(doc: DefinitionDoc) -> DefinitionVersion:
    """The ``DefinitionVersion`` a document stands for (seqs 0: not tied to events)."""
    effective = [s.effective_from for s in doc.statuses if s.effective_from is not None]
    version = DefinitionVersion(
        definition=doc.definition,
        version=doc.version,
        title=doc.title,
        based_on=doc.based_on,
        opened_seq=0,
        status=doc.status,
        effective_from=effective[-1] if effective else None,
        stages=doc.stages.counted if doc.stages else None,
        stage_rule=doc.stages.rule if doc.stages else SUM,
        basis=GdpBasis(doc.basis.basis, doc.basis.fiscal_year, doc.basis.vintage)
        if doc.basis
        else GdpBasis(),
    )
    version.categories = {
        code: Inclusion(inc.share, inc.tier, 0) for code, inc in sorted(doc.includes.items())
    }
    return version


def read_docs(
    store: EventStore, upto: int | None = None, definition: str | None = None
) -> DefinitionDocs:
    """The documents as of seq ``upto`` (None: the head), of one definition or of all: its
    definition events and every TargetSet, in seq order."""
    prefix = f"definition/{definition}/" if definition else "definition/"
    events = [
        *store.read(stream_prefix=prefix, stop=upto),
        *store.read(types=["TargetSet"], stop=upto),
    ]
    events.sort(key=lambda stored: stored.seq)
    return fold_docs((stored.model(), Said(stored.reason, stored.source)) for stored in events)


def doc_at(store: EventStore, spec: str, seq: int | None = None) -> DefinitionDoc:
    """The document of ``NAME@V`` (``NAME`` alone: its highest version) as of seq ``seq``
    (None: the head), with the definition's targets as they stood then."""
    name, number = parse_spec(spec)
    docs = read_docs(store, seq, name)
    versions = sorted(v for (n, v) in docs.versions if n == name)
    if not versions:
        raise NotFound(f"unknown definition {quoted(name)}")
    version = versions[-1] if number is None else number
    found = docs.doc(name, version)
    if found is None:
        listed = ", ".join(f"{name}@{v}" for v in versions)
        raise NotFound(f"unknown definition version {name}@{version} (versions: {listed})")
    return found
