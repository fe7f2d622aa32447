"""``programmes`` and ``obligations``: multi-year envelopes against what is recorded, and
obligations as their own measure — never added to spending.

A programme's part counts, for each of the programme's fiscal years, the figures of its
categories: budget lines at the programme's stages (``expenditure``), or obligations of kind
``new-contracts`` (``contract``), in the programme's currency. Per part and for the programme:
**so far** (the years with a figure), **remaining** (envelope − so far), **years left** (the
programme's years after the last one with a figure) and **pace needed** (remaining / years
left), beside the pace so far (so far / years with a figure). A year before the last one with a
figure that has none is **missing**: the figures are then incomplete, and the row says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.projections.commitments import Commitments, Programme, commitments_at
from ledger.projections.comparable import amount_fields
from ledger.projections.fold import EXACT, LedgerState, dec_str
from ledger.queries.jurisdictions import parse_jurisdictions
from ledger.queries.question import open_context, parse_years
from ledger.storage.store import EventStore
from ledger.tabular import AMOUNT, Table

PROGRAMME_COLUMNS = [
    "jurisdiction", "programme", "basis", "part", "years", "envelope", "currency", "so_far",
    "remaining", "years_left", "pace_needed", "pace_so_far", "missing",
]  # fmt: skip
OBLIGATION_COLUMNS = [
    "jurisdiction", "fiscal_year", "obligation_id", "agency", "category", "kind", "stage",
    "amount", "currency", "seq",
]  # fmt: skip
PROGRAMME_KINDS = {
    name: AMOUNT for name in ("envelope", "so_far", "remaining", "pace_needed", "pace_so_far")
}
OBLIGATION_KINDS = {"amount": AMOUNT}
TOTAL = "*"


@dataclass(frozen=True)
class Progress:
    """One part (or the whole programme) against its amount."""

    amount: Decimal
    by_year: dict[int, Decimal]  # the programme's years with a figure
    counted: bool  # whether any recorded figure can count against it (it has categories)

    @property
    def so_far(self) -> Decimal:
        with localcontext(EXACT):
            return sum(self.by_year.values(), Decimal(0))


def _figures(
    programme: Programme, categories: Sequence[str], state: LedgerState, commitments: Commitments
) -> dict[int, Decimal]:
    """The amount recorded against ``categories`` for each programme year that has one."""
    found: dict[int, Decimal] = {}
    wanted = set(categories)
    with localcontext(EXACT):
        for year in programme.years:
            amounts: list[Decimal] = []
            if programme.basis == "contract":
                amounts = [
                    o.amount
                    for (j, fy, _), o in commitments.obligations.items()
                    if j == programme.jurisdiction and fy == year and o.category in wanted
                    and o.kind == "new-contracts" and o.stage in programme.stages
                    and o.currency == programme.currency
                ]  # fmt: skip
            else:
                amounts = [
                    cell.amount
                    for (stage, category, currency), cell in state.group(
                        programme.jurisdiction, year
                    ).items()
                    if category in wanted and stage in programme.stages
                    and currency == programme.currency
                ]  # fmt: skip
            if amounts:
                found[year] = sum(amounts, Decimal(0))
    return found


def _row(programme: Programme, part: str, progress: Progress, last: int | None) -> dict[str, Any]:
    years_left = [y for y in programme.years if last is None or y > last]
    missing = [y for y in programme.years if progress.counted and last is not None
               and y <= last and y not in progress.by_year]  # fmt: skip
    with localcontext(EXACT):
        remaining = progress.amount - progress.so_far
    pace = Fraction(remaining) / len(years_left) if years_left and progress.counted else None
    pace_so_far = Fraction(progress.so_far) / len(progress.by_year) if progress.by_year else None
    return {
        "jurisdiction": programme.jurisdiction,
        "programme": programme.programme_id,
        "name": programme.name,
        "basis": programme.basis,
        "part": part,
        "years": f"FY{programme.first_year}..FY{programme.last_year}",
        "envelope": dec_str(progress.amount),
        "currency": programme.currency,
        "so_far": dec_str(progress.so_far) if progress.counted else "",
        "remaining": dec_str(remaining) if progress.counted else "",
        "years_left": len(years_left),
        **amount_fields("pace_needed", pace),
        **amount_fields("pace_so_far", pace_so_far),
        "missing": ",".join(f"FY{y}" for y in missing),
        "by_year": {f"FY{y}": dec_str(a) for y, a in sorted(progress.by_year.items())},
        "seq": programme.seq,
        "source": programme.source,
    }


def programme_rows(
    programme: Programme, state: LedgerState, commitments: Commitments
) -> list[dict[str, Any]]:
    """One row per part, then the programme's (part ``*``)."""
    parts = [
        (
            part,
            Progress(
                part.amount,
                _figures(programme, part.categories, state, commitments),
                bool(part.categories),
            ),
        )  # fmt: skip
        for part in programme.parts
    ]
    years = [y for _, progress in parts for y in progress.by_year]
    last = max(years) if years else None
    rows = [_row(programme, part.part_id, progress, last) for part, progress in parts]
    whole: dict[int, Decimal] = {}
    with localcontext(EXACT):
        for _, progress in parts:
            for year, amount in progress.by_year.items():
                whole[year] = whole.get(year, Decimal(0)) + amount
    total = Progress(programme.envelope, whole, any(p.counted for _, p in parts))
    rows.append(_row(programme, TOTAL, total, last))
    for row, (part, _) in zip(rows, parts, strict=False):
        row["part_name"] = part.name
        row["categories"] = list(part.categories)
    rows[-1]["part_name"] = programme.name
    return rows


def programmes_table(
    store: EventStore,
    ids: Sequence[str] = (),
    jurisdictions: Sequence[str] = (),
    as_of: str | None = None,
) -> Table:
    """Every programme (or those named), as of a moment."""
    context = open_context(store, as_of, None)
    commitments = commitments_at(store, context.as_of.seq)
    places = parse_jurisdictions(jurisdictions)
    chosen = [
        p
        for (j, pid), p in sorted(commitments.programmes.items())
        if (not ids or pid in ids) and (not places or places == ("all",) or j in places)
    ]
    unknown = sorted(set(ids) - {p.programme_id for p in chosen})
    if unknown or not chosen:
        known = ", ".join(sorted(pid for _, pid in commitments.programmes)) or "none recorded"
        which = ", ".join(quoted(i) for i in unknown) if unknown else "no programme"
        raise InvalidInput(f"{which} as of seq {context.as_of.seq} (programmes: {known})")
    rows = [row for p in chosen for row in programme_rows(p, context.state, commitments)]
    meta = {
        **context.meta,
        "programmes": [
            {
                "programme": p.programme_id,
                "name": p.name,
                "basis": p.basis,
                "stages": list(p.stages),
                "note": p.note,
                "seq": p.seq,
                "source": p.source,
            }
            for p in chosen
        ],  # fmt: skip
    }
    lines = [
        f"As of seq {context.as_of.seq}. So far: the figures recorded for the programme's years "
        "(budget lines at its stages; on the contract basis, new-contract obligations), "
        "per part by its categories; remaining = envelope − so far; pace needed = remaining / "
        "years left (the years after the last with a figure), pace so far = so far / years "
        "with a figure. A part with no categories counts no figure. Exact; a pace that is no "
        "finite decimal is shown to cents.",
    ]
    for p in chosen:
        stages = ",".join(p.stages)
        counted = "new-contract obligations" if p.basis == "contract" else f"lines at {stages}"
        source = f"; source: {p.source}" if p.source else ""
        lines.append(f"{p.programme_id} (seq {p.seq}): {p.name}; {p.basis} basis, {counted}"
                     f"{source}.")  # fmt: skip
        if p.note:
            lines.append(f"  {p.note}")
    for row in rows:
        if row["missing"]:
            lines.append(
                f"Note: {row['programme']} {row['part']}: no figure for {row['missing']}, "
                "before its last year with one: so far is incomplete"
            )
    return Table(
        "programmes",
        PROGRAMME_COLUMNS,
        rows,
        meta,
        caption="\n".join(lines),
        kinds=PROGRAMME_KINDS,
        secondary=("years", "missing", "basis"),
    )


def obligations_table(
    store: EventStore,
    jurisdictions: Sequence[str] = (),
    years: str | None = None,
    kind: str | None = None,
    as_of: str | None = None,
) -> Table:
    """Obligations recorded as of a moment, one row each, then a total per jurisdiction,
    fiscal year, kind and currency (``obligation_id`` ``*``)."""
    context = open_context(store, as_of, None)
    commitments = commitments_at(store, context.as_of.seq)
    places = parse_jurisdictions(jurisdictions)
    wanted = set(parse_years(years)) if years else None
    chosen = [
        o
        for _, o in sorted(commitments.obligations.items())
        if (not places or places == ("all",) or o.jurisdiction in places)
        and (wanted is None or o.fiscal_year in wanted)
        and (kind is None or o.kind == kind)
    ]
    if not chosen:
        raise InvalidInput(f"no obligation is recorded for this question as of seq "
                           f"{context.as_of.seq}")  # fmt: skip
    rows: list[dict[str, Any]] = []
    totals: dict[tuple[str, int, str, str], Decimal] = {}
    with localcontext(EXACT):
        for o in chosen:
            rows.append(
                {
                    "jurisdiction": o.jurisdiction,
                    "fiscal_year": o.fiscal_year,
                    "obligation_id": o.obligation_id,
                    "agency": o.agency,
                    "program": o.program,
                    "category": o.category,
                    "kind": o.kind,
                    "stage": o.stage,
                    "amount": dec_str(o.amount),
                    "currency": o.currency,
                    "seq": o.seq,
                    "source": o.source,
                }  # fmt: skip
            )
            key = (o.jurisdiction, o.fiscal_year, o.kind, o.currency)
            totals[key] = totals.get(key, Decimal(0)) + o.amount
    for (j, year, kind_of, currency), amount in sorted(totals.items()):
        rows.append({"jurisdiction": j, "fiscal_year": year, "obligation_id": TOTAL,
                     "kind": kind_of, "amount": dec_str(amount), "currency": currency})  # fmt: skip
    caption = (
        f"As of seq {context.as_of.seq}. Obligations are commitments (new contracts, later-year "
        "payments, contract authority), paid in their year or later: their own measure, never "
        "added to spending (no total counts them). Rows with obligation_id * are the sums per "
        "fiscal year, kind and currency."
    )
    return Table(
        "obligations",
        OBLIGATION_COLUMNS,
        rows,
        context.meta,
        caption=caption,
        kinds=OBLIGATION_KINDS,
        secondary=("agency", "stage", "seq"),
    )
