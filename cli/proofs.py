"""``keygen``, ``checkpoint``, ``prove`` and ``verify-proof``: signed Merkle tree heads and
inclusion proofs an auditor keeps and checks outside our system (see docs/audit.md)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.errors import EXIT_INPUT, EXIT_INTEGRITY, CliError
from cli.files import CHECKPOINT_BYTES, KEY_BYTES, PROOF_BYTES, read_text
from cli.options import SEQ, as_of_option, open_store
from cli.output import to_json, write_text

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
    to auditors, who pass it as --pubkey."""
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
    click.echo(f"wrote {key_path} (private: keep it secret) and {pub_path}", err=True)


@click.command()
@click.option(
    "--sign", "key_file", type=_FILE, metavar="KEY", help="Sign with this private key file."
)
@as_of_option
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.pass_context
def checkpoint(
    ctx: click.Context, key_file: str | None, as_of: str | None, output: str | None
) -> None:
    """Print the ledger's Merkle tree head as a C2SP checkpoint (origin, size, base64 root),
    signed with --sign. Keep it, or publish it: `verify --checkpoint` later proves that the
    ledger still extends it."""
    from ledger.audit.checkpoints import checkpoint_text
    from ledger.queries.asof import resolve_as_of

    key = read_text(key_file, "key", KEY_BYTES) if key_file else None
    with open_store(ctx) as store:
        text = checkpoint_text(store, resolve_as_of(store, as_of).seq, key)
    write_text(text, output)


@click.command()
@click.argument("seq", type=SEQ)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=_FILE,
    required=True,
    help="Prove against this checkpoint.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.pass_context
def prove(ctx: click.Context, seq: int, checkpoint_file: str, output: str | None) -> None:
    """Print, as JSON, the inclusion proof that event SEQ is in the ledger of the checkpoint:
    seq, leaf index, tree size, event and leaf hash, the audit path, the root, and the event.
    Fails (exit 3) if the ledger no longer matches the checkpoint."""
    from ledger.audit.proofs import make_proof

    with open_store(ctx) as store:
        document = make_proof(
            store, seq, read_text(checkpoint_file, "checkpoint", CHECKPOINT_BYTES)
        )
    write_text(to_json(document) + "\n", output)


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
def verify_proof(proof: str, checkpoint_file: str, pubkey_file: str | None) -> None:
    """Check an inclusion proof (from `prove`, or - for stdin) against a checkpoint, offline:
    no database is opened. Exit 3 if it does not hold."""
    from ledger.audit.proofs import load_proof
    from ledger.audit.proofs import verify_proof as check

    text = read_text(proof, "proof", PROOF_BYTES)
    pubkey = read_text(pubkey_file, "verifier key", KEY_BYTES) if pubkey_file else None
    result = check(
        load_proof(text), read_text(checkpoint_file, "checkpoint", CHECKPOINT_BYTES), pubkey
    )
    if not result.ok:
        raise CliError("the proof does not verify: " + "; ".join(result.problems), EXIT_INTEGRITY)
    click.echo(
        f"ok: seq {result.seq} is in the ledger's first {result.tree_size} events "
        f"(root {result.root}); checkpoint signature {result.signature}"
    )
