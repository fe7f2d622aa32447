"""``serve`` (the read-only web view) and ``site`` (the same pages as static files)."""

from __future__ import annotations

import click

from cli.errors import EXIT_ERROR, EXIT_INPUT, CliError
from cli.files import CHECKPOINT_BYTES, KEY_BYTES, read_text
from cli.options import BoundedInt
from cli.web.state import WebConfig, WebLedger
from events.quoting import quoted

EXTRA = (
    "the web view needs the optional extra 'web' (Flask and waitress): pip install 'defledger[web]'"
)
_FILE = click.Path(exists=True, dir_okay=False)


def require_web() -> None:
    """One clear line, exit 1, when Flask or waitress is not installed."""
    try:
        import flask  # noqa: F401
        import waitress  # noqa: F401
    except ImportError as exc:
        raise CliError(f"{EXTRA} ({exc.name} is not installed)", EXIT_ERROR) from exc


def _config(ctx: click.Context, checkpoints: tuple[str, ...], pubkey: str | None) -> WebConfig:
    obj = ctx.find_root().obj or {}
    return WebConfig(obj.get("db"), checkpoints, pubkey, obj.get("lock_timeout"))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=BoundedInt(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port; the URL is printed).",
)
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A checkpoint file (defledger checkpoint) to prove events against (repeatable; the "
    "one with the most events is the latest; read again on each request, so it may be "
    "replaced while the server runs).",
)
@click.option("--pubkey", type=_FILE, metavar="FILE", help="Check the checkpoint's signature.")
@click.option(
    "--threads", type=BoundedInt(1, 64), default=4, show_default=True, help="Worker threads."
)
@click.option(
    "--url-prefix",
    default="",
    metavar="PATH",
    help="The path the view is published under behind a reverse proxy (e.g. /ledger).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    checkpoints: tuple[str, ...],
    pubkey: str | None,
    threads: int,
    url_prefix: str,
) -> None:
    """A read-only web view of the ledger: the share of GDP over the years per definition
    version, definitions with the history of every inclusion, diffs, every total traced to its
    events, the event log with inclusion proofs, claims — each page as of any moment
    (?as_of=), and the same data as JSON under /api/v1/ (what --format json prints).

    GET only: nothing can be written through it. It listens on 127.0.0.1 unless --host says
    otherwise and has no login: publish it behind a reverse proxy that authenticates
    (docs/web.md). Needs the extra 'web': pip install 'defledger[web]'.

    \b
    Examples:
      defledger serve
      defledger checkpoint -o head.checkpoint && defledger serve --checkpoint head.checkpoint
      defledger serve --port 8080 --url-prefix /ledger
    """
    require_web()
    from waitress import create_server

    from cli.web.app import create_app
    from ledger.storage.db import location, resolve_url

    web = WebLedger(_config(ctx, checkpoints, pubkey))
    with web.store() as store:
        store.count()  # a missing or unreadable ledger fails here, in one line
    if pubkey is not None:
        read_text(pubkey, "verifier key", KEY_BYTES)
    app = create_app(web)
    try:
        server = create_server(
            app, host=host, port=port, threads=threads, ident="defledger",
            url_prefix=url_prefix, max_request_body_size=1024, max_request_header_size=65536,
            clear_untrusted_proxy_headers=True,
        )  # fmt: skip
    except OSError as exc:
        message = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise CliError(message, EXIT_ERROR) from exc
    except ValueError as exc:  # waitress: a host name that resolves to no address
        raise CliError(f"--host {quoted(host)} is not an address to listen on", EXIT_INPUT) from exc
    bound = getattr(server, "effective_port", port)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"serving {location(resolve_url(_db(ctx)))} at http://{shown}:{bound}{url_prefix}/ "
        "(read-only; Ctrl-C stops it)",
        err=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        web.close()


def _db(ctx: click.Context) -> str | None:
    obj = ctx.find_root().obj or {}
    db: str | None = obj.get("db")
    return db


@click.command()
@click.option(
    "-o", "--output", "directory", required=True, metavar="DIR", help="Write the site here."
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=_FILE,
    metavar="FILE",
    help="Publish this checkpoint (and proofs against it) instead of one made at the head.",
)
@click.option(
    "--sign", "key_file", type=_FILE, metavar="KEY", help="Sign the checkpoint made at the head."
)
@click.pass_context
def site(
    ctx: click.Context, directory: str, checkpoint_file: str | None, key_file: str | None
) -> None:
    """The web view's pages as static files in DIR, as of the ledger's head: open
    DIR/index.html, or publish DIR on any static host (relative links, no server, no
    script needed). It includes a checkpoint (checkpoint.txt: made at the head, signed with
    --sign; or the --checkpoint given) and the inclusion proof of every event against it
    (proofs/SEQ.json), with verify_proof.py, a standard-library script that checks them
    offline. DIR must not exist or be empty.

    \b
    Examples:
      defledger site -o site
      defledger checkpoint -o kept.checkpoint && defledger site -o pub --checkpoint kept.checkpoint
    """
    require_web()
    from pathlib import Path

    from cli.web.site import build_site

    if checkpoint_file is not None and key_file is not None:
        raise CliError("give --checkpoint or --sign, not both", EXIT_INPUT)
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliError(f"{directory} exists and is not an empty directory", EXIT_INPUT)
    checkpoint = (
        read_text(checkpoint_file, "checkpoint", CHECKPOINT_BYTES) if checkpoint_file else None
    )
    key = read_text(key_file, "key", KEY_BYTES) if key_file else None
    web = WebLedger(_config(ctx, (), None))
    try:
        written = build_site(web, target, checkpoint, key)
    finally:
        web.close()
    click.echo(f"wrote {written} files to {directory} (open {target / 'index.html'})", err=True)
