"""``export``: a compliance bundle of the ledger as of one seq, byte-identical for the same
ledger, seq and key.

Files: ``events.jsonl`` (see ``ledger.storage.event_json``), ``events.csv``, ``lines.csv``,
``definitions.csv``, ``totals.csv``, ``claims.csv`` (``ledger.exports.claims``),
``workbook.xlsx``, ``datapackage.json``, ``checkpoint``
(the C2SP tree head at the export's size, signed with ``--sign``), optional
``events.cloudevents.jsonl`` and ``*.parquet``, then ``SHA256SUMS`` over all of them and, when
signed, ``SHA256SUMS.sig``. Nothing in the bundle depends on the time of the export or on
events after the as-of seq. The ledger is streamed once: every event's chain hash is checked,
written to each events file, folded into the projections and added to the Merkle tree.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ledger.audit.merkle import CompactRange, leaf_hash
from ledger.audit.signing import (
    Checkpoint,
    SignatureError,
    sign_checkpoint,
    verifier_key_from_private,
)
from ledger.errors import IntegrityFailure, InvalidInput
from ledger.exports import bundle, datapackage
from ledger.exports import parquet as export_parquet
from ledger.exports.claims import ClaimInputs, check_all, claim_rows, line_prefix
from ledger.exports.cloud_events import cloudevent_line
from ledger.exports.columns import FORMULA_ESCAPING, TableSpec, csv_line, csv_tee, write_csv
from ledger.exports.tables import (
    CLAIMS,
    DEFINITIONS,
    EVENTS,
    LINES,
    TABLES,
    TOTALS,
    definition_rows,
    event_csv_line,
    event_row,
    line_rows,
    totals_rows,
)
from ledger.exports.xlsx import workbook_parts, workbook_sheets, write_workbook
from ledger.progress import Progress, counted
from ledger.projections.spill import SpilledFold
from ledger.projections.sql import prefix_events
from ledger.storage.chain import GENESIS_HASH, chain_hash
from ledger.storage.event_json import chain_row_line, without_hash
from ledger.storage.meta import origin
from ledger.storage.records import StoredEvent
from ledger.storage.store import EventStore
from ledger.tabular import Table


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"defledger {version('defledger')}"
    except PackageNotFoundError:
        return "defledger 0+unknown"


@dataclass
class ExportResult:
    """What was written: the directory, the as-of seq and head hash, the tree root, each file
    with its size and SHA-256, and notes (e.g. an optional format skipped)."""

    directory: Path
    as_of_seq: int
    head_hash: str
    root: bytes
    signed: bool
    files: list[tuple[str, int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> Table:
        rows = [{"file": n, "bytes": b, "sha256": h} for n, b, h in self.files]
        meta = {
            "directory": str(self.directory),
            "as_of_seq": self.as_of_seq,
            "head_hash": self.head_hash,
            "merkle_root": self.root.hex(),
            "signed": self.signed,
            "notes": self.notes,
        }
        caption = (
            f"exported {self.as_of_seq} events (seq 1..{self.as_of_seq}) to {self.directory} "
            f"({'signed' if self.signed else 'unsigned'}; root {self.root.hex()[:16]}…)"
        )
        return Table("files", ["file", "bytes", "sha256"], rows, meta, caption)


class _EventStream:
    """Iterates the ledger up to ``stop`` once, checking each event's hash over the exact bytes
    exported, writing it to every events file and the Merkle tree while the projections fold it."""

    def __init__(
        self, store: EventStore, tmp: Path, stop: int, source: str, cloudevents: bool,
        parquet: bool,
    ) -> None:  # fmt: skip
        self.store, self.stop, self.source = store, stop, source
        self.jsonl: IO[bytes] = open(bundle.create(tmp, bundle.EVENTS_JSONL), "wb")
        self.csv_file: IO[bytes] = open(bundle.create(tmp, EVENTS.path), "wb")
        self.csv = bundle.HashedWriter(self.csv_file)
        self.csv.write(csv_line(EVENTS.names))
        self.cloud: IO[bytes] | None = (
            open(bundle.create(tmp, bundle.CLOUDEVENTS), "wb") if cloudevents else None
        )
        self.parquet = (
            export_parquet.ParquetTable(tmp / export_parquet.file_name(EVENTS), EVENTS, {})
            if parquet
            else None
        )
        self.tree = CompactRange()
        self.last: StoredEvent | None = None

    def __iter__(self) -> Iterator[StoredEvent]:
        previous, previous_at = GENESIS_HASH, ""
        for page in self.store.chain_pages(stop=self.stop):
            for row in page:
                made = chain_row_line(row, previous)
                expected = self.tree.size + 1
                if (  # what verify checks of each event (storage.chain), so no bundle fails later
                    made is None
                    or made[0].seq != expected
                    or chain_hash(previous, without_hash(made[1], made[0].hash))
                    != bytes.fromhex(made[0].hash)
                    or made[0].recorded_at < previous_at
                ):
                    raise IntegrityFailure(
                        f"the ledger does not verify at seq {expected} (run verify); "
                        "nothing was exported"
                    )
                event, line = made
                previous, previous_at = bytes.fromhex(event.hash), event.recorded_at
                self.jsonl.write(line + b"\n")
                self.csv.write(event_csv_line(event))
                if self.cloud is not None:
                    self.cloud.write(cloudevent_line(event, self.source) + b"\n")
                if self.parquet is not None:
                    self.parquet.add(event_row(event))
                self.tree.append_leaf_hash(leaf_hash(previous))
                self.last = event
                yield event

    def csv_digest(self) -> tuple[str, int]:
        """(SHA-256, size) of ``events.csv``, as written."""
        return self.csv.hexdigest(), self.csv.size

    def close(self) -> None:
        self.csv.flush()
        for handle in (self.jsonl, self.csv_file, self.cloud):
            if handle is not None and not handle.closed:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
        if self.parquet is not None:
            self.parquet.close()


@contextmanager
def _csv_file(directory: Path, spec: TableSpec) -> Iterator[IO[str]]:
    """One table's CSV file, created exclusively, opened for text, fsynced when done."""
    with open(bundle.create(directory, spec.path), "w", encoding="utf-8", newline="") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def _write_csv(directory: Path, spec: TableSpec, rows: Iterable[dict[str, Any]]) -> None:
    """Write one table's CSV file row by row (created exclusively, then fsynced)."""
    with _csv_file(directory, spec) as handle:
        write_csv(handle, spec, rows)


def signer_of(private_key: str | None) -> str | None:
    """``name+keyid`` of the key that signs the checkpoint, as the provenance names it."""
    return "+".join(verifier_key_from_private(private_key).split("+")[:2]) if private_key else None


def provenance(
    source: str, stop: int, last: StoredEvent | None, cp: Checkpoint, signer: str | None,
    text: str, tool: str,
) -> dict[str, Any]:  # fmt: skip
    """The bundle's provenance (the workbook's sheet, ``datapackage.json``, Parquet metadata):
    all of it follows from the events, the checkpoint file and ``tool``, the exporting program,
    so ``verify-export`` recomputes it."""
    return {
        "ledger": source,
        "as_of_seq": stop,
        "head_hash": last.hash if last else GENESIS_HASH.hex(),
        "head_recorded_at": last.recorded_at if last else None,
        "tool": tool,
        "checkpoint_size": cp.size,
        "checkpoint_root": base64.b64encode(cp.root).decode("ascii"),
        "checkpoint_root_hex": cp.root.hex(),
        "checkpoint_signed_by": signer,
        "checkpoint": text,
        "formula_escaping": FORMULA_ESCAPING,
        "events_jsonl": "one RFC 8785 event envelope per line, hash included; "
        "hash = SHA-256(prev_hash bytes || the line without its hash member)",
        "amounts": "exact decimals in CSV and JSON; in XLSX numbers are doubles and the "
        "*_exact columns exact",
    }


def provenance_texts(facts: dict[str, Any]) -> dict[str, str]:
    """The provenance as text, as the workbook and the Parquet metadata hold it."""
    return {key: "" if value is None else str(value) for key, value in facts.items()}


def _check_key(private_key: str | None) -> None:
    if private_key is None:
        return
    try:
        verifier_key_from_private(private_key)
    except SignatureError as exc:
        raise InvalidInput(f"--sign: {exc}") from exc


def export_bundle(
    store: EventStore,
    directory: str,
    as_of_seq: int,
    *,
    root: str | None = None,
    private_key: str | None = None,
    cloudevents: bool = False,
    parquet: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the bundle of seq 1..``as_of_seq`` into the new directory ``directory``.
    ``progress`` hears of the events read and folded, then of each file written."""
    target = bundle.resolve_target(directory, root)
    _check_key(private_key)
    head = store.head()
    if as_of_seq > (head.seq if head else 0):
        raise InvalidInput(f"seq {as_of_seq} is beyond the ledger's head")
    notes: list[str] = []
    if parquet and not export_parquet.available():
        notes.append(export_parquet.MISSING)
        parquet = False
    source = origin(store)
    with bundle.staging(target) as tmp, SpilledFold() as fold:
        last_time = store.get(as_of_seq).recorded_at if as_of_seq else None
        stream = _EventStream(store, tmp, as_of_seq, source, cloudevents, parquet)
        inputs = ClaimInputs()
        try:
            for event in counted(stream, progress, "exporting events", as_of_seq):
                fold.add_event(event)
                inputs.add(event)
            state = fold.finish()
        finally:
            stream.close()
        if stream.tree.size != as_of_seq:
            raise IntegrityFailure(
                f"the ledger has {stream.tree.size} events up to seq {as_of_seq}; "
                "nothing was exported"
            )

        def lines_of(groups: set[tuple[str, int]]) -> dict[tuple[str, int], list[Any]]:
            return {g: list(prefix_events(store, [line_prefix(g)], as_of_seq)) for g in groups}

        small = {
            DEFINITIONS.name: definition_rows(state),
            TOTALS.name: totals_rows(state, as_of_seq),
            CLAIMS.name: claim_rows(check_all(state, inputs, lines_of)),
        }

        def rows(spec: TableSpec) -> Iterable[dict[str, Any]]:
            if spec is LINES:
                return line_rows(state, fold.lines())
            return small[spec.name]

        steps = iter(range(4 + parquet + 1))

        def step() -> None:  # small tables, lines and workbook, (Parquet,) datapackage, sums
            if progress is not None:
                progress(next(steps), 4 + parquet, "writing files")

        step()
        for spec in (DEFINITIONS, TOTALS, CLAIMS):
            _write_csv(tmp, spec, rows(spec))
        step()
        cp = Checkpoint(source, as_of_seq, stream.tree.root())
        text = sign_checkpoint(cp, private_key) if private_key else cp.body().decode("utf-8")
        bundle.write_file(tmp, bundle.CHECKPOINT, text.encode("utf-8"))
        prov = provenance(
            source, as_of_seq, stream.last, cp, signer_of(private_key), text, tool_version()
        )
        texts = provenance_texts(prov)
        facts = datapackage.LineFacts()
        with _csv_file(tmp, LINES) as handle:  # one walk over the lines: lines.csv and the sheet
            lines = csv_tee(handle, LINES, facts.gather(rows(LINES)))
            sheets = workbook_sheets(
                {TOTALS.name: (TOTALS, rows(TOTALS)), LINES.name: (LINES, lines),
                 DEFINITIONS.name: (DEFINITIONS, rows(DEFINITIONS))},
                texts.items(),
            )  # fmt: skip
            parts = workbook_parts(sheets, last_time, {"ledger": source})
            write_workbook(tmp / bundle.WORKBOOK, parts)
            for _ in lines:  # the rows past Excel's limit, which the sheet leaves out
                pass
        step()
        if parquet:
            for spec in (LINES, DEFINITIONS, TOTALS):
                path = tmp / export_parquet.file_name(spec)
                export_parquet.write_table(path, spec, rows(spec), texts)
            step()
        digests = {  # events.csv was hashed as it was written
            spec.path: bundle.sha256_file(tmp / spec.path) for spec in TABLES if spec is not EVENTS
        }
        digests[EVENTS.path] = stream.csv_digest()
        bundle.write_file(
            tmp,
            bundle.DATAPACKAGE,
            datapackage.build(tmp, TABLES, prov, facts, last_time, digests),
        )
        step()
        sums = bundle.sums_text(tmp)
        bundle.write_file(tmp, bundle.SUMS, sums)
        step()
        if private_key:
            bundle.write_file(tmp, bundle.SIGNATURE, bundle.signature_text(private_key, sums))
        listed = {name: digest for digest, name in bundle.parse_sums(sums)}
        listing = []
        for name in sorted(p.name for p in tmp.iterdir()):
            if name in listed:  # hashed once, for the manifest
                listing.append((name, (tmp / name).stat().st_size, listed[name]))
            else:
                digest, size = bundle.sha256_file(tmp / name)
                listing.append((name, size, digest))
    return ExportResult(
        directory=target,
        as_of_seq=as_of_seq,
        head_hash=prov["head_hash"],
        root=cp.root,
        signed=private_key is not None,
        files=listing,
        notes=notes,
    )
