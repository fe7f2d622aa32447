"""``verify-export``: check a compliance bundle offline, with no database.

1. ``SHA256SUMS``: every listed file exists with that SHA-256; no file is missing or extra.
2. With a verifier key: ``SHA256SUMS.sig`` and the ``checkpoint`` signature verify.
3. ``events.jsonl``: each line is a canonical envelope, its hash recomputes, it links to the
   previous line's hash, and seq runs 1..n without gaps.
4. The RFC 6962 Merkle root of those hashes equals the checkpoint's, at the same size.
5. The events are replayed (the projections' pure fold) and ``events.csv``, ``lines.csv``,
   ``definitions.csv``, ``totals.csv`` (and ``events.cloudevents.jsonl``) are recomputed and
   compared with the files, row by row; ``datapackage.json``'s sizes and hashes are checked.

Every failure is its own problem naming the file and, where there is one, the row or line.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ledger import bundle
from ledger.chain import GENESIS_HASH, recompute
from ledger.errors import InvalidInput
from ledger.event_lines import LineError, chain_row, parse_line, stored_event
from ledger.export_cloudevents import cloudevent_line
from ledger.export_compare import compare_csv
from ledger.export_fold import SpilledFold
from ledger.export_format import csv_row, csv_writer, write_csv
from ledger.export_tables import (
    DEFINITIONS,
    EVENTS,
    LINES,
    TABLES,
    TOTALS,
    definition_rows,
    event_row,
    line_rows,
    totals_rows,
)
from ledger.merkle import CompactRange, leaf_hash
from ledger.projections import LedgerState
from ledger.records import StoredEvent
from ledger.signing import (
    SignatureError,
    parse_signed_checkpoint,
    verify_bytes,
    verify_checkpoint_signature,
)
from ledger.tabular import Table


@dataclass(frozen=True)
class ExportProblem:
    """One failed check: the file, the row or line (when there is one), a kind, a message."""

    file: str
    row: int | None
    kind: str
    message: str


@dataclass
class ExportReport:
    directory: str
    events: int = 0
    root: bytes | None = None
    signature: str = "not checked (no --pubkey)"
    files: int = 0
    problems: list[ExportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, file: str, row: int | None, kind: str, message: str) -> None:
        self.problems.append(ExportProblem(file, row, kind, message))

    def table(self) -> Table:
        rows = [
            {"file": p.file, "row": p.row, "kind": p.kind, "message": p.message}
            for p in self.problems
        ]
        meta = {
            "ok": self.ok,
            "directory": self.directory,
            "files": self.files,
            "events": self.events,
            "merkle_root": self.root.hex() if self.root else None,
            "signature": self.signature,
        }
        if self.ok:
            caption = (
                f"ok: {self.files} files, {self.events} events, Merkle root "
                f"{(self.root or b'').hex()}; signature {self.signature}"
            )
        else:
            caption = f"FAILED: {len(self.problems)} problem(s) in {self.directory}"
        return Table("problems", ["file", "row", "kind", "message"], rows, meta, caption)


def _read(directory: Path, name: str) -> bytes | None:
    path = directory / name
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None


def _check_manifest(directory: Path, report: ExportReport) -> bytes | None:
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
    sums = _read(directory, bundle.SUMS)
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
            elif bundle.sha256_file(directory / name)[0] != digest:
                report.add(name, None, "sha256-mismatch", f"sha256 mismatch: {name}")
    for name in sorted(present - listed - {bundle.SUMS, bundle.SIGNATURE}):
        report.add(name, None, "unexpected-file", f"unexpected file: {name} (not in {bundle.SUMS})")
    for name in bundle.REQUIRED:
        if name not in present and name not in listed:
            report.add(name, None, "missing-file", f"missing file: {name}")
    return sums


def _check_signatures(
    directory: Path, sums: bytes | None, pubkey: str, report: ExportReport
) -> None:
    signature = _read(directory, bundle.SIGNATURE)
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
    checkpoint = _read(directory, bundle.CHECKPOINT)
    if checkpoint is not None:
        try:
            verify_checkpoint_signature(checkpoint, pubkey)
        except SignatureError as exc:
            report.add(bundle.CHECKPOINT, None, "bad-signature", f"checkpoint signature: {exc}")
            report.signature = "failed"


class _Spool:
    """A recomputed file, hashed as it is written and spooled to a temporary file, so that
    memory stays bounded; it is read back only when it differs from the bundle's file."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.digest = hashlib.sha256()

    def write(self, text: str | bytes) -> int:
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.digest.update(data)
        self.file.write(data)
        return len(text)

    def read(self) -> bytes:
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
        self.writer = csv_writer(self.csv)
        self.writer.writerow(EVENTS.names)
        self.cloud = _Spool()
        self.parsed_all = True

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
                envelope = parse_line(line)
                row = chain_row(envelope)
            except (LineError, ValueError) as exc:
                self._problem(number, "malformed", str(exc))
                self.parsed_all = False
                continue
            if row.seq != expected:
                self._problem(number, "seq-gap", f"seq {row.seq} where seq {expected} was expected")
            if row.prev_hash != previous:
                message = f"seq {row.seq}: prev_hash does not match the previous line's hash"
                self._problem(number, "broken-link", message)
            if recompute(row, row.prev_hash) != row.hash:
                message = f"seq {row.seq}: hash does not match the line's contents"
                self._problem(number, "hash-mismatch", message)
            previous, expected = row.hash, row.seq + 1
            self.tree.append_leaf_hash(leaf_hash(row.hash))
            event = stored_event(envelope, row)
            self.writer.writerow(csv_row(event_row(event), EVENTS))
            if self.source is not None:
                self.cloud.write(cloudevent_line(event, self.source) + b"\n")
            yield event


def _check_checkpoint(directory: Path, tree: CompactRange, report: ExportReport) -> str | None:
    data = _read(directory, bundle.CHECKPOINT)
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
    directory: Path, name: str, expected: bytes | _Spool, spec: Any, report: ExportReport
) -> None:
    path = directory / name
    if not path.is_file() or path.is_symlink():
        return
    if isinstance(expected, _Spool):
        if bundle.sha256_file(path)[0] == expected.digest.hexdigest():
            expected.file.close()
            return
        expected = expected.read()
    actual = path.read_bytes()
    found = compare_csv(spec, actual, expected) if spec else _lines_differ(actual, expected)
    for row, message in found:
        where = f"{name} row {row}" if row else name
        report.add(name, row, "recomputed-mismatch", f"{where}: {message}")


def _lines_differ(actual: bytes, expected: bytes) -> list[tuple[int | None, str]]:
    if actual == expected:
        return []
    got, want = actual.split(b"\n"), expected.split(b"\n")
    for number, (a, b) in enumerate(zip(got, want, strict=False), start=1):
        if a != b:
            return [(number, "differs from the recomputation from events.jsonl")]
    return [(None, f"has {len(got) - 1} lines, the recomputation {len(want) - 1}")]


def _check_datapackage(directory: Path, report: ExportReport) -> None:
    data = _read(directory, bundle.DATAPACKAGE)
    if data is None:
        return
    try:
        resources = {r["path"]: r for r in orjson.loads(data)["resources"]}
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        report.add(bundle.DATAPACKAGE, None, "malformed", f"datapackage.json: {exc}")
        return
    for spec in TABLES:
        resource, path = resources.get(spec.path), directory / spec.path
        if resource is None:
            report.add(
                bundle.DATAPACKAGE,
                None,
                "malformed",
                f"datapackage.json has no resource for {spec.path}",
            )
        elif path.is_file():
            digest, size = bundle.sha256_file(path)
            if resource.get("hash") != f"sha256:{digest}" or resource.get("bytes") != size:
                message = f"datapackage.json: the bytes or hash of {spec.path} differ from the file"
                report.add(bundle.DATAPACKAGE, None, "hash-mismatch", message)


def verify_export(directory: str | os.PathLike[str], pubkey: str | None = None) -> ExportReport:
    """Check the bundle in ``directory``; every problem is reported, none is raised."""
    path = Path(directory)
    if not path.is_dir():
        raise InvalidInput(f"{directory} is not a directory")
    report = ExportReport(str(directory))
    sums = _check_manifest(path, report)
    if pubkey is not None:
        _check_signatures(path, sums, pubkey, report)
    events = path / bundle.EVENTS_JSONL
    if not events.is_file() or events.is_symlink():
        return report
    checkpoint = _read(path, bundle.CHECKPOINT)
    source = None
    if checkpoint is not None:
        try:
            source = parse_signed_checkpoint(checkpoint)[0].origin
        except SignatureError:
            source = None
    cloud = (path / bundle.CLOUDEVENTS).is_file()
    replay = _Replay(events, report, source if cloud else None)
    with SpilledFold() as fold:
        state: LedgerState | None
        try:
            for event in replay:
                fold.add_event(event)
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
        _check_datapackage(path, report)
        if state is None or not replay.parsed_all:
            return report
        _compare(path, EVENTS.path, replay.csv, EVENTS, report)
        if source is not None and cloud:
            _compare(path, bundle.CLOUDEVENTS, replay.cloud, None, report)
        tables = {
            LINES.name: line_rows(state, fold.lines()),
            DEFINITIONS.name: definition_rows(state),
            TOTALS.name: totals_rows(state, state.last_seq),
        }
        for spec in (LINES, DEFINITIONS, TOTALS):
            spool = _Spool()
            write_csv(spool, spec, tables[spec.name])
            _compare(path, spec.path, spool, spec, report)
    return report
