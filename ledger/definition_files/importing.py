"""Import a definition file as the events ``record`` makes, and show a version as a file.

The file states one version, ``NAME@V``, in full. Importing compares it with what the ledger
holds and records only the differences, as ordinary definition events (each with the file's
reason and source for that element, else ``--reason``; the importer as actor):

- ``NAME@V`` not recorded: ``DefinitionVersionOpened`` (a copy of ``based_on``'s categories,
  exclusions, stages and GDP basis when it names one), then whatever the file states
  differently from that start, then its statuses in order.
- ``NAME@V`` recorded and the file says the same: nothing (importing twice adds nothing).
- ``NAME@V`` recorded, a draft or proposal, and the file differs: the differences, recorded
  in that version (a draft is edited by events, on the record).
- ``NAME@V`` recorded, adopted (or superseded, withdrawn), and its content differs: refused,
  naming the differences; a new version is a new file version (``version = V+1``,
  ``based_on = V``). Statuses the file adds after those recorded (e.g. ``superseded``) and
  targets are recorded at any status.

What the file does not state is not a difference: a ``reason`` or ``source`` left out, a
category the version excludes but the file does not mention. A category the version includes
and the file does not mention is excluded. The opening (title, description, ``based_on``)
cannot change once recorded. Everything is checked under the write lock by the rules every
``record`` passes, and appended in one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from events import (
    CategoryExcluded,
    CategoryIncluded,
    DefinitionStatusChanged,
    DefinitionVersionOpened,
    EventModel,
    GdpBasisSet,
    Provenance,
    StagesSet,
    TargetSet,
)
from events.quoting import quoted
from ledger.definition_files.document import DefinitionFile, read_definition, write_definition
from ledger.errors import InvalidInput
from ledger.intake.rules import EDITABLE, Numbered, plan
from ledger.projections.definition_docs import (
    DefinitionDoc,
    DefinitionDocs,
    Said,
    apply_doc_event,
    doc_at,
    read_docs,
    version_of,
)
from ledger.projections.definitions import DefinitionVersion
from ledger.queries.history import payload_summary, planned_rows
from ledger.reports.diff import plan_steps
from ledger.reports.document import KIND_LABELS
from ledger.storage.records import PendingEvent, StreamWrite, event_type_of
from ledger.storage.store import EventStore

MAX_REPORTED = 20


@dataclass
class DefinitionImport:
    """What importing a definition file records (or would, with ``dry_run``)."""

    label: str
    new: bool
    based_on: int | None
    changes: list[str]  # the structural diff (deepdiff), one line per change
    events: list[dict[str, Any]] = field(default_factory=list)  # as log --format jsonl
    summaries: list[str] = field(default_factory=list)  # one line per event
    dry_run: bool = False
    first_seq: int | None = None
    last_seq: int | None = None

    @property
    def appended(self) -> int:
        return 0 if self.first_seq is None or self.last_seq is None else (
            self.last_seq - self.first_seq + 1
        )  # fmt: skip


# -- the differences as events --------------------------------------------------------------


def _matches(have: Said, want: Said) -> bool:
    """A statement's provenance matches unless the file states another reason or source."""
    return (want.reason is None or want.reason == have.reason) and (
        want.source is None or want.source == have.source
    )


def _same(have: Any, want: Any) -> bool:
    """Equal as content, provenance compared only where the file states it."""
    if have is None or want is None:
        return have is None and want is None
    return replace(have, said=want.said) == want and _matches(have.said, want.said)


class _Changes:
    """The events that bring ``have`` to the file's ``want``, each with its file line."""

    def __init__(self, file: DefinitionFile, actor: str, reason: str | None) -> None:
        self.file, self.actor, self.reason = file, actor, reason
        self.items: list[Numbered] = []
        doc = file.doc
        self.ident = {"definition": doc.definition, "version": doc.version}

    def add(
        self, where: tuple[Any, ...], model: type[EventModel], fields: dict[str, Any], said: Said
    ) -> None:
        event = model.model_validate(fields)
        prov = Provenance.model_validate(
            {
                "actor": self.actor,
                "reason": self.reason if said.reason is None else said.reason,
                "source": said.source,
            }
        )
        self.items.append(Numbered(self.file.lines.get(where), PendingEvent(event, prov)))

    def content(self, have: DefinitionDoc) -> None:
        want, ident = self.file.doc, self.ident
        if want.stages is not None and not _same(have.stages, want.stages):
            fields = {**ident, "stages": want.stages.counted, "rule": want.stages.rule}
            self.add(("stages",), StagesSet, fields, want.stages.said)
        if want.basis is not None and not _same(have.basis, want.basis):
            b = want.basis
            fields = {**ident, "basis": b.basis, "fiscal_year": b.fiscal_year, "vintage": b.vintage}
            self.add(("gdp_basis",), GdpBasisSet, fields, b.said)
        for code, inc in sorted(want.includes.items()):
            if not _same(have.includes.get(code), inc):
                fields = {**ident, "category": code, "share": inc.share, "tier": inc.tier,
                          "note": inc.note}  # fmt: skip
                self.add(("include", code), CategoryIncluded, fields, inc.said)
        for code, exc in sorted(want.excludes.items()):
            if not _same(have.excludes.get(code), exc):
                fields = {**ident, "category": code, "note": exc.note}
                self.add(("exclude", code), CategoryExcluded, fields, exc.said)
        for code in sorted(set(have.includes) - set(want.includes) - set(want.excludes)):
            self.add(("opened",), CategoryExcluded, {**ident, "category": code}, Said())

    def statuses(self, recorded: int) -> None:
        for index, step in enumerate(self.file.doc.statuses[recorded:], start=recorded):
            fields = {**self.ident, "status": step.status, "effective_from": step.effective_from}
            self.add(("status", index), DefinitionStatusChanged, fields, step.said)

    def targets(self, docs: DefinitionDocs) -> None:
        name = self.file.doc.definition
        for key, target in sorted(self.file.doc.targets.items()):
            owner, have = docs.targets.get(key, (None, None))
            if owner == name and _same(have, target):
                continue
            fields = {
                "jurisdiction": target.jurisdiction, "target_id": target.target_id,
                "percent_of_gdp": target.percent_of_gdp, "by_fiscal_year": target.by_fiscal_year,
                "kind": target.kind, "definition": name, "tier": target.tier,
                "description": target.description,
            }  # fmt: skip
            self.add(("target", *key), TargetSet, fields, target.said)


def _opening_differences(have: DefinitionDoc, want: DefinitionDoc) -> list[str]:
    found = []
    for name in ("title", "description", "based_on"):
        if getattr(have, name) != getattr(want, name):
            found.append(
                f"{name} {quoted(getattr(want, name))} (recorded: {quoted(getattr(have, name))})"
            )
    if not _matches(have.said, want.said):
        found.append("the opening's reason or source")
    return found


def _step_text(kind: str, key: str, before: str | None, after: str | None) -> str:
    match kind:
        case "category-added":
            return f"+ {key} ×{after}"
        case "category-removed":
            return f"− {key} (was ×{before})"
        case "re-weighted":
            return f"~ {key} share {before} → {after}"
        case "tier-moved":
            return f"~ {key} tier {before} → {after}"
        case "stage-added" | "stage-removed":
            return f"{'+' if kind == 'stage-added' else '−'} stage {key}"
        case "stage-rule":
            return f"~ stage rule {before} → {after}"
        case "gdp-basis":
            return f"~ GDP basis {before} → {after}"
    return f"{KIND_LABELS.get(kind, kind)}: {key} ({before or '—'} → {after or '—'})"


def changes_text(a: DefinitionVersion, b: DefinitionVersion) -> list[str]:
    """The structural diff A → B (deepdiff, in the attribution order of ``diff``)."""
    return [_step_text(s.kind, s.key, s.before, s.after) for s in plan_steps(a, b)]


def _plan_file(
    docs: DefinitionDocs, file: DefinitionFile, actor: str, reason: str | None
) -> tuple[list[Numbered], DefinitionDoc, bool]:
    """The events the file stands for, the document they start from, and whether the version
    is new. ``InvalidInput`` when the file contradicts what cannot change."""
    want = file.doc
    changes = _Changes(file, actor, reason)
    current = docs.doc(want.definition, want.version)
    if current is None:
        start = DefinitionDoc(want.definition, want.version, want.title)
        if want.based_on is not None:
            base = docs.doc(want.definition, want.based_on)
            if base is None:
                raise InvalidInput(
                    f"{want.definition}@{want.based_on} (based_on) does not exist",
                    line=file.lines.get(("opened",)),
                )
            start = base.content()
        opened = {**changes.ident, "based_on": want.based_on, "title": want.title,
                  "description": want.description}  # fmt: skip
        changes.add(("opened",), DefinitionVersionOpened, opened, want.said)
        changes.content(start)
        changes.statuses(0)
        changes.targets(docs)
        return changes.items, start, True
    label = current.label
    differs = _opening_differences(current, want)
    if differs:
        raise InvalidInput(
            f"{label} is recorded with another opening: {'; '.join(differs)}; a version's "
            "opening cannot change (give the file a new version number)"
        )
    recorded = current.statuses
    if [(s.status, s.effective_from) for s in want.statuses[: len(recorded)]] != [
        (s.status, s.effective_from) for s in recorded
    ] or not all(_matches(h.said, w.said) for h, w in zip(recorded, want.statuses, strict=False)):
        history = ", ".join(_status_text(s.status, s.effective_from) for s in recorded)
        raise InvalidInput(
            f"{label}'s recorded statuses ({history or 'none'}) are not the first [[status]] "
            "entries of the file: statuses are only ever added"
        )
    changes.content(current)
    if changes.items and current.status not in {s.value for s in EDITABLE}:
        after = _after(docs, changes.items, want.definition, want.version)
        what = changes_text(version_of(current), version_of(after)) or [
            payload_summary(_type(i.pending), i.pending.event.model_dump(mode="json"))
            for i in changes.items
        ]
        raise InvalidInput(
            f"{label} is {current.status} and cannot change; the file differs from it: "
            f"{'; '.join(what[:MAX_REPORTED])}. To record the file as a new version, set "
            f"version = {_next(docs, want.definition)} and based_on = {want.version} in it"
        )
    changes.statuses(len(recorded))
    changes.targets(docs)
    return changes.items, current, False


def _status_text(status: str, effective_from: int | None) -> str:
    return status + (f" from FY{effective_from}" if effective_from else "")


def _next(docs: DefinitionDocs, name: str) -> int:
    return max((v for (n, v) in docs.versions if n == name), default=0) + 1


def _type(pending: PendingEvent) -> str:
    return event_type_of(pending.event)


def _after(docs: DefinitionDocs, items: list[Numbered], name: str, version: int) -> DefinitionDoc:
    """The version's document once ``items`` are applied (on a copy)."""
    copy = DefinitionDocs(
        {
            k: replace(
                v, includes=dict(v.includes), excludes=dict(v.excludes), statuses=list(v.statuses)
            )
            for k, v in docs.versions.items()
        },  # fmt: skip
        dict(docs.targets),
    )
    for item in items:
        prov = item.pending.provenance
        source = None if prov.source is None else prov.source.model_dump(mode="json")
        apply_doc_event(copy, item.pending.event, Said(prov.reason, source))
    found = copy.doc(name, version)
    assert found is not None
    return found


def _summarise(problems: list[tuple[int | None, str]]) -> str:
    ordered = sorted(problems, key=lambda p: p[0] or 0)
    shown = [f"line {line}: {m}" if line else m for line, m in ordered[:MAX_REPORTED]]
    noun = "problem" if len(problems) == 1 else "problems"
    return f"nothing imported: {len(problems)} {noun} in the definition file: " + "; ".join(shown)


def import_definition(
    store: EventStore,
    text: str,
    *,
    actor: str,
    reason: str | None = None,
    dry_run: bool = False,
    before_writing: Callable[[DefinitionImport], None] | None = None,
) -> DefinitionImport:
    """Record the definition file ``text`` (see the module docstring); ``InvalidInput`` with
    the file's lines when it cannot be, and then nothing is written. ``before_writing`` is
    given the report (the structural diff, the events) once everything is checked, before
    anything is appended."""
    file = read_definition(text)
    want = file.doc

    def work() -> DefinitionImport:
        docs = read_docs(store, None, want.definition)
        items, start, new = _plan_file(docs, file, actor, reason)
        after = _after(docs, items, want.definition, want.version)
        report = DefinitionImport(
            want.label,
            new,
            want.based_on,
            changes_text(
                version_of(start) if not new or want.based_on else _empty(want), version_of(after)
            ),  # fmt: skip
            dry_run=dry_run,
        )
        checked = plan(store, items, max_problems=MAX_REPORTED)
        if checked.problems:
            raise InvalidInput(_summarise(checked.problems))
        report.events = planned_rows(checked.writes)
        report.summaries = [payload_summary(row["type"], row) for row in report.events]
        if before_writing is not None:
            before_writing(report)
        if dry_run or not checked.writes:
            return report
        result = store.append(checked.writes)
        report.first_seq, report.last_seq = result.first_seq, result.last_seq
        return report

    return work() if dry_run else store.locked(work)


def _empty(doc: DefinitionDoc) -> DefinitionVersion:
    return DefinitionVersion(doc.definition, doc.version, "(not recorded)", None, 0)


# -- showing ---------------------------------------------------------------------------------


def definition_file_text(store: EventStore, spec: str, seq: int | None = None) -> str:
    """``definition show NAME@V --format toml``: the version as a file, in normal form."""
    return write_definition(doc_at(store, spec, seq))


__all__ = [
    "DefinitionImport",
    "StreamWrite",
    "changes_text",
    "definition_file_text",
    "import_definition",
]
