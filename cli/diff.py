"""``diff`` and ``what-if``: how a definition change moves the total and the share of GDP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.errors import EXIT_DIFFERENCES, fail
from cli.options import db_of, open_store
from cli.output import EXTENSIONS, render, to_json

FORMATS = ("table", "json", "jsonl", "csv", "markdown", "html")
F = Callable[..., Any]


def report_options(command: F) -> F:
    """Options ``diff`` and ``what-if`` share."""
    options = [
        click.option("--jurisdiction", default="JP", show_default=True, help="ISO 3166-1 code."),
        click.option(
            "--fy",
            metavar="FY|FY..FY",
            help="Fiscal year or range, e.g. FY2022..FY2025 "
            "(default: the latest year with budget lines).",
        ),
        click.option("--tier", help="Measure one tier only (e.g. core); default: all tiers."),
        click.option("--stat", is_flag=True, help="Only the one-line summary per fiscal year."),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default=None,
            help="Output format (default: table, or from the -o extension).",
        ),
        click.option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write to FILE (html: also FILE.vl.json, the chart's Vega-Lite spec).",
        ),
        click.option(
            "--chart",
            type=click.Choice(["money", "pp"]),
            default="money",
            show_default=True,
            help="Bridge chart axis in the HTML report.",
        ),
        click.option("--exit-code", is_flag=True, help="Exit 4 when there are differences."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _format(fmt: str | None, output: str | None) -> str:
    if fmt:
        return fmt
    if output and output != "-":
        suffix = Path(output).suffix.lower()
        return "html" if suffix in (".html", ".htm") else EXTENSIONS.get(suffix, "table")
    return "table"


def _write(text: str, output: str | None) -> None:
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def emit_report(
    ctx: click.Context,
    report: Any,
    fmt: str | None,
    output: str | None,
    stat: bool,
    chart: str,
    exit_code: bool,
) -> None:
    """Render ``report`` in the chosen format, then exit 4 if asked and it has differences."""
    from ledger.reports.document import ROW_COLUMNS, report_document, report_rows, stat_line
    from ledger.reports.render_text import render_markdown, render_text
    from ledger.tabular import Table

    chosen = _format(fmt, output)
    if stat:
        lines = [
            f"{s.jurisdiction} FY{s.fiscal_year} {s.a.label} → {s.b.label}: {stat_line(s)}"
            for s in report.sections
        ]
        _write("\n".join(lines) + "\n", output)
    elif chosen == "html":
        if not output or output == "-":
            fail("--format html needs -o FILE.html (the Vega-Lite spec is written beside it)")
        from ledger.reports.render_html import render_html, vega_lite_spec

        assert output is not None
        _write(render_html(report, chart), output)
        spec_path = str(Path(output).with_suffix("")) + ".vl.json"
        _write(to_json(vega_lite_spec(report, chart)) + "\n", spec_path)
    elif chosen == "json":
        _write(to_json(report_document(report)) + "\n", output)
    elif chosen in ("jsonl", "csv"):
        table = Table("changes", ROW_COLUMNS, report_rows(report), report.meta)
        _write(render(table, chosen), output)
    elif chosen == "markdown":
        _write(render_markdown(report), output)
    else:
        _write(render_text(report), output)
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
    jurisdiction: str,
    fy: str | None,
    tier: str | None,
    stat: bool,
    fmt: str | None,
    output: str | None,
    chart: str,
    exit_code: bool,
) -> None:
    """How a definition change moves the money. "diff NAME@A NAME@B" lists what was added,
    removed, re-weighted, moved between tiers, which stages and GDP basis changed, and the
    exact effect of each change on the total and on the share of GDP, line by line (the
    effects sum exactly to B − A). Works across definitions (jp-defense-related@2 nato@1).

    "diff --as-of T1 --as-of T2 [--definition NAME]" shows what the ledger learned between
    two moments and splits the change in the share of GDP into definition change, figure
    restatements and GDP revision."""
    from ledger.queries.asof import resolve_as_of
    from ledger.queries.question import parse_jurisdiction
    from ledger.reports.decompose import as_of_diff
    from ledger.reports.diff import definition_diff

    place = parse_jurisdiction(jurisdiction)
    if len(as_of) > 2:
        fail("give --as-of at most twice")
    if len(as_of) == 2:
        if specs:
            fail("with two --as-of, name the measure with --definition, not arguments")
    elif len(specs) != 2:
        fail("give two definitions (NAME@A NAME@B), or --as-of T1 --as-of T2")
    elif definition:
        fail("--definition goes with two --as-of; here give NAME@A NAME@B")
    store = open_store(ctx)
    try:
        if len(as_of) == 2:
            moments = (resolve_as_of(store, as_of[0]), resolve_as_of(store, as_of[1]))
            report = as_of_diff(store, definition, moments, jurisdiction=place, fy=fy, tier=tier)
        else:
            moment = resolve_as_of(store, as_of[0] if as_of else None)
            report = definition_diff(
                store, specs[0], specs[1], jurisdiction=place, fy=fy, as_of=moment, tier=tier
            )
    finally:
        store.close()
    emit_report(ctx, report, fmt, output, stat, chart, exit_code)


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
@click.option("--stages", metavar="STAGE,…", help="Stages that count, e.g. initial,supplementary.")
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
    stages: str | None,
    gdp_basis: str | None,
    stage_rule: str | None,
    as_of: str | None,
    jurisdiction: str,
    fy: str | None,
    tier: str | None,
    stat: bool,
    fmt: str | None,
    output: str | None,
    chart: str,
    exit_code: bool,
) -> None:
    """Preview a definition change without recording it: the same report as "diff", from
    NAME@V as recorded (A) to NAME@V with the changes given (B). Opens the ledger read-only;
    nothing is written."""
    from ledger.queries.asof import resolve_as_of
    from ledger.queries.question import parse_jurisdiction
    from ledger.reports.whatif import Hypothesis, open_read_only
    from ledger.reports.whatif import what_if as run_what_if

    place = parse_jurisdiction(jurisdiction)
    if not (includes or excludes or stages or gdp_basis or stage_rule):
        fail("give at least one of --include, --exclude, --stages, --gdp-basis, --stage-rule")
    hypothesis = Hypothesis(includes, excludes, stages, gdp_basis, stage_rule)
    store = open_read_only(db_of(ctx))
    try:
        moment = resolve_as_of(store, as_of)
        report = run_what_if(
            store, spec, hypothesis, jurisdiction=place, fy=fy, as_of=moment, tier=tier
        )
    finally:
        store.close()
    emit_report(ctx, report, fmt, output, stat, chart, exit_code)
