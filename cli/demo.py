"""``demo``: build the Japan scenario ledger and tell its story (``ledger.demo.run`` computes it;
this module only lays the document out as text, at most 100 columns, or prints it as JSON)."""

from __future__ import annotations

import shlex
import textwrap
from typing import Any

import click

from cli.options import db_of, output_options

WIDTH = 100
CELL = 17
LABEL = 30
STAGE_SHORT = {"supplementary": "suppl."}
MARKS = {"hypothetical": "†", "empty": "‡"}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, indent: str = "  ", hang: str = "    ") -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=hang, break_long_words=False
    )


def _header(doc: dict[str, Any]) -> list[str]:
    led = doc["ledger"]
    years = doc["fiscal_years"]
    added = (
        f"{led['added']} added (seq {led['first_seq']}..{led['last_seq']})"
        if led["added"]
        else "nothing added"
    )
    head = led["head"]
    return [
        f"defledger demo: what counts as Japan's defense spending, FY{years[0]}–FY{years[-1]}",
        *_wrap(
            f"Ledger {led['db']}: the Japan scenario (docs/scenario.md, "
            f"{led['events_in_scenario']} events), through `import`",
            "",
            "  ",
        ),
        f"  {added}, {led['already_recorded']} already recorded · hash chain verified ✓ "
        f"({led['checked']} events, head {head['hash'][:8]}…)",
    ]


def _definitions(doc: dict[str, Any]) -> list[str]:
    lines = ["Definitions: version, status, budget stages counted, title"]
    for d in doc["definitions"]:
        stages = "+".join(STAGE_SHORT.get(stage, stage) for stage in d["stages"])
        start = f"  {d['label']:<21} {d['status']:<10}  {stages:<14}  "
        lines.append(start + _clip(d["title"], WIDTH - len(start)))
    return lines


def _cell(cell: dict[str, Any]) -> str:
    """``8.9000 1.59%`` right-aligned, then its marks; in brackets when not in force."""
    share = f"{cell['share_of_gdp_pct']}%" if cell["share_of_gdp_pct"] else "n/a"
    text = f"{cell['total_tn']} {share}"
    if not cell["in_force"]:
        text = f"({text})"
    marks = (MARKS["hypothetical"] if cell["hypothetical_seqs"] else "") + (
        MARKS["empty"] if cell["empty_tiers"] else ""
    )
    return f"{text:>{CELL - 2}}{marks:<2}"


def _grid(doc: dict[str, Any]) -> list[str]:
    from ledger.demo.format import labels_text

    years = "".join(f"{f'FY{y}':>{CELL - 2}}  " for y in doc["fiscal_years"])
    lines = [f"{'¥ trillion, % of GDP':<{LABEL}}{years}".rstrip()]
    for d in doc["definitions"]:
        cells = "".join(_cell(c) for c in d["years"])
        lines.append(f"  {d['label']:<{LABEL - 2}}{cells}".rstrip())
    bases: dict[str, list[str]] = {}
    for d in doc["definitions"]:
        bases.setdefault(_basis(d), []).append(d["label"])
    for basis, labels in bases.items():
        lines += _wrap(f"{basis}: {labels_text(labels)}", "  ", "    ")
    lines.append(
        "  (…) version not in force that year   † rests on a hypothetical figure   "
        "‡ a tier counts nothing"
    )
    return lines


def _gdp(gdp: dict[str, Any]) -> str:
    return f"FY{gdp['fiscal_year']} GDP ¥{gdp['amount_tn']}T ({gdp['vintage']}, seq {gdp['seq']})"


def _basis(d: dict[str, Any]) -> str:
    """How a definition's shares are computed: ``÷ FY2022 GDP ¥560T (2022-12-estimate, …)``."""
    used = [_gdp(g) for g in d["divided_by"]]
    if d["gdp_basis"].startswith("same-year"):
        return "÷ the same year's GDP: " + ("; ".join(used) if used else "none recorded")
    return "÷ " + ("; ".join(used) if used else f"GDP {d['gdp_basis']}, not recorded")


def _published(doc: dict[str, Any]) -> list[str]:
    gdps = [c["gdp"] for c in doc["published"] if c["gdp"]]
    bases = ", ".join(sorted({f"FY{g['fiscal_year']} GDP ¥{g['amount_tn']}T" for g in gdps}))
    lines = [f"Published figures, recomputed (÷ {bases}; rounded half up as published)"]
    for c in doc["published"]:
        mark = "✓" if c["reproduced"] else "✗"
        p = c["published"]
        lines.append(
            f"  {mark} {c['label']}: {p['quoted']} (¥{p['amount_tn']}T) · {c['source']['cite']}"
        )
        gdp = f"¥{c['gdp']['amount_tn']}T" if c["gdp"] else "(no GDP)"
        share = c["share_of_gdp_pct"] or "n/a"
        flag = " †" if c["hypothetical_seqs"] else ""
        lines.append(
            f"      {c['definition']} counts ¥{c['total_tn']}T ÷ {gdp} = {share}% "
            f"→ {c['share_as_published']}%, ¥{c['amount_as_published']}T{flag}"
        )
    return lines


def _gaps(doc: dict[str, Any]) -> list[str]:
    lines = ["What the ledger cannot say (no sourced figure is recorded, and none is invented)"]
    for gap in doc["gaps"]:
        mark = MARKS["empty"] if gap["kind"] == "empty-tier" else "·"
        lines += _wrap(f"{mark} {gap['text']}", "  ", "    ")
    return lines


def _diff(doc: dict[str, Any]) -> list[str]:
    from ledger.reports.document import KIND_LABELS

    d = doc["diff"]
    lines = _wrap(f"diff {d['a']} → {d['b']}, FY{d['fiscal_year']}: {d['summary']}", "", "  ")
    for c in d["changes"]:
        where = f" (line {', '.join(c['lines'])})" if c["lines"] else ""
        kind = KIND_LABELS.get(c["kind"], c["kind"])
        lines.append(
            f"  {kind:<15} {c['key']:<20} {c['delta_short']:>8}  {c['delta_pp_rounded']:>10} pp"
            f"{where}"
        )
    if d["no_figure_recorded"]:
        lines += _wrap(
            "included, no figure recorded: " + ", ".join(d["no_figure_recorded"]), "  ", "    "
        )
    return lines


def _hypothetical(doc: dict[str, Any]) -> list[str]:
    from ledger.demo.format import labels_text

    if not doc["hypothetical"]:
        return ["No figure shown rests on a hypothetical event."]
    lines = ["† Hypothetical (illustrative, not published: docs/scenario.md, Assumptions)"]
    for flag in doc["hypothetical"]:
        years: dict[int, list[str]] = {}
        for f in flag["figures"]:
            years.setdefault(f["fiscal_year"], []).append(f["definition"])
        behind = "; ".join(f"{labels_text(labels)} FY{y}" for y, labels in sorted(years.items()))
        checks = "".join(
            f" and the published {c['published']['quoted']}"
            for c in doc["published"]
            if c["key"] in flag["published"]
        )
        lines += _wrap(f"seq {flag['seq']}: {flag['what']}, in {behind}{checks}", "  ", "    ")
        if flag["reason"]:
            first = flag["reason"].split("; ")[0]
            lines.append(textwrap.shorten(first, WIDTH - 4, initial_indent="    ", placeholder="…"))
    return lines


def _next(doc: dict[str, Any]) -> list[str]:
    db = shlex.quote(doc["ledger"]["db"])
    lines = _wrap(
        f"Next: export DEFLEDGER_DB={db} (or give --db to each command), then try", "", "  "
    )
    lines += [f"  {command}" for command in doc["next_commands"]]
    return lines


def render_text(doc: dict[str, Any]) -> str:
    """The story as text: at most ~60 lines, 100 columns."""
    parts = [
        _header(doc),
        _definitions(doc),
        _grid(doc),
        _published(doc),
        _gaps(doc),
        _diff(doc),
        _hypothetical(doc),
        _next(doc),
    ]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def _db_option(ctx: click.Context, db: str | None) -> str:
    """``demo --db``, else the group's ``--db`` when given on the command line (never
    ``DEFLEDGER_DB``: the demo must not write into the ledger a user works with), else
    ``./defledger-demo.db``."""
    from ledger.demo.run import DEFAULT_DB

    if db:
        return db
    root = ctx.find_root()
    if root.get_parameter_source("db") == click.core.ParameterSource.COMMANDLINE:
        return db_of(ctx) or DEFAULT_DB
    return DEFAULT_DB


@click.command()
@click.option(
    "--db",
    "db",
    metavar="PATH|URL",
    help="Ledger to build the demo in (default: ./defledger-demo.db; DEFLEDGER_DB is ignored). "
    "Running it again adds nothing.",
)
@output_options(formats=("table", "json"))
@click.pass_context
def demo(ctx: click.Context, db: str | None, fmt: str | None, output: str | None) -> None:
    """Build a ledger from the shipped Japan scenario (no network), verify it, and show how each
    definition moves FY2022–FY2025's totals and share of GDP: the published ratios it
    reproduces, what it cannot reproduce, the diff of the proposed expansion, and what to try
    next. table: the story as text (100 columns); json: the same content as a stable document
    for scripts.

    \b
    Examples:
      defledger demo
      defledger demo --db demo.db --format json -o demo.json
    """
    from cli.output import to_json, write
    from ledger.demo.run import run_demo
    from ledger.storage.store import EventStore

    target = _db_option(ctx, db)
    with EventStore.open(target, create=True) as store:
        doc = run_demo(store, target)
    write({"table": lambda: render_text(doc), "json": lambda: to_json(doc) + "\n"}, fmt, output)
