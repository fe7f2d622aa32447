"""``defledger site``: the web view's pages written as static files, as of the head.

The same Flask app renders every page (through its test client, no socket), with links made
relative to the file each page is written to (``cli.web.links``). The site holds: the overview
of each jurisdiction, the definitions and each one's page, the diff of each pair of
consecutive versions (latest year with lines), the trace of every total in the overview
tables, the event log in pages of 100 and every event's page, the claims, the checkpoint
(``checkpoint.txt``), every event's inclusion proof against it (``proofs/SEQ.json``),
``verify_proof.py`` to check them offline, and the static files. A link to a page the site
does not hold is printed as text.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cli.web.links import Key, page_key
from cli.web.state import WebLedger
from ledger.queries.history import PAGE

PROOF_SCRIPT = "verify_proof.py"


def _pages(web: WebLedger) -> dict[Key, str]:
    """Every page of the site, by key, with the path it is written to."""
    from ledger.projections.persisted import state_at
    from ledger.queries.jurisdictions import with_lines
    from ledger.queries.series import share_series

    site: dict[Key, str] = {}

    def add(endpoint: str, path: str, **params: object) -> None:
        site[page_key(endpoint, params)] = path

    with web.store() as store:
        head = store.head()
        seq = head.seq if head else 0
        state = state_at(store, seq)
        places = with_lines(state)
        checkpoint = web.checkpoint(store)
        add("overview", "index.html")
        add("definitions", "definitions/index.html")
        add("diff", "diff/index.html")
        add("claims", "claims.html")
        add("events", "events/index.html")
        for after in range(PAGE, seq, PAGE):
            add("events", f"events/after-{after}.html", after=after)
        for event in range(1, seq + 1):
            add("event", f"events/{event}.html", seq=event)
        names: dict[str, list[int]] = {}
        for name, version in sorted(state.definitions):
            names.setdefault(name, []).append(version)
        for name, versions in names.items():
            add("definition", f"definitions/{name}.html", name=name)
            for a, b in zip(versions, versions[1:], strict=False):
                add("diff", f"diff/{name}@{a}--{name}@{b}.html", a=f"{name}@{a}", b=f"{name}@{b}")
        for place in places:
            add("jurisdiction", f"jurisdictions/{place}.html", code=place)
            for row in share_series(store, place, None).rows:
                label = f"{row['definition']}@{row['version']}"
                add("number", f"number/{place}/{row['fiscal_year']}/{label}.html",
                    jurisdiction=place, fy=row["fiscal_year"], definition=label)  # fmt: skip
        if checkpoint is not None and checkpoint.problem is None:
            add("checkpoint", "checkpoint.txt")
            for event in range(1, checkpoint.size + 1):
                add("api_proof", f"proofs/{event}.json", seq=event)
    return site


def build_site(web: WebLedger, target: Path, checkpoint: str | None, key: str | None) -> int:
    """Write the site into ``target`` (created); return how many files were written."""
    from flask import url_for

    from cli.web.app import create_app, load_static
    from ledger.audit.checkpoints import checkpoint_text
    from ledger.audit.proofs import check_checkpoint_matches, parse_checkpoint

    with web.store() as store:
        if checkpoint is None:
            head = store.head()
            checkpoint = checkpoint_text(store, head.seq if head else 0, key)
        else:  # one this ledger extends, or nothing is written
            check_checkpoint_matches(store, parse_checkpoint(checkpoint))
    web.config.checkpoint_text = checkpoint
    site = _pages(web)
    app = create_app(web, site)
    client = app.test_client()
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    for (endpoint, params), path in site.items():
        with app.test_request_context():
            values: dict[str, Any] = {}
            for name, value in params:
                values[name] = int(value) if name in ("seq", "after") else value
            url = url_for(endpoint, **values)
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.get_data(True)}")
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(response.get_data())
        written += 1
    for name, body in load_static().items():
        destination = target / "static" / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(body)
        written += 1
    shutil.copyfile(target / "static" / PROOF_SCRIPT, target / PROOF_SCRIPT)
    return written + 1
