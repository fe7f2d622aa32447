"""The shape every read command returns: named rows with fixed columns and a meta block."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """Rows (dicts keyed by ``columns``) plus ``meta`` (provenance: head seq and hash, as-of,
    definition, …). ``name`` is the JSON key of the rows; ``caption`` is a human footnote;
    ``document``, when set, is what ``--format json`` prints instead of ``{meta, rows}``."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    caption: str = ""
    document: dict[str, Any] | None = None  # JSON output, when it is one object, not rows
    # rows read as they are written (JSON Lines, CSV), instead of ``rows``: what a command that
    # walks the whole ledger gives, so that its memory does not grow with the ledger
    stream: Iterator[dict[str, Any]] | None = None
