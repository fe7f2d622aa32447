"""The "blame" of a definition: every event that included, re-weighted or excluded a category in
any of its versions, oldest first, with who recorded it, when, why and on what source — the
history behind each line of what a version counts (the web view's definition page,
``/api/v1/definitions/NAME/blame``)."""

from __future__ import annotations

from typing import Any

from events.quoting import quoted
from ledger.errors import NotFound
from ledger.queries.asof import head_meta, moment_meta, resolve_as_of
from ledger.storage.store import EventStore
from ledger.tabular import Table

COLUMNS = ["category", "version", "seq", "recorded_at", "actor", "change", "tier", "share",
           "note", "reason", "source"]  # fmt: skip
KINDS = ("CategoryIncluded", "CategoryExcluded")


def blame_table(store: EventStore, definition: str, as_of: str | None) -> Table:
    """One row per category event of ``definition`` up to ``as_of``, by category, then seq.
    ``change`` is ``included``, ``re-weighted`` (a category included again in the same
    version, with another share or tier) or ``excluded``."""
    moment = resolve_as_of(store, as_of)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    opened = False
    for event in store.read(stream_prefix=f"definition/{definition}/", stop=moment.seq):
        opened = True
        if event.type not in KINDS:
            continue
        p = event.payload
        key = (p["version"], p["category"])
        included = event.type == "CategoryIncluded"
        change = "excluded" if not included else "re-weighted" if key in seen else "included"
        if included:
            seen.add(key)
        else:
            seen.discard(key)
        rows.append(
            {
                "category": p["category"],
                "version": p["version"],
                "seq": event.seq,
                "recorded_at": event.recorded_at,
                "actor": event.actor,
                "change": change,
                "tier": p.get("tier", "core") if included else "",
                "share": p.get("share", "1") if included else "",
                "note": p.get("note", ""),
                "reason": event.reason or "",
                "source": event.source,
            }
        )
    if not opened:
        raise NotFound(f"unknown definition {quoted(definition)} as of seq {moment.seq}")
    rows.sort(key=lambda row: (row["category"], row["seq"]))
    meta = {
        "head": head_meta(store),
        "as_of": moment_meta(store, moment),
        "definition": definition,
    }
    return Table("blame", COLUMNS, rows, meta)
