"""``verify-export``: check a compliance bundle offline, with no database.

1. ``SHA256SUMS``: every listed file exists with that SHA-256; no file is missing or extra, and
   every file is one that ``export`` writes.
2. With a verifier key: ``SHA256SUMS.sig`` and the ``checkpoint`` signature verify.
3. ``events.jsonl``: each line is a canonical envelope, its hash recomputes, it links to the
   previous line's hash, and seq runs 1..n without gaps.
4. The RFC 6962 Merkle root of those hashes equals the checkpoint's, at the same size.
5. The events are replayed (the projections' pure fold) and every other file is recomputed from
   them and compared: ``events.csv``, ``lines.csv``, ``definitions.csv``, ``totals.csv`` and
   ``claims.csv`` (every claim checked again, offline) row by row, ``events.cloudevents.jsonl``
   line by line, ``datapackage.json`` member by member, ``workbook.xlsx`` cell by cell
   (``workbook_compare``) and the ``*.parquet`` files row by row (``parquet_compare``, with the
   optional pyarrow). The provenance they carry is recomputed
   too, from the events and the checkpoint file; only the exporting program's name and version
   (``tool``) is taken from ``datapackage.json``.

Every failure is its own problem naming the file and, where there is one, the row or line. A
file that cannot be checked here (a Parquet file without pyarrow) is listed in ``unchecked``:
the report is then not ``complete``, and the CLI fails unless told to accept that.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ledger.audit.merkle import CompactRange, leaf_hash
from ledger.audit.signing import (
    Checkpoint,
    Signature,
    SignatureError,
    parse_signed_checkpoint,
    verify_bytes,
    verify_checkpoint_signature,
)
from ledger.errors import InvalidInput
from ledger.exports import bundle, datapackage
from ledger.exports.claims import ClaimInputs, check_all, claim_rows
from ledger.exports.cloud_events import cloudevent_line
from ledger.exports.columns import TableSpec, csv_line, csv_tee, write_csv
from ledger.exports.compare import compare_csv, compare_lines
from ledger.exports.findings import ExportProblem, ExportReport
from ledger.exports.recomputed import (
    PARQUET,
    Recomputed,
    check_datapackage,
    check_parquet,
    check_workbook,
    line_events,
)
from ledger.exports.tables import (
    CLAIMS,
    DEFINITIONS,
    EVENTS,
    LINES,
    TABLES,
    TOTALS,
    definition_rows,
    event_csv_line,
    line_rows,
    totals_rows,
)
from ledger.progress import Progress, counted
from ledger.projections.fold import LedgerState
from ledger.projections.spill import SpilledFold
from ledger.storage.chain import GENESIS_HASH, chain_hash
from ledger.storage.event_json import LineError, line_event
from ledger.storage.records import StoredEvent

__all__ = ["ExportProblem", "ExportReport", "verify_export"]

KNOWN = frozenset({*bundle.REQUIRED, bundle.CLOUDEVENTS, bundle.SUMS, bundle.SIGNATURE, *PARQUET})


def _check_manifest(directory: Path, report: ExportReport, hashed: dict[str, str]) -> bytes | None:
    """Check ``SHA256SUMS`` against the files; ``hashed`` gets the SHA-256 of each file read."""
    present: set[str] = set()
    for name in sorted(os.listdir(directory)):
        path = directory / name
        if path.is_symlink() or not path.is_file():
            report.add(
                name, None, "unexpected-entry", f"unexpected entry {name} (not a regular file)"
            )
        else:
            present.add(name)
    report.files = len(present)
    sums = bundle.read_regular(directory, bundle.SUMS)
    listed: set[str] = set()
    if sums is None:
        report.add(bundle.SUMS, None, "missing-file", f"missing file: {bundle.SUMS}")
    else:
        try:
            entries = bundle.parse_sums(sums)
        except ValueError as exc:
            report.add(bundle.SUMS, None, "malformed", str(exc))
            entries = []
        for number, (digest, name) in enumerate(entries, start=1):
            if name in listed or name in (bundle.SUMS, bundle.SIGNATURE):
                report.add(
                    bundle.SUMS, number, "malformed", f"{name} is listed twice or lists itself"
                )
                continue
            listed.add(name)
            if name not in present:
                report.add(
                    name, None, "missing-file", f"missing file: {name} (listed in {bundle.SUMS})"
                )
            elif hashed.setdefault(name, bundle.sha256_file(directory / name)[0]) != digest:
                report.add(name, None, "sha256-mismatch", f"sha256 mismatch: {name}")
    for name in sorted(present - listed - {bundle.SUMS, bundle.SIGNATURE}):
        report.add(name, None, "unexpected-file", f"unexpected file: {name} (not in {bundle.SUMS})")
    for name in sorted((present & listed) - KNOWN):
        report.add(
            name, None, "unexpected-file",
            f"unexpected file: {name} (listed in {bundle.SUMS}, but export never writes it, "
            "so nothing can check it)",
        )  # fmt: skip
    for name in bundle.REQUIRED:
        if name not in present and name not in listed:
            report.add(name, None, "missing-file", f"missing file: {name}")
    return sums


def _check_signatures(
    directory: Path, sums: bytes | None, pubkey: str, report: ExportReport
) -> None:
    signature = bundle.read_regular(directory, bundle.SIGNATURE)
    report.signature = "failed"
    if signature is None:
        report.add(
            bundle.SIGNATURE,
            None,
            "missing-file",
            f"missing file: {bundle.SIGNATURE} (the bundle is not signed)",
        )
    elif sums is not None:
        try:
            verify_bytes(pubkey, sums, bundle.decode_signature(signature))
            report.signature = "verified with " + "+".join(pubkey.strip().split("+")[:2])
        except (SignatureError, ValueError) as exc:
            report.add(bundle.SIGNATURE, None, "bad-signature", f"{bundle.SIGNATURE}: {exc}")
    checkpoint = bundle.read_regular(directory, bundle.CHECKPOINT)
    if checkpoint is not None:
        try:
            verify_checkpoint_signature(checkpoint, pubkey)
        except SignatureError as exc:
            report.add(bundle.CHECKPOINT, None, "bad-signature", f"checkpoint signature: {exc}")
            report.signature = "failed"


class _Spool(bundle.HashedWriter):
    """A recomputed file, hashed as it is written and spooled to a temporary file, so that
    memory stays bounded; it is read back only when it differs from the bundle's file."""

    def __init__(self) -> None:
        super().__init__(tempfile.TemporaryFile())

    def read(self) -> bytes:
        self.flush()
        self.file.seek(0)
        data = self.file.read()
        self.file.close()
        return data


class _Replay:
    """Streams ``events.jsonl`` once: checks each line and the chain, builds the Merkle tree and
    the recomputed events files, and yields the events to the projections' fold."""

    def __init__(self, path: Path, report: ExportReport, source: str | None) -> None:
        self.path, self.report, self.source = path, report, source
        self.tree = CompactRange()
        self.csv = _Spool()
        self.csv.write(csv_line(EVENTS.names))
        self.cloud = _Spool()
        self.parsed_all = True
        self.last: StoredEvent | None = None

    def _problem(self, line: int, kind: str, message: str) -> None:
        self.report.add(bundle.EVENTS_JSONL, line, kind, f"events.jsonl line {line}: {message}")

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    message = "events.jsonl: the file does not end with a newline (truncated?)"
                    self.report.add(bundle.EVENTS_JSONL, None, "truncated", message)
                    self.parsed_all = False
                yield number, raw.removesuffix(b"\n")

    def __iter__(self) -> Iterator[StoredEvent]:
        previous, expected = GENESIS_HASH, 1
        for number, line in self._lines():
            try:
                event, hashed = line_event(line)
            except (LineError, ValueError) as exc:
                self._problem(number, "malformed", str(exc))
                self.parsed_all = False
                continue
            seq, prev_hash, digest = (
                event.seq,
                bytes.fromhex(event.prev_hash),
                bytes.fromhex(event.hash),
            )
            if seq != expected:
                self._problem(number, "seq-gap", f"seq {seq} where seq {expected} was expected")
            if prev_hash != previous:
                message = f"seq {seq}: prev_hash does not match the previous line's hash"
                self._problem(number, "broken-link", message)
            if chain_hash(prev_hash, hashed) != digest:
                message = f"seq {seq}: hash does not match the line's contents"
                self._problem(number, "hash-mismatch", message)
            previous, expected = digest, seq + 1
            self.tree.append_leaf_hash(leaf_hash(digest))
            self.csv.write(event_csv_line(event))
            if self.source is not None:
                self.cloud.write(cloudevent_line(event, self.source) + b"\n")
            self.last = event
            yield event


def _check_checkpoint(directory: Path, tree: CompactRange, report: ExportReport) -> str | None:
    data = bundle.read_regular(directory, bundle.CHECKPOINT)
    if data is None:
        return None
    try:
        cp, _ = parse_signed_checkpoint(data)
    except SignatureError as exc:
        report.add(bundle.CHECKPOINT, None, "malformed", f"checkpoint: {exc}")
        return None
    if cp.size != tree.size:
        report.add(
            bundle.CHECKPOINT, None, "size-mismatch",
            f"checkpoint: the checkpoint says {cp.size} events; events.jsonl has {tree.size}",
        )  # fmt: skip
    elif cp.root != tree.root():
        computed, stated = (base64.b64encode(r).decode() for r in (tree.root(), cp.root))
        report.add(
            bundle.CHECKPOINT, None, "root-mismatch",
            f"checkpoint: events.jsonl has Merkle root {computed}, the checkpoint says {stated}",
        )  # fmt: skip
    return cp.origin


def _compare(
    directory: Path, name: str, expected: _Spool, spec: TableSpec | None, report: ExportReport,
    hashed: dict[str, str],
) -> None:  # fmt: skip
    """Compare a CSV (``spec``) or JSON Lines file with its recomputation (``hashed``: the
    SHA-256 of the files already read)."""
    path = directory / name
    if not path.is_file() or path.is_symlink():
        return
    if (hashed.get(name) or bundle.sha256_file(path)[0]) == expected.hexdigest():
        expected.file.close()
        return
    wanted, actual = expected.read(), path.read_bytes()
    if spec is not None:
        report.add_all(name, "recomputed-mismatch", compare_csv(spec, actual, wanted))
    else:
        report.add_all(name, "recomputed-mismatch", compare_lines(actual, wanted), "line")


def verify_export(
    directory: str | os.PathLike[str], pubkey: str | None = None, progress: Progress | None = None
) -> ExportReport:
    """Check the bundle in ``directory``; every problem is reported, none is raised.
    ``progress`` hears of the events replayed (of the checkpoint's size, if it has one)."""
    path = Path(directory)
    if not path.is_dir():
        raise InvalidInput(f"{directory} is not a directory")
    report = ExportReport(str(directory))
    hashed: dict[str, str] = {}
    sums = _check_manifest(path, report, hashed)
    if pubkey is not None:
        _check_signatures(path, sums, pubkey, report)
    events = path / bundle.EVENTS_JSONL
    derived = sorted(n for n in KNOWN - {bundle.SUMS, bundle.SIGNATURE} if (path / n).is_file())
    if not events.is_file() or events.is_symlink():
        for name in derived:
            report.skip(name, "there is no events.jsonl to recompute it from")
        return report
    checkpoint = bundle.read_regular(path, bundle.CHECKPOINT)
    head: Checkpoint | None = None
    signatures: list[Signature] = []
    if checkpoint is not None:
        try:
            head, signatures = parse_signed_checkpoint(checkpoint)
        except SignatureError:
            head = None
    source = head.origin if head is not None else None
    cloud = (path / bundle.CLOUDEVENTS).is_file()
    replay = _Replay(events, report, source if cloud else None)
    inputs = ClaimInputs()
    with SpilledFold() as fold:
        state: LedgerState | None
        try:
            total = head.size if head is not None else None
            for event in counted(replay, progress, "replaying events", total):
                fold.add_event(event)
                inputs.add(event)
            state = fold.finish()
        except Exception as exc:  # noqa: BLE001 - a hostile file must give a report, not a crash
            report.add(
                bundle.EVENTS_JSONL,
                None,
                "replay-failed",
                f"events.jsonl: cannot replay the events ({exc})",
            )
            state = None
        report.events, report.root = replay.tree.size, replay.tree.root()
        _check_checkpoint(path, replay.tree, report)
        if state is None or not replay.parsed_all:
            for name in derived:
                if name not in (bundle.EVENTS_JSONL, bundle.CHECKPOINT):
                    report.skip(name, "events.jsonl cannot be replayed")
            return report
        digests = {EVENTS.path: (replay.csv.hexdigest(), replay.csv.size)}
        _compare(path, EVENTS.path, replay.csv, EVENTS, report, hashed)
        facts = datapackage.LineFacts()
        claims = claim_rows(check_all(state, inputs, lambda groups: line_events(events, groups)))
        spools = {spec.name: _Spool() for spec in (LINES, DEFINITIONS, TOTALS, CLAIMS)}
        # One walk over the lines: lines.csv is recomputed as the workbook's lines sheet is
        # (the workbook's findings are kept aside and reported in their place, after the CSVs).
        lines = csv_tee(spools[LINES.name], LINES, facts.gather(line_rows(state, fold.lines())))
        got = (
            None
            if head is None or checkpoint is None
            else Recomputed(
                path, state, fold, replay.tree, replay.last, facts, digests, checkpoint,
                head.origin, signatures, claims, lines,
            )
        )  # fmt: skip
        workbook = ExportReport(report.directory)
        if got is not None:
            check_workbook(got, workbook)
        for _ in lines:  # what the workbook's check did not read
            pass
        tables = {
            DEFINITIONS.name: definition_rows(state),
            TOTALS.name: totals_rows(state, state.last_seq),
            CLAIMS.name: claims,
        }
        for spec in (LINES, DEFINITIONS, TOTALS, CLAIMS):
            spool = spools[spec.name]
            if spec is not LINES:
                write_csv(spool, spec, tables[spec.name])
            digests[spec.path] = (spool.hexdigest(), spool.size)
            _compare(path, spec.path, spool, spec, report, hashed)
        if got is None:
            why = "the checkpoint, which names the ledger, is missing or malformed"
            for name in derived:
                if name not in (bundle.EVENTS_JSONL, bundle.CHECKPOINT, *(s.path for s in TABLES)):
                    report.skip(name, why)
            return report
        if cloud:
            _compare(path, bundle.CLOUDEVENTS, replay.cloud, None, report, hashed)
        check_datapackage(got, report)
        report.problems += workbook.problems
        check_parquet(got, report)
    return report
