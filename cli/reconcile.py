"""``reconcile``: two measures of one jurisdiction-year, their difference split into
definition, stage, period, prices and currency effects."""

from __future__ import annotations

from typing import Any

import click

from cli.diff import FORMATS, blocks_text
from cli.errors import EXIT_DIFFERENCES
from cli.options import (
    as_of_option,
    jurisdiction_option,
    number_options,
    open_store,
    output_options,
)
from cli.output import Rendered, Renderers, numbers, render, to_json, write


def _renderers(report: Any, axis: str) -> Renderers:
    from ledger.reports.reconcile_document import (
        ROW_COLUMNS,
        reconcile_blocks,
        reconcile_bridge,
        reconcile_document,
        reconcile_rows,
    )
    from ledger.reports.render_html import render_html_blocks
    from ledger.reports.render_markdown import render_markdown_blocks
    from ledger.reports.vega import bridges_spec
    from ledger.tabular import Table

    rows = Table("parts", ROW_COLUMNS, reconcile_rows(report), report.meta)
    shown = numbers()

    def html() -> Rendered:
        spec = bridges_spec(
            f"defledger reconciliation: {report.a.spec.text} → {report.b.spec.text}",
            [reconcile_bridge(report, "money", axis)],
        )
        page = render_html_blocks(reconcile_blocks(report, shown), report.meta, "money", axis)
        return Rendered(page, {".vl.json": to_json(spec) + "\n"})

    return {
        "table": lambda: blocks_text(reconcile_blocks(report, shown)),
        "json": lambda: to_json(reconcile_document(report)) + "\n",
        "jsonl": lambda: render(rows, "jsonl"),
        "csv": lambda: render(rows, "csv"),
        "tsv": lambda: render(rows, "tsv"),
        "markdown": lambda: render_markdown_blocks(reconcile_blocks(report, shown)),
        "html": html,
        "xlsx": lambda: render(rows, "xlsx"),
    }


@click.command()
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@jurisdiction_option
@click.option(
    "--fy",
    "--year",
    "year",
    required=True,
    metavar="YEAR",
    help="The year both measures are of (a fiscal year, or a calendar year for a side with "
    "period=calendar).",
)
@as_of_option
@output_options(
    formats=FORMATS,
    output_help="Write to FILE, in the format its extension names (.txt .json .jsonl .csv .tsv "
    ".md .html .xlsx) unless --format says; html also writes FILE.vl.json, the chart's "
    "Vega-Lite spec.",
)
@number_options
@click.option(
    "--axis",
    type=click.Choice(["zero", "broken"]),
    default="zero",
    show_default=True,
    help="Bridge chart value axis: from zero, or broken (starts near the changes).",
)
@click.option("--exit-code", is_flag=True, help="Exit 4 when A and B differ.")
@click.pass_context
def reconcile(
    ctx: click.Context,
    a: str,
    b: str,
    jurisdictions: tuple[str, ...],
    year: str,
    as_of: str | None,
    fmt: str | None,
    output: str | None,
    axis: str,
    exit_code: bool,
) -> None:
    """Reconcile two measures of one jurisdiction and year that differ in definition, stage,
    period, prices or currency: B − A split exactly into those effects, in this order
    (definition → stage → period → prices → currency), with the budget lines each part moves,
    in the formats and with the bridge chart of "diff".

    A and B are NAME[@N] with qualifiers, comma-separated: stage=initial+supplementary,
    tier=core, period=calendar, prices=constant:2023[:SERIES][@VINTAGE],
    currency=USD[@VINTAGE], via=EUR.

    \b
    Examples:
      defledger reconcile jp-defense-related@2,stage=initial jp-defense-related@3 --fy FY2025
      defledger demo --comparisons -o demo.txt
      defledger reconcile jp-mod-core@1 sipri-milex@1,period=calendar --year 2024 --unit B
      defledger reconcile jp-mod-core@1 sipri-milex@1,period=calendar,currency=USD --year 2024
      defledger reconcile jp-mod-core@1 sipri-milex@1,period=calendar --year 2024 -o r.html
    """
    from ledger.queries.asof import resolve_as_of
    from ledger.queries.jurisdictions import parse_jurisdictions
    from ledger.reports.reconcile import reconcile as run

    places = parse_jurisdictions(jurisdictions)
    with open_store(ctx) as store:
        moment = resolve_as_of(store, as_of)
        report = run(store, a, b, year=year, jurisdictions=places, as_of=moment)
    write(_renderers(report, axis), fmt, output)
    if exit_code and report.has_differences:
        ctx.exit(EXIT_DIFFERENCES)
