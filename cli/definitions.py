"""``definition list`` and ``definition show``."""

from __future__ import annotations

import click

from cli.options import as_of_option, open_store, output_options
from cli.output import TABLE_FORMATS, emit, table_renderers, write


@click.group()
def definition() -> None:
    """Definition versions: list them, or show one as a table, JSON or a definition file.

    \b
    Examples:
      defledger definition list
      defledger definition show jp-defense-related@2 --format toml
    """


@definition.command("list")
@as_of_option
@output_options
@click.pass_context
def list_(ctx: click.Context, as_of: str | None, fmt: str | None, output: str | None) -> None:
    """Every definition version: status, effective year, stages and their rule, GDP basis,
    number of categories, title.

    \b
    Examples:
      defledger definition list
      defledger definition list --as-of 70 --format csv
    """
    from ledger.queries.definition_views import definitions_table

    with open_store(ctx) as store:
        table = definitions_table(store, as_of)
    emit(table, fmt, output)


@definition.command()
@click.argument("spec", metavar="NAME[@V]")
@as_of_option
@output_options(formats=(*TABLE_FORMATS, "toml"))
@click.pass_context
def show(
    ctx: click.Context, spec: str, as_of: str | None, fmt: str | None, output: str | None
) -> None:
    """One definition version (NAME alone: its highest version): each category included or
    excluded with its tier, share, note and reason; its stages and stage rule, GDP basis,
    statuses and the definition's targets. --format toml writes it as a definition file
    (docs/definitions.md) in normal form: import reads it back, byte for byte the same.

    \b
    Examples:
      defledger definition show jp-defense-related@3
      defledger definition show jp-defense-related@3 -o jp-defense-related-v3.toml
      defledger definition show nato --format json
    """
    from ledger.definition_files.document import write_definition
    from ledger.definition_files.show import definition_show

    with open_store(ctx, read_only=True) as store:
        table, doc = definition_show(store, spec, as_of)
    write({**table_renderers(table), "toml": lambda: write_definition(doc)}, fmt, output)
