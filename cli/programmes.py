"""``programmes`` and ``obligations``: multi-year envelopes against what is recorded, and
obligations as their own measure."""

from __future__ import annotations

import click

from cli.options import (
    as_of_option,
    jurisdiction_option,
    number_options,
    open_store,
    output_options,
)
from cli.output import emit


@click.command()
@click.argument("ids", nargs=-1, metavar="[PROGRAMME_ID]...")
@jurisdiction_option
@as_of_option
@output_options
@number_options
@click.pass_context
def programmes(
    ctx: click.Context,
    ids: tuple[str, ...],
    jurisdictions: tuple[str, ...],
    as_of: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """Multi-year programmes against their envelope: per part and in all, so far (the
    figures recorded for the programme's years: budget lines at its stages, or new-contract
    obligations on the contract basis), remaining, years left and the pace needed, beside the
    pace so far. A programme never changes a total.

    \b
    Examples:
      defledger demo --comparisons -o demo.txt
      defledger programmes --unit T
      defledger programmes jp-dbp-2023 --format json -o dbp.json
    """
    from ledger.queries.programmes import programmes_table

    with open_store(ctx) as store:
        table = programmes_table(store, ids, jurisdictions, as_of)
    emit(table, fmt, output)


@click.command()
@jurisdiction_option
@click.option("--fy", "--year", "years", metavar="FY2025|FY2023..FY2027", help="Year or range.")
@click.option(
    "--kind",
    type=click.Choice(["new-contracts", "later-year-payments", "contract-authority"]),
    help="Only obligations of this kind.",
)
@as_of_option
@output_options
@number_options
@click.pass_context
def obligations(
    ctx: click.Context,
    jurisdictions: tuple[str, ...],
    years: str | None,
    kind: str | None,
    as_of: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """Obligations (new contracts, later-year payments, contract authority) as their own
    measure, with a sum per fiscal year and kind; they are never added to spending.

    \b
    Examples:
      defledger demo --comparisons -o demo.txt
      defledger obligations --fy FY2025 --unit B
      defledger obligations --kind new-contracts --format csv -o obligations.csv
    """
    from ledger.queries.programmes import obligations_table

    with open_store(ctx) as store:
        table = obligations_table(store, jurisdictions, years, kind, as_of)
    emit(table, fmt, output)
