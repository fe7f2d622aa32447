"""``defledger record <kind>``: one sub-command per event type, options generated from the
event model's fields (so the CLI can never fall behind the event reference), spelled as the
read commands spell them: ``--fy``, ``-j``, ``--definition NAME@N``, ``--stages``. The old
spellings (``--fiscal-year``, ``--by-fiscal-year``, ``--version N``) are accepted for one more
release, with a warning."""

from __future__ import annotations

import getpass
import re
from typing import Any

import click

from cli.options import SEQ, old_spellings, open_store, stages_option

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
FLAGS = {
    "fiscal_year": ["--fy"],
    "by_fiscal_year": ["--by-fy"],
    "jurisdiction": ["-j", "--jurisdiction"],
}
OLD = {"--fiscal-year": "--fy", "--by-fiscal-year": "--by-fy"}
# One example per kind; each runs against the demo ledger (tests/test_cli_examples.py).
EXAMPLES = {
    "category": "defledger record category --code JP.CAND.EXAMPLE --name Example --parent JP.CAND",
    "definition": "defledger record definition --definition jp-defense-related@4 --based-on 3 "
    '--title "Proposal, revised"',
    "include": "defledger record include --definition jp-defense-related@3 "
    "--category JP.NATO.PENSIONS --share 0.5 --tier related",
    "exclude": "defledger record exclude --definition jp-defense-related@3 --category JP.CAND.SHIP",
    "stages": "defledger record stages --definition jp-defense-related@3 --stages initial",
    "gdp-basis": "defledger record gdp-basis --definition jp-defense-related@3 --basis same-year",
    "status": "defledger record status --definition jp-defense-related@3 --status adopted "
    "--effective-from FY2026",
    "line": 'defledger record line --fy FY2026 --line-id EXAMPLE-1 --agency "Ministry of Defense" '
    "--category JP.CORE.DBP --amount 1000000000 --stage initial",
    "revise": "defledger record revise --fy FY2025 --line-id MOD-DBP --amount 8474900000000 "
    '--reason "Corrected"',
    "reclassify": "defledger record reclassify --fy FY2025 --line-id SUPP-CYBER "
    '--category JP.REL.INTL --reason "Reclassified by the source"',
    "withdraw": 'defledger record withdraw --fy FY2026 --line-id MOD-DRAFT --reason "Superseded"',
    "gdp": "defledger record gdp --fy FY2025 --amount 620000000000000 --vintage 2025-estimate",
    "target": "defledger record target --target-id example-2pct --percent-of-gdp 2 --by-fy FY2030",
    "fx": "defledger record fx --base USD --quote JPY --fy FY2026 --rate 150",
    "year-basis": "defledger record year-basis -j JP --basis fiscal --start-month 4 "
    '--note "Japan\'s fiscal year runs April to March"',
    "calendar-rule": "defledger record calendar-rule -j JP --start-month 4 --named-by start "
    '--note "SIPRI: financial years start in the specified year"',
    "obligation": "defledger record obligation --fy FY2026 --obligation-id MOD-NEW-CONTRACTS "
    '--agency "Ministry of Defense" --category JP.CORE.DBP --amount 8000000000000 '
    "--stage initial",
}


def first_sentence(doc: str) -> str:
    """The first sentence of a model's docstring, whole even when it wraps onto more lines."""
    import re

    text = " ".join(doc.split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s+(?=[A-Z`(])", text, maxsplit=1)[0]


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class _RecordGroup(click.Group):
    """``record``'s commands, each built from its event model's fields when first asked for:
    listing them (``defledger --help``) loads no model."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(KINDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in KINDS:
            return None
        if cmd_name not in self.commands:
            from cli.terminal import add_global_options

            command = _make(cmd_name, KINDS[cmd_name])
            if getattr(self, "_global_options", False):  # given to the group's commands
                add_global_options(command)
            self.add_command(command)
        return self.commands[cmd_name]


@click.group(cls=_RecordGroup)
def record() -> None:
    """Record one event (a definition change, a figure, a target, a rate).

    \b
    Examples:
      defledger record gdp --fy FY2025 --amount 620000000000000 --vintage 2025-estimate
      defledger record target --target-id target-2030 --percent-of-gdp 2 --by-fy FY2030
    """


def _flags(field_name: str) -> list[str]:
    return FLAGS.get(field_name, ["--" + field_name.replace("_", "-")])


def _in_flags(message: str, fields: list[str]) -> str:
    """An error naming payload fields (``effective_from``) names the flags instead."""
    for name in fields:
        if "_" in name:
            message = re.sub(rf"\b{name}\b", "/".join(_flags(name)[-1:]), message)
    return message


def _definition_version(values: dict[str, Any]) -> None:
    """``--definition NAME@N`` (or the old ``--definition NAME --version N``) into both."""
    from events.quoting import quoted
    from ledger.errors import InvalidInput

    spec, version = values.get("definition"), values.pop("old_version", None)
    name, at, number = str(spec).partition("@")
    if version is not None:
        click.echo(
            "warning: --version is deprecated, use --definition NAME@N (the old spelling goes "
            "in the next release)",
            err=True,
        )
    if at and version is not None and number != str(version):
        raise InvalidInput(f"--definition {quoted(spec)} and --version {version} disagree")
    if not at and version is None:
        raise InvalidInput(f"--definition {quoted(spec)}: give the version too, as NAME@N")
    values["definition"], values["version"] = name, number if at else version


def _make(name: str, event_type: str) -> click.Command:
    from events import EVENT_CLASSES

    model = EVENT_CLASSES[event_type]
    fields = [f for f in model.model_fields if f != "type"]
    versioned = "definition" in fields and "version" in fields
    params: list[click.Parameter] = []
    for field_name in fields:
        info = model.model_fields[field_name]
        if field_name in MULTIPLE:
            option = stages_option(help=info.description or "Budget stages")(lambda: None)
            params.append(option.__click_params__[0])  # type: ignore[attr-defined]
            params[-1].required = True
            continue
        if versioned and field_name == "version":
            params.append(click.Option(["--version", "old_version"], type=SEQ, hidden=True))
            continue
        params.append(
            click.Option(
                [*_flags(field_name), field_name],
                required=info.is_required() and field_name not in DEFAULTED,
                metavar="NAME@N" if versioned and field_name == "definition" else None,
                help="The definition version, as NAME@N."
                if versioned and field_name == "definition"
                else info.description or "",
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
    def callback(ctx: click.Context, /, **values: Any) -> None:
        from ledger.errors import LedgerError
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
        if versioned:
            _definition_version(values)
        given = {k: (list(v) or None) if k in MULTIPLE else v for k, v in values.items()}
        try:
            pending = build_pending(event_type, given, provenance)
        except LedgerError as exc:
            exc.args = (_in_flags(str(exc), fields),)
            raise
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

    doc = first_sentence(model.__doc__ or event_type)
    example = f"\n\n\b\nExample:\n  {EXAMPLES[name]}" if name in EXAMPLES else ""
    command = click.Command(
        name, callback=callback, params=params, help=f"{doc} ({event_type}){example}"
    )
    return old_spellings(OLD)(command)


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
