"""A diff report as a document of blocks — headings, the summary, text and tables of cells
already spelled out — summary first, details after. Every rendering of the report reads it:
Markdown (``render_markdown``) and HTML (``render_html``) here, and the terminal text in
``cli/diff.py``. A block says what is shown and which columns hold numbers; how it looks is the
renderer's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.numbers import DEFAULT, NumberFormat, compact
from ledger.projections.definitions import LATEST
from ledger.projections.periods import YearLabel
from ledger.reports.chart import Bridge, bridge
from ledger.reports.document import GROUP_LABELS, KIND_LABELS, parts_of, stat_line
from ledger.reports.model import Change, DiffReport, Section, Side

ATTRIBUTION_NAMES = {
    "sequential": "sequential, in this order",
    "alone-and-joint": "each cause alone, then their joint effect",
}
TITLES = {
    "definition-diff": "Definition diff",
    "as-of-diff": "What the ledger learned",
    "what-if": "What-if (hypothetical: nothing was recorded)",
}


@dataclass
class Block:
    """``kind``: ``heading`` (level in ``level``), ``summary``, ``text`` or ``table``."""

    kind: str
    text: str = ""
    level: int = 2
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    right: set[int] = field(default_factory=set)
    secondary: tuple[str, ...] = ()  # columns a narrow terminal may leave out (saying so)
    section: Section | None = None  # the section a ``chart`` block draws
    # or, for a report that is not a diff, the bridge it draws: (quantity, axis) -> Bridge
    draw: Callable[[str, str], Bridge] | None = None

    def chart(self, quantity: str = "money", axis: str = "zero") -> Bridge:
        """The bridge a ``chart`` block draws."""
        if self.draw is not None:
            return self.draw(quantity, axis)
        assert self.section is not None, "a chart block draws a section or a bridge"
        return bridge(self.section, quantity, axis)


def _moment(meta: dict[str, Any]) -> str:
    as_of = meta.get("as_of")
    head = meta.get("head", {}).get("seq")
    if isinstance(as_of, list):
        moments = [f"seq {m['seq']} ({m.get('recorded_at')})" for m in as_of]
        return "from " + " to ".join(moments) + f"; ledger head seq {head}"
    if isinstance(as_of, dict):
        spec = f" ({as_of['spec']})" if as_of.get("spec") else " (head)"
        return f"as of seq {as_of['seq']}{spec}, recorded {as_of.get('recorded_at')}"
    return ""


def _side_row(
    tag: str,
    side: Side,
    tiers: list[str],
    currency: str,
    year_label: YearLabel,
    numbers: NumberFormat,
) -> list[str]:
    measured = side.evaluation.measure
    gdp = measured.gdp
    return [
        tag,
        side.label,
        side.version.status,
        ",".join(measured.stages) + (" (latest)" if side.version.stage_rule == LATEST else ""),
        side.version.basis.label(),
        numbers.amount(side.measure),
        *[numbers.amount(measured.tiers.get(t, Decimal(0))) for t in tiers],
        f"{compact(gdp.amount, currency)} {gdp.label(year_label)}" if gdp else "none recorded",
        numbers.percent(side.share) or "n/a",
    ]


def section_blocks(section: Section, kind: str, numbers: NumberFormat = DEFAULT) -> list[Block]:
    """The summary line, the A/B/Δ table, the decomposition, the changes, the lines, the
    events and the notes of one fiscal year."""
    tier = f" · tier {section.tier}" if section.tier else ""
    blocks = [
        Block(
            "heading",
            f"{section.a.label} → {section.b.label} · "
            f"{section.jurisdiction} {section.year_label}{tier}",
            level=2,
        ),
        Block("summary", stat_line(section)),
    ]
    tiers = list(dict.fromkeys([*section.a.evaluation.by_tier, *section.b.evaluation.by_tier]))
    cur = section.currency
    columns = [
        "",
        "definition",
        "status",
        "stages",
        "GDP basis",
        f"total ({numbers.unit_label(cur)})",
        *tiers,
        "GDP",
        "share of GDP (%)",
    ]
    rows = [
        _side_row("A", section.a, tiers, cur, section.year_basis.label, numbers),
        _side_row("B", section.b, tiers, cur, section.year_basis.label, numbers),
        [
            "Δ",
            "",
            "",
            "",
            "",
            numbers.amount(section.delta_amount, sign=True),
            *[
                numbers.amount(
                    section.b.evaluation.by_tier.get(t, Decimal(0))
                    - section.a.evaluation.by_tier.get(t, Decimal(0)),
                    sign=True,
                )
                for t in tiers
            ],
            "",
            (numbers.pp(section.delta_pp) or "n/a") + " pp",
        ],
    ]
    right = {5, *range(6, 6 + len(tiers)), 7 + len(tiers)}
    blocks.append(Block("table", columns=columns, rows=rows, right=right))
    if kind == "definition-diff" or kind == "what-if":
        blocks.append(Block("chart", section=section))
    parts = parts_of(section)
    if parts:
        blocks.append(Block("heading", "Decomposition of the change", level=3))
        part_rows = [
            [
                p["label"],
                numbers.amount(p["delta_amount"], sign=True),
                numbers.pp(p["delta_pp"]) or "n/a",
            ]
            for p in parts
        ]
        part_rows.append(
            [
                "total",
                numbers.amount(section.delta_amount, sign=True),
                numbers.pp(section.delta_pp) or "n/a",
            ]
        )
        blocks.append(
            Block(
                "table",
                columns=["part", f"Δ amount ({numbers.unit_label(cur)})", "Δ pp"],
                rows=part_rows,
                right={1, 2},
            )
        )
        blocks.append(Block("chart", section=section))
    blocks += change_blocks(section, numbers)
    if section.events:
        blocks.append(Block("heading", "Events recorded in between", level=3))
        event_rows = [
            [
                str(e["seq"]),
                e["recorded_at"],
                e["what"],
                e["stream"],
                e["summary"],
                e["actor"],
                _clip(e.get("reason") or ""),
            ]
            for e in section.events
        ]
        columns = ["seq", "recorded at", "what", "stream", "summary", "actor", "reason"]
        blocks.append(Block("table", columns=columns, rows=event_rows, right={0}))
    blocks += [Block("text", note) for note in section.notes]
    return blocks


def _clip(text: str, limit: int = 60) -> str:
    """Long free text in a table cell (the JSON keeps it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_blocks(section: Section, numbers: NumberFormat = DEFAULT) -> list[Block]:
    cur = section.currency
    blocks = [Block("heading", "Changes, in attribution order", level=3)]
    if not section.changes:
        return blocks + [Block("text", "No changes.")]
    grouped = any(c.group for c in section.changes)
    rows = []
    for c in section.changes:
        label = KIND_LABELS.get(c.kind, c.kind)
        row = [str(c.step)] + ([GROUP_LABELS.get(c.group, c.group)[:3]] if grouped else [])
        row += [
            label,
            c.key,
            c.before or "",
            c.after or "",
            numbers.amount(c.delta_amount, sign=True),
            numbers.pp(c.delta_pp) or "n/a",
            str(len(c.lines)),
            " ".join(map(str, c.seqs)),
            c.note,
        ]
        rows.append(row)
    total = (
        [""]
        + ([""] if grouped else [])
        + [
            "Σ = B − A",
            "",
            "",
            "",
            numbers.amount(section.delta_amount, sign=True),
            numbers.pp(section.delta_pp) or "n/a",
            "",
            "",
            "",
        ]
    )
    rows.append(total)
    columns = ["#", *(["part"] if grouped else [])]
    columns += ["change", "key", "before", "after", f"Δ amount ({numbers.unit_label(cur)})", "Δ pp"]
    columns += ["lines", "seq"]
    columns.append("note")
    offset = 1 if grouped else 0
    blocks.append(
        Block(
            "table",
            columns=columns,
            rows=rows,
            right={0, 5 + offset, 6 + offset, 7 + offset},
            secondary=("note", "seq", "before", "after"),  # what changed and by how much stay
        )
    )
    line_rows = _line_rows((c for c in section.changes if c.group != "joint"), numbers)
    if line_rows:
        blocks.append(Block("heading", "Budget lines entering, leaving or moving", level=3))
        columns = [*LINE_COLUMNS, "counted before", "counted after", "Δ counted"]
        blocks.append(_line_table(columns + ["tier before", "tier after"], line_rows))
    joint_rows = _line_rows((c for c in section.changes if c.group == "joint"), numbers)
    if joint_rows:
        blocks.append(
            Block(
                "heading",
                "Budget lines in the joint effect (counted differently under the two definitions)",
                level=3,
            )  # fmt: skip
        )
        columns = [*LINE_COLUMNS, "Δ under T1's definition", "Δ under T2's definition", "joint"]
        blocks.append(_line_table(columns + ["tier (T1's)", "tier (T2's)"], joint_rows))
    return blocks


LINE_COLUMNS = ["#", "line", "agency", "program", "category", "stage", "amount"]


def _line_rows(changes: Iterable[Change], numbers: NumberFormat) -> list[list[str]]:
    return [
        [
            str(c.step),
            e.line_id,
            e.agency,
            e.program,
            e.category,
            e.stage,
            numbers.amount(e.amount),
            numbers.amount(e.before),
            numbers.amount(e.after),
            numbers.amount(e.delta, sign=True),
            e.tier_before or "",
            e.tier_after or "",
        ]
        for c in changes
        for e in c.lines
    ]


def _line_table(columns: list[str], rows: list[list[str]]) -> Block:
    # the line id, its category and the money stay; agency and program are the line's prose
    return Block(
        "table", columns=columns, rows=rows, right={0, 6, 7, 8, 9}, secondary=("program", "agency")
    )


def report_blocks(report: DiffReport, numbers: NumberFormat = DEFAULT) -> list[Block]:
    """The report's blocks, numbers written with ``numbers`` (``--unit``, ``--places``)."""
    title = TITLES.get(report.kind, report.kind)
    blocks = [
        Block("heading", f"{title}: {report.a_label} → {report.b_label}", level=1),
        Block("text", _moment(report.meta)),
        Block("text", f"Attribution ({ATTRIBUTION_NAMES[report.attribution]}): {report.order}."),
    ]
    for section in report.sections:
        blocks += section_blocks(section, report.kind, numbers)
    return blocks
