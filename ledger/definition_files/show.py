"""``definition show``: one definition version as of a moment, as the table people read and,
for JSON, the definition file's data with the provenance meta (what the CLI's ``--format json``
and the web view's ``/api/v1/definitions/NAME@V`` both return)."""

from __future__ import annotations

from ledger.definition_files.document import json_document
from ledger.projections.definition_docs import DefinitionDoc, doc_at
from ledger.queries.asof import head_meta, moment_meta, resolve_as_of
from ledger.queries.definition_views import definition_table
from ledger.storage.store import EventStore
from ledger.tabular import Table


def definition_show(store: EventStore, spec: str, as_of: str | None) -> tuple[Table, DefinitionDoc]:
    """The table of ``NAME[@V]`` as of ``as_of`` (its ``document`` is the JSON), and its
    document (for a definition file)."""
    moment = resolve_as_of(store, as_of)
    doc = doc_at(store, spec, moment.seq)
    meta = {"head": head_meta(store), "as_of": moment_meta(store, moment)}
    table = definition_table(doc, meta)
    table.document = {"meta": meta, "definition": json_document(doc)}
    return table, doc
