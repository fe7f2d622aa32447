"""The structure deepdiff compares: a definition version as a document keyed by stable codes
with every value a string (so no Decimal can become a float), the diff of two such documents,
and the deepdiff ``Delta`` between them as JSON (never pickle), checked to re-apply both ways.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from deepdiff import DeepDiff, Delta
from deepdiff.serialization import json_dumps, json_loads

from events import Stage
from ledger.errors import LedgerError
from ledger.projections.definitions import SUM, DefinitionVersion, GdpBasis
from ledger.projections.fold import dec_str

STAGE_ORDER = [stage.value for stage in Stage]


def basis_doc(basis: GdpBasis) -> dict[str, str]:
    doc = {"basis": basis.kind}
    if basis.fiscal_year is not None:
        doc["fiscal_year"] = f"FY{basis.fiscal_year}"
    if basis.vintage:
        doc["vintage"] = basis.vintage
    return doc


def definition_doc(version: DefinitionVersion) -> dict[str, Any]:
    """The state deepdiff compares: keyed by stable codes, every value a string. The stage rule
    is there when it is not ``sum`` (so the documents of versions without one are unchanged)."""
    doc: dict[str, Any] = {
        "categories": {
            code: {"share": dec_str(inc.share), "tier": inc.tier}
            for code, inc in sorted(version.categories.items())
        },
        "stages": ordered_stages(version.counted_stages),
    }
    if version.stage_rule != SUM:
        doc["stage_rule"] = version.stage_rule
    doc["gdp_basis"] = basis_doc(version.basis)
    return doc


def ordered_stages(stages: Iterable[str]) -> list[str]:
    chosen = set(stages)
    return [s for s in STAGE_ORDER if s in chosen] + sorted(chosen - set(STAGE_ORDER))


def structural_diff(doc_a: dict[str, Any], doc_b: dict[str, Any], *, tree: bool = False) -> Any:
    """deepdiff of two definition documents. ``threshold_to_diff_deeper=0`` so that two
    category sets with little in common still diff key by key, not as one replaced dict."""
    return DeepDiff(
        doc_a,
        doc_b,
        verbose_level=2,
        threshold_to_diff_deeper=0,
        view="tree" if tree else "text",
    )


def delta_document(doc_a: dict[str, Any], doc_b: dict[str, Any]) -> dict[str, Any]:
    """The deepdiff ``Delta`` from A to B as a JSON object (never pickle), checked to re-apply
    both ways before anyone sees it: A + delta == B and B − delta == A."""
    diff = structural_diff(doc_a, doc_b)
    if not diff:
        return {}
    # deepdiff leaves Delta.dumps unannotated
    text = Delta(diff, bidirectional=True, serializer=json_dumps).dumps()  # type: ignore[no-untyped-call]
    reloaded = Delta(text, deserializer=json_loads, bidirectional=True)
    if doc_a + reloaded != doc_b or doc_b - reloaded != doc_a:
        raise LedgerError("internal error: the deepdiff Delta does not re-apply")
    loaded: dict[str, Any] = json.loads(text, parse_float=Decimal)
    return loaded


def apply_delta(doc: dict[str, Any], delta: dict[str, Any], *, reverse: bool = False) -> Any:
    """``doc + delta`` (or ``doc - delta``) from a delta as printed in the JSON report."""
    text = json.dumps(delta, default=str)
    loaded = Delta(text, deserializer=json_loads, bidirectional=True)
    return doc - loaded if reverse else doc + loaded
