"""``verify`` and ``digest``."""

from __future__ import annotations

import click

from cli.errors import EXIT_INPUT, EXIT_INTEGRITY, CliError
from cli.files import CHECKPOINT_BYTES, DIGEST_BYTES, KEY_BYTES, read_text
from cli.options import open_store, output_options
from cli.output import TABLE_FORMATS, emit_verdict, table_renderers, to_json, write
from cli.progress import progress


def _read_optional(path: str | None, what: str, limit: int) -> str | None:
    return None if path is None else read_text(path, what, limit)


@click.command()
@click.option(
    "--digest",
    "digest_value",
    metavar="FILE|JSON",
    help="A digest kept earlier (file or JSON text); fails if the ledger no longer holds "
    "that prefix.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint kept earlier (defledger checkpoint): the ledger must extend it "
    "(same Merkle root at its size; consistency proof).",
)
@click.option(
    "--pubkey",
    "pubkey_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Verifier key file (keygen's .pub): the checkpoint's signature must verify with it.",
)
@output_options
@click.pass_context
def verify(
    ctx: click.Context,
    digest_value: str | None,
    checkpoint_file: str | None,
    pubkey_file: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """Recompute the hash chain and check seqs, stream versions, that payloads and sources are
    stored as canonical JSON and that times never go back; exit 3 on any problem.

    Without --digest or --checkpoint this cannot notice events removed from the end, or a
    whole ledger replaced by a self-consistent one (nothing inside the database says what it
    was): keep a digest or a signed checkpoint for that.

    \b
    Examples:
      defledger verify
      defledger digest -o digest.json
      defledger verify --digest digest.json
      defledger verify --format json -o verify.json
    """
    from ledger.audit.verify import verify_ledger, verify_table

    text = None
    if digest_value is not None:
        is_json = digest_value.lstrip().startswith("{")
        text = digest_value if is_json else read_text(digest_value, "digest", DIGEST_BYTES)
    if pubkey_file is not None and checkpoint_file is None:
        raise CliError("--pubkey checks a checkpoint's signature: add --checkpoint", EXIT_INPUT)
    checkpoint = _read_optional(checkpoint_file, "checkpoint", CHECKPOINT_BYTES)
    pubkey = _read_optional(pubkey_file, "verifier key", KEY_BYTES)
    with open_store(ctx, read_only=True) as store, progress("verify") as report_progress:
        report = verify_ledger(
            store, text, checkpoint=checkpoint, pubkey=pubkey, progress=report_progress
        )
    table = verify_table(report)
    if report.ok and checkpoint is not None:
        from ledger.audit.checkpoints import checkpoint_size

        table.meta["checkpoint_size"] = checkpoint_size(checkpoint)
        table.caption += f"; extends the checkpoint of size {table.meta['checkpoint_size']}"
        table.caption += " (signature verified)" if pubkey is not None else ""
    emit_verdict(table, fmt, output, report.ok)
    if not report.ok:
        raise CliError(
            f"verification failed at seq {report.first_bad_seq}: {report.problems[0].message}",
            EXIT_INTEGRITY,
        )


@click.command()
@output_options(formats=("json", *(f for f in TABLE_FORMATS if f != "json")))
@click.pass_context
def digest(ctx: click.Context, fmt: str | None, output: str | None) -> None:
    """Print the head's {seq, hash, recorded_at}: keep it; ``verify --digest`` checks it later.

    \b
    Examples:
      defledger digest > digest.json
      defledger digest --format table
    """
    from ledger.audit.verify import digest as head_digest
    from ledger.tabular import Table

    with open_store(ctx, read_only=True) as store:
        value = head_digest(store)
    table = Table("digest", ["seq", "hash", "recorded_at"], [value], {})
    # JSON by default, on one line: the form ``verify --digest`` takes, as a file or as text
    one_line = {"json": lambda: to_json(value, indent=False) + "\n"}
    as_table = table_renderers(table, [f for f in TABLE_FORMATS if f != "json"])
    write({**one_line, **as_table}, fmt, output)
