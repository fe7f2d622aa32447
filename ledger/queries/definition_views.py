"""``definition list`` and ``definition show`` as tables: every version with its status,
stages and stage rule, GDP basis and title; one version's categories with tier, share, note
and reason, and its stages, GDP basis, statuses and targets in the caption."""

from __future__ import annotations

from typing import Any

from ledger.projections.definition_docs import DefinitionDoc
from ledger.projections.definitions import LATEST, version_meta
from ledger.projections.fold import dec_str
from ledger.queries.question import open_context
from ledger.storage.store import EventStore
from ledger.tabular import Table

LIST_COLUMNS = ["definition", "version", "status", "effective_from", "based_on", "stages",
                "stage_rule", "gdp_basis", "categories", "title"]  # fmt: skip
SHOW_COLUMNS = ["category", "counts", "tier", "share", "note", "reason"]


def definitions_table(store: EventStore, as_of: str | None) -> Table:
    """Every definition version as of ``as_of``, by name and version."""
    context = open_context(store, as_of, None)
    rows = []
    for key in sorted(context.state.definitions):
        version = context.state.definitions[key]
        meta = version_meta(version)
        rows.append(
            {
                **{k: meta[k] for k in ("definition", "version", "status", "effective_from")},
                "based_on": version.based_on,
                "stages": ",".join(version.counted_stages),
                "stage_rule": version.stage_rule,
                "gdp_basis": meta["gdp_basis"],
                "categories": len(version.categories),
                "title": version.title,
            }
        )
    return Table("definitions", LIST_COLUMNS, rows, context.meta)


def _status_text(doc: DefinitionDoc) -> str:
    if not doc.statuses:
        return "draft"
    return " → ".join(
        step.status + (f" from FY{step.effective_from}" if step.effective_from else "")
        for step in doc.statuses
    )


def definition_table(doc: DefinitionDoc, meta: dict[str, Any]) -> Table:
    """One version: a row per category included or excluded; the rest in the caption."""
    rows: list[dict[str, Any]] = []
    for code, inc in sorted(doc.includes.items()):
        rows.append({"category": code, "counts": "included", "tier": inc.tier,
                     "share": dec_str(inc.share), "note": inc.note,
                     "reason": inc.said.reason or ""})  # fmt: skip
    for code, exc in sorted(doc.excludes.items()):
        rows.append({"category": code, "counts": "excluded", "tier": "", "share": "",
                     "note": exc.note, "reason": exc.said.reason or ""})  # fmt: skip
    if doc.stages is None:
        stages = "initial (never set)"
    else:
        stages = ",".join(doc.stages.counted)
        stages = f"latest of {stages}" if doc.stages.rule == LATEST else stages
    if doc.basis is None or doc.basis.basis == "same-year":
        basis = "same-year"
    else:
        basis = f"FY{doc.basis.fiscal_year}"
    if doc.basis is not None and doc.basis.vintage:
        basis += f"@{doc.basis.vintage}"
    based = f" (based on @{doc.based_on})" if doc.based_on else ""
    lines = [
        f"{doc.label}{based}: {doc.title}",
        f"status: {_status_text(doc)} · stages: {stages} · GDP basis: {basis}",
    ]
    for target in doc.targets.values():
        tier = f", {target.tier}" if target.tier else ""
        lines.append(
            f"target {target.jurisdiction}/{target.target_id}: {dec_str(target.percent_of_gdp)}% "
            f"of GDP by FY{target.by_fiscal_year} ({target.kind}{tier})"
        )
    return Table("categories", SHOW_COLUMNS, rows, meta, caption="\n".join(lines))
