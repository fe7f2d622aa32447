"""The small aggregate state as rows: for the projection tables and for snapshots.

Everything but the lines (sums, definitions, GDP, targets, rates, categories) is small: its size
grows with jurisdictions × years × stages × categories, not with the number of events. It is
written as rows of plain values (decimals as exact strings), sorted, so the same state always
gives the same rows and the same snapshot bytes.
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any

import orjson

from ledger.intake.lines import LineState
from ledger.projections.definitions import SUM, DefinitionVersion, GdpBasis, Inclusion
from ledger.projections.fold import Category, GdpFigure, LedgerState, Rate, SumCell, Target, dec_str

SNAPSHOT_FORMAT = 1
Row = tuple[Any, ...]


def sum_rows(state: LedgerState) -> list[Row]:
    """(jurisdiction, fiscal_year, stage, category, currency, amount, lines)."""
    return sorted(
        (j, fy, stage, cat, cur, dec_str(cell.amount), cell.lines)
        for (j, fy), group in state.sums.items()
        for (stage, cat, cur), cell in group.items()
    )


def add_sum_rows(state: LedgerState, rows: list[Row]) -> None:
    for j, fy, stage, cat, cur, amount, lines in rows:
        group = state.sums.setdefault((j, int(fy)), {})
        group[(stage, cat, cur)] = SumCell(Decimal(amount), int(lines))


# The stages column holds the stage rule too, as a prefix when it is not ``sum``
# (``latest:initial,supplementary``): tables and snapshots written before the rule existed read
# unchanged, with no new column and no new snapshot format.
RULE_MARK = ":"


def stages_text(version: DefinitionVersion) -> str | None:
    """The stored form of a version's stages and rule (None: never set)."""
    if version.stages is None:
        return None
    stages = ",".join(version.stages)
    return stages if version.stage_rule == SUM else f"{version.stage_rule}{RULE_MARK}{stages}"


def parse_stages_text(text: str | None) -> tuple[tuple[str, ...] | None, str]:
    """(stages, rule) from the stored form."""
    if text is None:
        return None, SUM
    rule, mark, stages = text.rpartition(RULE_MARK)
    return tuple(stages.split(",")), rule if mark else SUM


def version_rows(state: LedgerState) -> list[Row]:
    """One row per definition version (the columns of ``proj_definition_versions``)."""
    rows = []
    for (name, number), v in sorted(state.definitions.items()):
        stages = stages_text(v)
        rows.append(
            (name, number, v.title, v.based_on, v.opened_seq, v.status, v.status_seq,
             v.effective_from, stages, v.stages_seq, v.basis.kind, v.basis.fiscal_year,
             v.basis.vintage, v.basis_seq, v.last_seq)
        )  # fmt: skip
    return rows


def inclusion_rows(state: LedgerState) -> list[Row]:
    """(definition, version, category, share, tier, seq)."""
    return sorted(
        (name, number, code, dec_str(inc.share), inc.tier, inc.seq)
        for (name, number), v in state.definitions.items()
        for code, inc in v.categories.items()
    )


def set_definitions(state: LedgerState, versions: list[Row], inclusions: list[Row]) -> None:
    for row in versions:
        (name, number, title, based_on, opened_seq, status, status_seq, effective_from, stages,
         stages_seq, kind, basis_year, vintage, basis_seq, last_seq) = row  # fmt: skip
        counted, rule = parse_stages_text(stages)
        state.definitions[(name, int(number))] = DefinitionVersion(
            definition=name,
            version=int(number),
            title=title,
            based_on=based_on,
            opened_seq=opened_seq,
            status=status,
            status_seq=status_seq,
            effective_from=effective_from,
            stages=counted,
            stages_seq=stages_seq,
            stage_rule=rule,
            basis=GdpBasis(kind, basis_year, vintage),
            basis_seq=basis_seq,
            last_seq=last_seq,
        )
    for name, number, code, share, tier, seq in inclusions:
        state.definitions[(name, int(number))].categories[code] = Inclusion(
            Decimal(share), tier, seq
        )


def gdp_rows(state: LedgerState) -> list[Row]:
    """(jurisdiction, fiscal_year, vintage, amount, currency, seq)."""
    return sorted(
        (j, fy, vintage, dec_str(f.amount), f.currency, f.seq)
        for (j, fy), figures in state.gdp.items()
        for vintage, f in figures.items()
    )


def set_gdp(state: LedgerState, rows: list[Row]) -> None:
    for j, fy, vintage, amount, currency, seq in rows:
        state.gdp.setdefault((j, int(fy)), {})[vintage] = GdpFigure(Decimal(amount), currency, seq)


def target_rows(state: LedgerState) -> list[Row]:
    return sorted(
        (t.jurisdiction, t.target_id, dec_str(t.percent_of_gdp), t.by_fiscal_year, t.kind,
         t.definition, t.tier, t.description, t.seq)
        for t in state.targets.values()
    )  # fmt: skip


def set_targets(state: LedgerState, rows: list[Row]) -> None:
    for j, target_id, pct, by_fy, kind, definition, tier, description, seq in rows:
        state.targets[(j, target_id)] = Target(
            j, target_id, Decimal(pct), int(by_fy), kind, definition, tier, description, seq
        )


def rate_rows(state: LedgerState) -> list[Row]:
    return sorted(
        (base, quote, fy, dec_str(r.rate), r.rate_type, r.seq)
        for (base, quote, fy), r in state.rates.items()
    )


def set_rates(state: LedgerState, rows: list[Row]) -> None:
    for base, quote, fy, rate, rate_type, seq in rows:
        state.rates[(base, quote, int(fy))] = Rate(Decimal(rate), rate_type, seq)


def category_rows(state: LedgerState) -> list[Row]:
    return sorted((code, c.name, c.parent, c.seq) for code, c in state.categories.items())


def set_categories(state: LedgerState, rows: list[Row]) -> None:
    for code, name, parent, seq in rows:
        state.categories[code] = Category(name, parent, seq)


def line_row(line: LineState) -> Row:
    """The columns of ``proj_lines``."""
    return (
        line.key, line.jurisdiction, line.fiscal_year, line.line_id, line.agency, line.program,
        line.category, dec_str(line.amount), line.currency, line.stage, int(line.withdrawn),
        line.recorded_seq, line.last_seq,
    )  # fmt: skip


def line_from_row(row: Row) -> LineState:
    (_, j, fy, line_id, agency, program, category, amount, currency, stage, withdrawn,
     recorded_seq, last_seq) = row  # fmt: skip
    return LineState(
        j, int(fy), line_id, agency, program, category, Decimal(amount), currency, stage,
        bool(withdrawn), recorded_seq, last_seq,
    )  # fmt: skip


def small_state(state: LedgerState) -> dict[str, list[Row]]:
    """Every part but the lines, as sorted rows."""
    return {
        "sums": sum_rows(state),
        "versions": version_rows(state),
        "inclusions": inclusion_rows(state),
        "gdp": gdp_rows(state),
        "targets": target_rows(state),
        "rates": rate_rows(state),
        "categories": category_rows(state),
    }


def encode_snapshot(state: LedgerState) -> bytes:
    """Deterministic bytes of the small state (same state, same bytes)."""
    body = {"format": SNAPSHOT_FORMAT, "seq": state.last_seq, **small_state(state)}
    return zlib.compress(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), 6)


def decode_snapshot(data: bytes) -> LedgerState:
    """A state with every part but the lines (``lines_complete`` False)."""
    body = orjson.loads(zlib.decompress(data))
    if body.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"unknown snapshot format {body.get('format')!r}")
    state = LedgerState(last_seq=int(body["seq"]), lines_complete=False)
    add_sum_rows(state, [tuple(r) for r in body["sums"]])
    set_definitions(
        state, [tuple(r) for r in body["versions"]], [tuple(r) for r in body["inclusions"]]
    )
    set_gdp(state, [tuple(r) for r in body["gdp"]])
    set_targets(state, [tuple(r) for r in body["targets"]])
    set_rates(state, [tuple(r) for r in body["rates"]])
    set_categories(state, [tuple(r) for r in body["categories"]])
    return state
