"""The seed scenario shipped with the package: Japan's definitions of defense-related spending.

``japan.jsonl`` is a JSON Lines file of events in the ``import`` format (docs/scenario.md lists
every figure and its source). ``comparisons.jsonl`` extends it, imported after it: Japan's year
basis and SIPRI's calendarisation rule, SIPRI's figures for Japan as a source's lines, the rates
and price index they are compared by, the Defense Buildup Program and its contract amounts
(docs/comparisons.md). Both are package data, read through ``importlib.resources`` so they
work from a wheel or a zip as well as from a source tree.
"""

from __future__ import annotations

from importlib.resources import files

SCENARIO_FILE = "japan.jsonl"
COMPARISONS_FILE = "comparisons.jsonl"
SCENARIO_ACTOR = "defledger-seed"


def scenario_text(name: str = SCENARIO_FILE) -> str:
    """A shipped scenario (the Japan scenario by default) as JSON Lines text, ready for
    ``ledger.intake.importers.import_text``."""
    if name not in (SCENARIO_FILE, COMPARISONS_FILE):
        raise ValueError(f"no shipped scenario {name!r}")
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


__all__ = ["COMPARISONS_FILE", "SCENARIO_ACTOR", "SCENARIO_FILE", "scenario_text"]
