"""``defledger record <kind>``: one sub-command per event type, options generated from the
event model's fields (so the CLI can never fall behind the event reference)."""

from __future__ import annotations

import getpass
from typing import Any

import click

from cli.options import open_store
from events import EVENT_CLASSES

# sub-command name -> event type
KINDS: dict[str, str] = {
    "category": "CategoryDefined",
    "definition": "DefinitionVersionOpened",
    "include": "CategoryIncluded",
    "exclude": "CategoryExcluded",
    "stages": "StagesSet",
    "gdp-basis": "GdpBasisSet",
    "status": "DefinitionStatusChanged",
    "line": "BudgetLineRecorded",
    "revise": "BudgetLineRevised",
    "reclassify": "BudgetLineReclassified",
    "withdraw": "BudgetLineWithdrawn",
    "gdp": "GdpRecorded",
    "target": "TargetSet",
    "fx": "ExchangeRateRecorded",
    "year-basis": "YearBasisSet",
    "calendar-rule": "CalendarisationRuleSet",
    "obligation": "ObligationRecorded",
}
MULTIPLE = {"stages"}
DEFAULTED = {"currency"}  # filled from the jurisdiction when left out


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@click.group()
def record() -> None:
    """Record one event (a definition change, a figure, a target, a rate)."""


def _make(name: str, event_type: str) -> click.Command:
    model = EVENT_CLASSES[event_type]
    params: list[click.Parameter] = []
    for field_name, info in model.model_fields.items():
        if field_name == "type":
            continue
        params.append(
            click.Option(
                ["--" + field_name.replace("_", "-"), field_name],
                required=info.is_required() and field_name not in MULTIPLE | DEFAULTED,
                multiple=field_name in MULTIPLE,
                help=(info.description or "") + (" (repeatable)" if field_name in MULTIPLE else ""),
            )
        )
    params += [
        click.Option(
            ["--actor"], default=default_actor, show_default="the OS user", help="Who records it."
        ),
        click.Option(["--reason"], help="Why (required for revise, reclassify, withdraw)."),
        click.Option(["--source-title"], help="Title of the source document."),
        click.Option(["--source-url"], help="URL of the source document."),
        click.Option(["--source-page"], help="Page, table or section of the source."),
        click.Option(["--hypothetical"], is_flag=True, help="Mark the figure as illustrative."),
        click.Option(["--idempotency-key"], help="Makes a retry of this record add nothing."),
        click.Option(
            ["--dry-run"],
            is_flag=True,
            help="Check it against the ledger and print the event it would write (one JSON line, "
            "as log --format jsonl; import reads it back); write nothing.",
        ),
    ]

    @click.pass_context
    def callback(ctx: click.Context, **values: Any) -> None:
        from ledger.intake.recording import build_pending
        from ledger.intake.recording import record as record_event
        from ledger.queries.history import summary

        dry_run = values.pop("dry_run")
        provenance = {k: values.pop(k) for k in ("actor", "reason", "idempotency_key")}
        title, url, page = (
            values.pop("source_title"),
            values.pop("source_url"),
            values.pop("source_page"),
        )
        hypothetical = values.pop("hypothetical")
        if title or url or page:
            provenance["source"] = {
                "title": title or url or "",
                "url": url,
                "page": page,
                "hypothetical": hypothetical,
            }
        elif hypothetical:
            provenance["source"] = {"title": "hypothetical figure", "hypothetical": True}
        fields = {k: (list(v) or None) if k in MULTIPLE else v for k, v in values.items()}
        pending = build_pending(event_type, fields, provenance)
        if dry_run:
            _preview(ctx, pending)
            return
        with open_store(ctx, create=True) as store:
            stored = record_event(store, pending)
        if stored is None:
            click.echo("already recorded (same idempotency key): nothing added", err=True)
            return
        click.echo(
            f"seq {stored.seq}  {stored.type}  {stored.stream} v{stored.stream_version}  "
            f"{summary(stored)}"
        )

    doc = (model.__doc__ or event_type).strip().splitlines()[0]
    return click.Command(name, callback=callback, params=params, help=f"{doc} ({event_type})")


def _preview(ctx: click.Context, pending: Any) -> None:
    """``--dry-run``: the event as it would be written, on a ledger opened read-only."""
    from cli.output import to_json
    from ledger.intake.recording import preview
    from ledger.queries.history import planned_rows

    with open_store(ctx, read_only=True) as store:
        writes = preview(store, pending)
    if not writes:
        click.echo("already recorded (same idempotency key): nothing would be added", err=True)
        return
    for row in planned_rows(writes):
        click.echo(to_json(row, indent=False))
    click.echo("dry run: nothing written", err=True)


for _name, _type in KINDS.items():
    record.add_command(_make(_name, _type))
