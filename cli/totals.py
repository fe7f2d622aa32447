"""``totals``, ``replay``, ``trace`` (alias ``explain``) and ``rebuild``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from cli.errors import EXIT_INTEGRITY, CliError
from cli.options import (
    as_of_option,
    jurisdiction_option,
    old_spellings,
    open_store,
    output_options,
    places_option,
    stages_option,
    unit_option,
)
from cli.output import emit, human
from cli.progress import progress
from cli.terminal import note

F = Callable[..., Any]


def measure_options(command: F) -> F:
    """The options that name one measure: where, which definition, what counts, which GDP."""
    decorators: list[Callable[[F], F]] = [
        jurisdiction_option,
        click.option(
            "--tier", help="Only this tier (core, related, …; 'all' is the sum of the tiers)."
        ),
        stages_option(help="Count only these budget stages, within the definition's"),
        click.option(
            "--gdp-basis",
            metavar="same-year|FY2022|FY2022@VINTAGE",
            help="Divide by this GDP instead of the definition's basis.",
        ),
        places_option(expose=True),
        unit_option,
        as_of_option,
        *conversion_options,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


conversion_options: list[Callable[[F], F]] = [
    click.option(
        "--period",
        type=click.Choice(["fiscal", "calendar"]),
        help="fiscal: years as recorded (default); calendar: each calendar year from the fiscal "
        "years it overlaps, weighted by the jurisdiction's recorded calendarisation rule.",
    ),
    click.option(
        "--prices",
        metavar="current|constant:YEAR[:SERIES][@VINTAGE]",
        help="constant:2023: at 2023 prices, by a recorded price index (× I(2023) / I(year)); "
        "default current.",
    ),
    click.option(
        "--currency",
        metavar="CODE[@VINTAGE]",
        help="Convert to this currency by a recorded exchange rate for the year (shown beside "
        "every figure); default: the figures' own.",
    ),
    click.option(
        "--via",
        metavar="CODE",
        help="With --currency: convert through this currency (two recorded rates); never "
        "implicitly.",
    ),
]


def _open(ctx: click.Context) -> Any:

    return open_store(ctx)


@old_spellings({"--stage": "--stages"})
@click.command()
@measure_options
@click.option(
    "--fy",
    "--year",
    "years",
    metavar="FY2025|FY2022..FY2027",
    help="Year or range, FY2025 or 2025 alike (default: every year with lines).",
)
@click.option(
    "--definition",
    "definitions",
    multiple=True,
    metavar="NAME[@VERSION]",
    help="Measure by this definition (repeatable, to compare); NAME alone: the adopted version "
    "in force for each year. Default: every definition's version in force.",
)
@click.option(
    "--change",
    is_flag=True,
    help="Add the change from the year before (money, % growth, pp of GDP).",
)
@click.option(
    "--target", "targets", is_flag=True, help="Add the gap to each target (money and pp)."
)
@click.option("--by-category", is_flag=True, help="Also show each category's contribution.")
@click.option(
    "--claims", is_flag=True, help="List the published claims about each row, with their verdict."
)
@output_options
@click.pass_context
def totals(ctx: click.Context, /, fmt: str | None, output: str | None, **options: Any) -> None:
    """Totals and share of GDP per fiscal year × definition version × tier, as of any moment.

    \b
    Examples:
      defledger totals --fy FY2025
      defledger totals --fy FY2022..FY2025 --definition jp-defense-related --change --unit T
      defledger totals --fy FY2025 --definition jp-mod-core@1 --definition nato@1 --tier all
      defledger totals --fy FY2025 --definition jp-defense-related --target --as-of 105
      defledger totals --fy FY2025 --claims
      defledger totals --fy FY2025 -o totals.xlsx
    """
    from ledger.queries.totals import TotalsRequest, totals_table

    with _open(ctx) as store:
        table = totals_table(store, TotalsRequest(**options))
    emit(table, fmt, output)


TRACE_HELP = """Which events produced a total: every counted budget line with amount × share =
    contribution and the seqs of its events, the definition events that included its
    category, the GDP figure, the exchange rates and the targets — enough to recompute it by
    hand.{alias}

    \b
    Examples:
      defledger {name} --fy FY2025 --definition jp-defense-related
      defledger {name} --fy FY2024 --definition jp-defense-related@1 --all-lines --format csv
    """


def _trace_command(name: str, alias: str = "") -> click.Command:
    @old_spellings({"--stage": "--stages"})
    @click.command(name, help=TRACE_HELP.format(name=name, alias=alias))
    @measure_options
    @click.option(
        "--fy", "--year", "year", required=True, metavar="FY2025", help="The year (FY2025 or 2025)."
    )
    @click.option(
        "--definition",
        metavar="NAME[@VERSION]",
        help="The definition (NAME: the version in force). Default: the one in force, if only "
        "one is.",
    )
    @click.option("--all-lines", is_flag=True, help="Also list lines that do not count, and why.")
    @output_options
    @click.pass_context
    def trace(ctx: click.Context, /, fmt: str | None, output: str | None, **options: Any) -> None:
        from ledger.queries.trace import TraceRequest, trace_table

        with _open(ctx) as store:
            table = trace_table(store, TraceRequest(**options))
        emit(table, fmt, output)

    return trace


trace = _trace_command("trace")
explain = _trace_command(
    "explain", "\n\n    An alias of `defledger trace`: the same options and output."
)


@old_spellings({"--stage": "--stages"})
@click.command()
@measure_options
@click.option(
    "--fy", "--year", "year", required=True, metavar="FY2025", help="The year (FY2025 or 2025)."
)
@click.option(
    "--definition",
    metavar="NAME[@VERSION]",
    help="The definition (NAME: the version in force at each step). Default: the one in force, "
    "if only one definition exists.",
)
@output_options
@click.pass_context
def replay(ctx: click.Context, /, fmt: str | None, output: str | None, **options: Any) -> None:
    """Step through history for one measure: after each event that moved it, the seq, time,
    actor, event, total, share of GDP and change.

    \b
    Examples:
      defledger replay --fy FY2025 --definition jp-defense-related
      defledger replay --fy FY2025 --definition jp-defense-related --unit B --format markdown
    """
    from ledger.queries.replay import ReplayRequest, replay_table

    with _open(ctx) as store:
        table = replay_table(store, ReplayRequest(**options))
    emit(table, fmt, output)


@click.command()
@click.option("--check", is_flag=True, help="Compare only; keep the stored projections.")
@output_options
@click.pass_context
def rebuild(ctx: click.Context, check: bool, fmt: str | None, output: str | None) -> None:
    """Recompute every projection from the events, report any difference from the stored ones
    (exit 3 if there is one), then replace them. With no difference, the table is left out
    and the verdict goes to stderr (JSON, CSV and -o FILE still get the table).

    \b
    Examples:
      defledger rebuild --check
      defledger rebuild --format json -o rebuild.json
    """
    from ledger.projections.rebuild import rebuild as run_rebuild

    with _open(ctx) as store, progress("rebuild") as report:
        table = run_rebuild(store, replace=not check, progress=report)
    if table.rows or not human(fmt, output):
        emit(table, fmt, output)
    else:
        note(table.caption)
    if table.rows:
        raise CliError(
            f"{len(table.rows)} difference(s) between the stored projections and the events"
            + ("" if check else " (replaced by the rebuilt ones)"),
            EXIT_INTEGRITY,
        )
