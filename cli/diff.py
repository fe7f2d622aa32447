"""``diff`` and ``what-if``: how a definition change moves the total and the share of GDP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from cli.errors import EXIT_DIFFERENCES, fail
from cli.options import (
    db_of,
    jurisdiction_option,
    number_options,
    open_store,
    output_options,
    stages_option,
)
from cli.output import (
    TABLE_FORMATS,
    Rendered,
    Renderers,
    numbers,
    paragraphs,
    render,
    table_renderers,
    text_table,
    to_json,
    write,
)

FORMATS = TABLE_FORMATS
F = Callable[..., Any]


def report_options(command: F) -> F:
    """Options ``diff`` and ``what-if`` share."""
    options = [
        jurisdiction_option,
        click.option(
            "--fy",
            "--year",
            "fy",
            metavar="FY|FY..FY",
            help="Year or range, e.g. FY2022..FY2025 or 2022..2025 "
            "(default: the latest year with budget lines).",
        ),
        click.option("--tier", help="Measure one tier only (e.g. core); default: all tiers."),
        click.option(
            "--period",
            type=click.Choice(["fiscal", "calendar"]),
            default="fiscal",
            show_default=True,
            help="calendar: each calendar year's diff is its fiscal years' diffs, weighted by "
            "the jurisdiction's recorded calendarisation rule (--fy then names calendar years).",
        ),
        click.option("--stat", is_flag=True, help="Only the one-line summary per fiscal year."),
        output_options(
            formats=FORMATS,
            output_help="Write to FILE, in the format its extension names (.txt .json .jsonl "
            ".csv .tsv .md .html .xlsx) unless --format says; html also writes FILE.vl.json, "
            "the chart's Vega-Lite spec.",
        ),
        number_options,
        click.option(
            "--chart",
            type=click.Choice(["money", "pp"]),
            default="money",
            show_default=True,
            help="Bridge chart quantity in the HTML report (and its Vega-Lite spec).",
        ),
        click.option(
            "--axis",
            type=click.Choice(["zero", "broken"]),
            default="zero",
            show_default=True,
            help="Bridge chart value axis: from zero, or broken (starts near the changes; "
            "drawn with a break mark).",
        ),
        click.option("--exit-code", is_flag=True, help="Exit 4 when there are differences."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def report_text(report: Any) -> str:
    """The diff report as terminal text (``--format table``): its blocks, headings underlined,
    text wrapped and tables laid out as every table is (``cli.output.text_table``), numbers
    with ``--unit`` and ``--places``."""
    from ledger.reports.blocks import report_blocks

    return blocks_text(report_blocks(report, numbers()))


def blocks_text(blocks: list[Any]) -> str:
    """A report's blocks (a diff's, a reconciliation's) as terminal text."""
    from cli.layout import cells

    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            lines = paragraphs(block.text)
            out += ["", *lines] if block.level > 1 else lines
            if block.level <= 2:
                out.append(("=" if block.level == 1 else "-") * max(map(cells, lines)))
        elif block.kind in ("summary", "text") and block.text:
            out += paragraphs(block.text)
        elif block.kind == "table":
            out += [
                "",
                *text_table(
                    block.columns, block.rows, block.right.__contains__, secondary=block.secondary
                ),
            ]
    return "\n".join(out).strip("\n") + "\n"


def _html(report: Any, chart: str, axis: str) -> Rendered:
    from ledger.reports.render_html import render_html
    from ledger.reports.vega import vega_lite_spec

    spec = to_json(vega_lite_spec(report, chart, axis)) + "\n"
    return Rendered(render_html(report, chart, axis), {".vl.json": spec})


def report_renderers(report: Any, stat: bool, chart: str, axis: str = "zero") -> Renderers:
    """Each format of ``report`` (``--stat``: its one-line summaries: as lines of text in a
    terminal, as rows in the other formats)."""
    from ledger.reports.document import ROW_COLUMNS, report_document, report_rows, stat_line
    from ledger.reports.render_markdown import render_markdown
    from ledger.tabular import Table

    if stat:
        lines = [
            f"{s.jurisdiction} {s.year_label} {s.a.label} → {s.b.label}: {stat_line(s)}"
            for s in report.sections
        ]
        summaries = Table(
            "summaries",
            ["jurisdiction", "fiscal_year", "a", "b", "summary"],
            [
                {
                    "jurisdiction": s.jurisdiction,
                    "fiscal_year": s.fiscal_year,
                    "a": s.a.label,
                    "b": s.b.label,
                    "summary": stat_line(s),
                }
                for s in report.sections
            ],  # fmt: skip
            report.meta,
        )
        return {
            **table_renderers(summaries, FORMATS),
            "table": lambda: "".join(f"{line}\n" for text in lines for line in paragraphs(text)),
        }
    rows = Table("changes", ROW_COLUMNS, report_rows(report), report.meta)
    return {
        "table": lambda: report_text(report),
        "json": lambda: to_json(report_document(report)) + "\n",
        "jsonl": lambda: render(rows, "jsonl"),
        "csv": lambda: render(rows, "csv"),
        "tsv": lambda: render(rows, "tsv"),
        "markdown": lambda: render_markdown(report),
        "html": lambda: _html(report, chart, axis),
        "xlsx": lambda: render(rows, "xlsx"),
    }


def emit_report(
    ctx: click.Context,
    report: Any,
    fmt: str | None,
    output: str | None,
    stat: bool,
    chart: str,
    axis: str,
    exit_code: bool,
) -> None:
    """Write ``report`` in the chosen format, then exit 4 if asked and it has differences."""
    write(report_renderers(report, stat, chart, axis), fmt, output)
    if exit_code and report.has_differences:
        ctx.exit(EXIT_DIFFERENCES)


@click.command()
@click.argument("specs", nargs=-1, metavar="[NAME@A NAME@B]")
@click.option(
    "--as-of",
    "as_of",
    multiple=True,
    metavar="SEQ|ISO-TIME|EVENT-ID",
    help="Once: compare the two versions as the ledger stood then. Twice (T1, T2): "
    "what the ledger learned in between about one measure, decomposed.",
)
@click.option(
    "--definition",
    metavar="NAME[@N]",
    help="With two --as-of: the measure (NAME = the version in force).",
)
@report_options
@click.pass_context
def diff(
    ctx: click.Context,
    specs: tuple[str, ...],
    as_of: tuple[str, ...],
    definition: str | None,
    jurisdictions: tuple[str, ...],
    fy: str | None,
    tier: str | None,
    period: str,
    stat: bool,
    fmt: str | None,
    output: str | None,
    chart: str,
    axis: str,
    exit_code: bool,
) -> None:
    """How a definition change moves the money. "diff NAME@A NAME@B" lists what was added,
    removed, re-weighted, moved between tiers, which stages and GDP basis changed, and the
    exact effect of each change on the total and on the share of GDP, line by line (the
    effects sum exactly to B − A). Works across definitions (jp-defense-related@2 nato@1).

    "diff --as-of T1 --as-of T2 [--definition NAME]" shows what the ledger learned between
    two moments and splits the change in the share of GDP into the definition change alone,
    the figure changes alone (lines recorded, revised, reclassified, withdrawn), their joint
    effect and the GDP revision.

    \b
    Examples:
      defledger diff jp-defense-related@2 jp-defense-related@3 --fy FY2025
      defledger diff jp-defense-related@2 jp-defense-related@3 --fy FY2025 --stat --unit B
      defledger diff jp-defense-related@2 jp-defense-related@3 --fy FY2025 -o diff.html
      defledger diff --as-of 70 --as-of 105 --definition jp-defense-related --fy FY2025
      defledger diff jp-defense-related@2 jp-defense-related@3 --fy FY2025 -j all
    """
    from ledger.queries.asof import resolve_as_of
    from ledger.queries.jurisdictions import parse_jurisdictions
    from ledger.reports.decompose import as_of_diff
    from ledger.reports.diff import definition_diff

    places = parse_jurisdictions(jurisdictions)
    if len(as_of) > 2:
        fail("give --as-of at most twice")
    if len(as_of) == 2:
        if specs:
            fail("with two --as-of, name the measure with --definition, not arguments")
    elif len(specs) != 2:
        fail("give two definitions (NAME@A NAME@B), or --as-of T1 --as-of T2")
    elif definition:
        fail("--definition goes with two --as-of; here give NAME@A NAME@B")
    with open_store(ctx) as store:
        if len(as_of) == 2:
            moments = (resolve_as_of(store, as_of[0]), resolve_as_of(store, as_of[1]))
            report = as_of_diff(
                store, definition, moments, jurisdictions=places, fy=fy, tier=tier, period=period
            )
        else:
            moment = resolve_as_of(store, as_of[0] if as_of else None)
            report = definition_diff(
                store,
                specs[0],
                specs[1],
                jurisdictions=places,
                fy=fy,
                as_of=moment,
                tier=tier,
                period=period,
            )
    emit_report(ctx, report, fmt, output, stat, chart, axis, exit_code)


@click.command("what-if")
@click.argument("spec", metavar="NAME@V")
@click.option(
    "--include",
    "includes",
    multiple=True,
    metavar="CODE[=SHARE][:TIER]",
    help="Count CODE (share: 1 or as now; tier: as now, else core).",
)
@click.option("--exclude", "excludes", multiple=True, metavar="CODE", help="Stop counting CODE.")
@stages_option(help="Stages that count instead of the definition's")
@click.option("--gdp-basis", metavar="BASIS", help="same-year, FY2022 or FY2022@VINTAGE.")
@click.option(
    "--stage-rule",
    type=click.Choice(["sum", "latest"]),
    help="sum: every counted stage adds up; latest: only the latest stage level of each year.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="SEQ|ISO-TIME|EVENT-ID",
    help="Start from NAME@V as the ledger stood then.",
)
@report_options
@click.pass_context
def what_if(
    ctx: click.Context,
    spec: str,
    includes: tuple[str, ...],
    excludes: tuple[str, ...],
    stages: tuple[str, ...],
    gdp_basis: str | None,
    stage_rule: str | None,
    as_of: str | None,
    jurisdictions: tuple[str, ...],
    fy: str | None,
    tier: str | None,
    period: str,
    stat: bool,
    fmt: str | None,
    output: str | None,
    chart: str,
    axis: str,
    exit_code: bool,
) -> None:
    """Preview a definition change without recording it: the same report as "diff", from
    NAME@V as recorded (A) to NAME@V with the changes given (B). Opens the ledger read-only;
    nothing is written.

    \b
    Examples:
      defledger what-if jp-defense-related@2 --include JP.CAND.SPACE=0.5:related --fy FY2025
      defledger what-if jp-defense-related@2 --stages initial --fy FY2025 --format json
      defledger what-if jp-defense-related@2 --stage-rule latest --fy FY2025 --stat
    """
    from ledger.queries.asof import resolve_as_of
    from ledger.queries.jurisdictions import parse_jurisdictions
    from ledger.reports.whatif import Hypothesis, open_read_only
    from ledger.reports.whatif import what_if as run_what_if

    places = parse_jurisdictions(jurisdictions)
    if not (includes or excludes or stages or gdp_basis or stage_rule):
        fail("give at least one of --include, --exclude, --stages, --gdp-basis, --stage-rule")
    hypothesis = Hypothesis(includes, excludes, ",".join(stages) or None, gdp_basis, stage_rule)
    with open_read_only(db_of(ctx)) as store:
        moment = resolve_as_of(store, as_of)
        report = run_what_if(
            store,
            spec,
            hypothesis,
            jurisdictions=places,
            fy=fy,
            as_of=moment,
            tier=tier,
            period=period,
        )
    emit_report(ctx, report, fmt, output, stat, chart, axis, exit_code)
