"""The seed scenario shipped with the package: Japan's definitions of defense-related spending.

``japan.jsonl`` is a JSON Lines file of events in the ``import`` format (docs/scenario.md lists
every figure and its source). It is package data, read through ``importlib.resources`` so it
works from a wheel or a zip as well as from a source tree.
"""

from __future__ import annotations

from importlib.resources import files

SCENARIO_FILE = "japan.jsonl"
SCENARIO_ACTOR = "defledger-seed"


def scenario_text() -> str:
    """The Japan scenario as JSON Lines text, ready for ``ledger.intake.importers.import_text``."""
    return files(__name__).joinpath(SCENARIO_FILE).read_text(encoding="utf-8")


__all__ = ["SCENARIO_ACTOR", "SCENARIO_FILE", "scenario_text"]
