"""The shape every read command returns: named rows with fixed columns and a meta block."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# What a column's numbers are (``Table.kinds``), for the renderings people read.
AMOUNT = "amount"  # money: an exact decimal string in the row's ``currency`` (else meta's)
CONVERTED = "converted"  # money in the measure's currency, ``meta["currency"]``
PERCENT = "percent"  # a share of GDP in percent
PP = "pp"  # a change in percentage points


@dataclass
class Table:
    """Rows (dicts keyed by ``columns``) plus ``meta`` (provenance: head seq and hash, as-of,
    definition, …). ``name`` is the JSON key of the rows; ``caption`` is a human footnote;
    ``document``, when set, is what ``--format json`` prints instead of ``{meta, rows}``.

    ``kinds`` says which columns hold amounts, percents or percentage points: the renderings
    for people write those with ``ledger.numbers`` (thousands separators, ``--unit``,
    ``--places``; a ``PERCENT`` or ``PP`` column ``x`` is rounded from the row's ``x_exact``
    when it has one), while JSON, CSV and the other machine formats keep the exact strings.
    ``wrap``: long text cells wrap onto more lines in a terminal instead of being cut;
    ``secondary``: columns a terminal too narrow for the whole table may leave out, in this
    order (the table says so)."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    caption: str = ""
    document: dict[str, Any] | None = None  # JSON output, when it is one object, not rows
    # rows read as they are written (JSON Lines, CSV), instead of ``rows``: what a command that
    # walks the whole ledger gives, so that its memory does not grow with the ledger
    stream: Iterator[dict[str, Any]] | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    wrap: bool = False
    secondary: tuple[str, ...] = ()
