"""``claims``: check published claims against the ledger, see what changed, show one claim's
story, publish ClaimReview JSON-LD, withdraw or supersede a claim. (Claims are recorded by
``import``: a CSV or TOML file of claims, or JSON Lines of ``ClaimRecorded`` events.)"""

from __future__ import annotations

from typing import Any

import click

from cli.errors import EXIT_DIFFERENCES, fail
from cli.options import as_of_option, open_store, output_options
from cli.output import format_from, render_text, table_renderers, target, to_json, write
from cli.record import default_actor


@click.group()
def claims() -> None:
    """Published claims ("Japan reached 2 %"): checked against the ledger as of any moment.

    Record claims with ``defledger import claims.csv`` (or a TOML file of [[claim]] tables);
    see docs/claims.md.

    \b
    Examples:
      defledger claims check
      defledger claims show jp-fy2025-2pct-nikkei
    """


@claims.command("check")
@as_of_option
@click.option(
    "--since",
    metavar="SEQ|ISO-TIME",
    help="Only the claims whose verdict changed after this moment, with the events that "
    "changed it; exit 4 if any did.",
)
@click.option(
    "--claim", "claims_", multiple=True, metavar="ID", help="Only this claim (repeatable)."
)
@click.option("--all", "all_", is_flag=True, help="Also withdrawn and superseded claims.")
@output_options(
    output_help="Write to FILE instead of stdout; its extension (.txt .json .jsonl .csv .tsv .md "
    ".html .xlsx) picks the format unless --format does (html: one page of every claim)."
)
@click.pass_context
def check(
    ctx: click.Context,
    as_of: str | None,
    since: str | None,
    claims_: tuple[str, ...],
    all_: bool,
    fmt: str | None,
    output: str | None,
) -> None:
    """Each claim checked against the ledger: the value under the measure it implies, rounded
    as the claim was published, and a verdict — holds, does not hold (with the gap),
    consistent by construction (the ledger's figure was derived from the claim itself) or
    undetermined (what is missing). A claim that names no definition is measured under every
    definition version: the answer to "is it really 2 %? under which definition?".

    With --since, exit 4 if a verdict changed.

    \b
    Examples:
      defledger claims check
      defledger claims check --as-of 120 --format json
      defledger claims check --since 133
      defledger claims check -o claims.html
    """
    from ledger.queries.claims import ClaimsRequest, claims_table

    if since is not None and format_from(fmt, output) == "html":
        fail("--format html shows the claims as of one moment: leave out --since")
    store = open_store(ctx)
    try:
        request = ClaimsRequest(as_of=as_of, since=since, claims=claims_, all=all_)
        table = claims_table(store, request)
    finally:
        store.close()
    renderers = dict(table_renderers(table))
    if since is None:
        from ledger.reports.claims_html import render_claims_html

        document = table.document
        assert document is not None
        renderers["html"] = lambda: render_claims_html(document)
    write(renderers, fmt, output)
    if since is not None and table.rows:
        ctx.exit(EXIT_DIFFERENCES)  # like diff: a finding, said on stdout, not an error


@claims.command("show")
@click.argument("claim_id", metavar="ID")
@as_of_option
@click.option(
    "--definition",
    metavar="NAME@N",
    help="Trace only the number measured under this version (default: every one measured).",
)
@output_options
@click.pass_context
def show(
    ctx: click.Context,
    claim_id: str,
    as_of: str | None,
    definition: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """One claim: as recorded, its whole history (withdrawn, superseded, what supersedes it),
    its check, and the trace of every number it was checked against (as ``trace`` prints it).

    \b
    Examples:
      defledger claims show jp-fy2024-share-japantimes
      defledger claims show jp-fy2025-2pct-nikkei --format json -o claim.json
    """
    from ledger.queries.claims import show_document
    from ledger.tabular import Table

    store = open_store(ctx)
    try:
        doc = show_document(store, claim_id, as_of, definition)
    finally:
        store.close()
    rows = doc["history"]
    table = Table("history", ["seq", "type", "summary", "reason"], rows, doc["meta"], document=doc)
    renderers = dict(table_renderers(table))
    renderers["table"] = lambda: _show_text(doc, "table")
    renderers["markdown"] = lambda: _show_text(doc, "markdown")
    write(renderers, fmt, output)


def _show_text(doc: dict[str, Any], fmt: str) -> str:
    """The claim, its history, its check and its traces, as text."""
    from ledger.queries.trace import KINDS as TRACE_KINDS
    from ledger.tabular import Table

    c = doc["claim"]
    lines = [
        f"Claim {c['claim_id']} ({c['status']}): {c['claimed']} — {c['about']}",
        f"  {c['claimant']}, {c['publication']} ({c['published']})"
        + (f" {c['url']}" if c["url"] else ""),
        f"  quote ({c['language']}): {c['quote']}",
    ]
    if c["translation"]:
        lines.append(f"  translation: {c['translation']}")
    measure = c["definition"] or "unspecified (every definition version)"
    extras = [
        f"tier {c['tier']}" if c["tier"] else "",
        f"stages {','.join(c['stages'])}" if c["stages"] else "",
        f"GDP {c['gdp_basis']}" if c["gdp_basis"] else "",
    ]
    lines.append("  measure: " + ", ".join([measure, *[e for e in extras if e]]))
    if c["measure_note"]:
        lines.append(f"  the claimant on the measure: {c['measure_note']}")
    lines += ["", f"Verdict as of seq {doc['meta']['as_of']['seq']}: {c['verdict_text']}"]
    for o in c["outcomes"]:
        value = ""
        if o["value_text"] is not None:
            compared = o["compared_text"]
            value = f" {o['value_text']}" + (
                f" → {compared}" if compared != o["value_text"] else ""
            )
        gap = f", gap {o['gap']}" if o["verdict"] == "does-not-hold" and o["gap"] else ""
        why = f": {o['missing']}" if o["missing"] else ""
        circular = (
            f" — rests on seq {', '.join(map(str, o['derived_from_claim']))}, derived from this "
            "claim's publication"
            if o["derived_from_claim"]
            else ""
        )
        verdict = o["verdict"].replace("-", " ")
        lines.append(f"  {o['definition']}: {verdict}{value}{gap}{why}{circular}")
    if fmt == "table":  # fitted to the terminal, as the tables below are
        lines = [part for line in lines for part in _wrapped(line)]
    history = Table("history", ["seq", "recorded_at", "actor", "type", "summary", "reason"],
                    doc["history"], secondary=("reason", "actor"))  # fmt: skip
    lines += ["", "History", render_text(history, fmt).rstrip("\n")]
    for trace in doc["traces"]:
        table = Table("trace", trace["columns"], trace["rows"], {"currency": trace["currency"]},
                      caption=trace["caption"], kinds=TRACE_KINDS)  # fmt: skip
        lines += ["", f"Trace: {trace['definition']} {trace['year_label']}"]
        lines.append(render_text(table, fmt).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _wrapped(line: str) -> list[str]:
    """A line of running text wrapped to the output's width, its indent kept."""
    from cli.layout import wrap

    text = line.lstrip(" ")
    lead = line[: len(line) - len(text)]
    return wrap(text, target().width, lead, lead + "  ")


@claims.command("export")
@click.argument("claim_ids", nargs=-1, metavar="[ID]...")
@as_of_option
@click.option("--reviewer", default="defledger", show_default=True, help="Author of the review.")
@click.option(
    "--review-url",
    metavar="URL",
    help="Address of the review; {id} is replaced by the claim id (default: a URN naming the "
    "ledger and the claim).",
)
@click.option("--all", "all_", is_flag=True, help="Also withdrawn and superseded claims.")
@output_options(formats=("json",))
@click.pass_context
def export(
    ctx: click.Context,
    claim_ids: tuple[str, ...],
    as_of: str | None,
    reviewer: str,
    review_url: str | None,
    all_: bool,
    fmt: str | None,
    output: str | None,
) -> None:
    """Schema.org ClaimReview JSON-LD, as fact-checkers publish it: one object for one claim,
    a list for several (default: every active claim).

    \b
    Examples:
      defledger claims export
      defledger claims export jp-fy2024-share-japantimes -o review.json
    """
    from ledger.reports.claimreview import claim_reviews

    store = open_store(ctx)
    try:
        reviews = claim_reviews(
            store, claim_ids, as_of=as_of, reviewer=reviewer, review_url=review_url, all=all_
        )
    finally:
        store.close()
    value: Any = reviews[0] if len(claim_ids) == 1 else reviews
    write({"json": lambda: to_json(value) + "\n"}, fmt, output)


def _end_command(name: str, event_type: str) -> click.Command:
    @click.command(name)
    @click.argument("claim_id", metavar="ID")
    @click.option("--reason", required=True, help="Why (required).")
    @click.option("--actor", default=default_actor, show_default="the OS user", help="Who.")
    @click.option("--source-title", help="Title of the source (e.g. the retraction).")
    @click.option("--source-url", help="URL of the source.")
    @click.pass_context
    def command(
        ctx: click.Context,
        /,
        claim_id: str,
        reason: str,
        actor: str,
        source_title: str | None,
        source_url: str | None,
        **extra: Any,
    ) -> None:
        from ledger.intake.recording import build_pending, record

        provenance: dict[str, Any] = {"actor": actor, "reason": reason}
        if source_title or source_url:
            provenance["source"] = {"title": source_title or source_url, "url": source_url}
        pending = build_pending(event_type, {"claim_id": claim_id, **extra}, provenance)
        store = open_store(ctx, create=True)
        try:
            stored = record(store, pending)
        finally:
            store.close()
        if stored is None:
            click.echo("already recorded (same idempotency key): nothing added", err=True)
            return
        click.echo(f"seq {stored.seq}  {stored.type}  {stored.stream} v{stored.stream_version}")

    return command


withdraw = _end_command("withdraw", "ClaimWithdrawn")
withdraw.help = """Withdraw a claim (retracted, or recorded in error): it is no longer checked.

    \b
    Example:
      defledger claims withdraw us-ask-3p5pct --reason "Retracted by the publisher"
    """
supersede = _end_command("supersede", "ClaimSuperseded")
supersede.params.insert(
    1, click.Option(["--by"], required=True, metavar="ID", help="The claim that replaces it.")
)
supersede.help = """Supersede a claim by another, already recorded (a correction, a later
    figure).

    \b
    Example:
      defledger claims supersede jp-fy2025-amount-yomiuri --by jp-fy2025-total-mof --reason Later
    """
claims.add_command(withdraw)
claims.add_command(supersede)
