"""``keygen``, ``checkpoint``, ``prove`` and ``verify-proof``: signed Merkle tree heads and
inclusion proofs an auditor keeps and checks outside our system (see docs/audit.md)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.errors import EXIT_INPUT, EXIT_INTEGRITY, CliError
from cli.files import CHECKPOINT_BYTES, KEY_BYTES, PROOF_BYTES, read_text
from cli.options import SEQ, as_of_option, open_store, output_options
from cli.output import choose, paragraphs, to_json, write
from cli.terminal import note

_FILE = click.Path(exists=True, dir_okay=False, allow_dash=False)


@click.command()
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "prefix",
    required=True,
    metavar="PREFIX",
    help="Write PREFIX.key (private, mode 0600) and PREFIX.pub (the verifier key).",
)
def keygen(name: str, prefix: str) -> None:
    """Create an Ed25519 signing key NAME (signed-note format) for checkpoints and exports.

    Refuses to overwrite either file. Keep PREFIX.key secret; give PREFIX.pub (also printed)
    to auditors, who pass it as --pubkey.

    \b
    Examples:
      defledger keygen auditor -o auditor
    """
    from events.quoting import path_named
    from ledger.audit.signing import generate_keypair, write_key_file

    key_path, pub_path = Path(prefix + ".key"), Path(prefix + ".pub")
    for path in (key_path, pub_path):
        if os.path.lexists(path):
            raise CliError(
                f"{path_named(path)} already exists: refusing to overwrite it", EXIT_INPUT
            )
    try:
        private, public = generate_keypair(name)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_INPUT) from exc
    try:
        write_key_file(key_path, private, private=True)
        write_key_file(pub_path, public, private=False)
    except FileExistsError as exc:
        raise CliError(
            f"{path_named(exc.filename)} already exists: refusing to overwrite it", EXIT_INPUT
        ) from exc
    click.echo(public)
    note(f"wrote {key_path} (private: keep it secret) and {pub_path}")


@click.command()
@click.option(
    "--sign", "key_file", type=_FILE, metavar="KEY", help="Sign with this private key file."
)
@as_of_option
@output_options(formats=("text", "json"))
@click.pass_context
def checkpoint(
    ctx: click.Context,
    key_file: str | None,
    as_of: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """Print the ledger's Merkle tree head as a C2SP checkpoint (origin, size, base64 root),
    signed with --sign. Keep it, or publish it: `verify --checkpoint` later proves that the
    ledger still extends it. --format json gives its fields and the note's text.

    \b
    Examples:
      defledger checkpoint -o kept.checkpoint
      defledger keygen board -o board
      defledger checkpoint --sign board.key --as-of 105
      defledger checkpoint --format json
    """
    from ledger.audit.checkpoints import checkpoint_text
    from ledger.queries.asof import resolve_as_of

    key = read_text(key_file, "key", KEY_BYTES) if key_file else None
    with open_store(ctx) as store:
        text = checkpoint_text(store, resolve_as_of(store, as_of).seq, key)
    write(
        {"text": lambda: text, "json": lambda: to_json(_checkpoint_doc(text)) + "\n"}, fmt, output
    )


def _checkpoint_doc(text: str) -> dict[str, object]:
    """A checkpoint as JSON: origin, size, root (base64), signatures, and the note itself."""
    import base64

    from ledger.audit.signing import parse_signed_checkpoint

    head, signatures = parse_signed_checkpoint(text.encode("utf-8"))
    return {
        "origin": head.origin,
        "size": head.size,
        "root": base64.b64encode(head.root).decode(),
        "signatures": [
            {
                "name": s.name,
                "key_id": s.key_id.hex(),
                "signature": base64.b64encode(s.signature).decode(),
            }
            for s in signatures
        ],
        "text": text,
    }


@click.command()
@click.argument("seq", type=SEQ)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=_FILE,
    required=True,
    help="Prove against this checkpoint.",
)
@output_options(formats=("json", "table"))
@click.pass_context
def prove(
    ctx: click.Context, seq: int, checkpoint_file: str, fmt: str | None, output: str | None
) -> None:
    """Print, as JSON, the inclusion proof that event SEQ is in the ledger of the checkpoint:
    seq, leaf index, tree size, event and leaf hash, the audit path, the root, and the event.
    Fails (exit 3) if the ledger no longer matches the checkpoint. --format table shows its
    fields for reading (verify-proof takes the JSON).

    \b
    Examples:
      defledger checkpoint -o kept.checkpoint
      defledger prove 42 --checkpoint kept.checkpoint
      defledger prove 105 --checkpoint kept.checkpoint --format table
    """
    from cli.output import render
    from ledger.audit.proofs import make_proof
    from ledger.tabular import Table

    with open_store(ctx) as store:
        document = make_proof(
            store, seq, read_text(checkpoint_file, "checkpoint", CHECKPOINT_BYTES)
        )
    rows = [{"field": key, "value": value} for key, value in document.items()]
    table = Table("proof", ["field", "value"], rows, {}, document=document, wrap=True)
    write(
        {"json": lambda: to_json(document) + "\n", "table": lambda: render(table, "table")},
        fmt,
        output,
    )


@click.command("verify-proof")
@click.argument("proof", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=_FILE,
    required=True,
    help="The checkpoint the proof must lead to.",
)
@click.option(
    "--pubkey",
    "pubkey_file",
    type=_FILE,
    help="Verifier key: the checkpoint's signature must verify.",
)
@output_options(formats=("table", "json"))
def verify_proof(
    proof: str, checkpoint_file: str, pubkey_file: str | None, fmt: str | None, output: str | None
) -> None:
    """Check an inclusion proof (from `prove`, or - for stdin) against a checkpoint, offline:
    no database is opened. Exit 3 if it does not hold (--format json still prints the result).

    \b
    Examples:
      defledger checkpoint -o cp.txt
      defledger prove 105 --checkpoint cp.txt -o p.json
      defledger verify-proof p.json --checkpoint cp.txt
    """
    from ledger.audit.proofs import load_proof
    from ledger.audit.proofs import verify_proof as check

    text = read_text(proof, "proof", PROOF_BYTES)
    pubkey = read_text(pubkey_file, "verifier key", KEY_BYTES) if pubkey_file else None
    result = check(
        load_proof(text), read_text(checkpoint_file, "checkpoint", CHECKPOINT_BYTES), pubkey
    )
    verdict = (
        f"ok: seq {result.seq} is in the ledger's first {result.tree_size} events "
        f"(root {result.root}); checkpoint signature {result.signature}"
    )
    document = {
        "ok": result.ok,
        "seq": result.seq,
        "tree_size": result.tree_size,
        "root": result.root,
        "signature": result.signature,
        "problems": list(result.problems),
    }
    if result.ok or choose(("table", "json"), fmt, output) != "table":
        write(
            {"table": lambda: "\n".join(paragraphs(verdict)) + "\n",
             "json": lambda: to_json(document) + "\n"},
            fmt,
            output,
        )  # fmt: skip
    if not result.ok:
        raise CliError("the proof does not verify: " + "; ".join(result.problems), EXIT_INTEGRITY)
