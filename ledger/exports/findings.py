"""What ``verify-export`` found: each problem (file, row or line, kind, message), the files it
could not check, and the summary, as a ``Table`` for the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.exports.compare import Finding
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
    unchecked: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    @property
    def ok(self) -> bool:
        """No problem found (see ``complete`` for whether every file was checked)."""
        return not self.problems

    @property
    def complete(self) -> bool:
        """Every file of the bundle was checked."""
        return not self.unchecked

    def add(self, file: str, row: int | None, kind: str, message: str) -> None:
        self.problems.append(ExportProblem(file, row, kind, message))

    def add_all(
        self, file: str, kind: str, found: list[Finding], where: str | None = "row",
        sep: str = ": ",
    ) -> None:  # fmt: skip
        """The findings of a comparison of ``file``, each a problem of ``kind``: ``<file> row
        <n>: <message>``, or ``<file><sep><message>`` without a row (or a ``where``)."""
        for row, message in found:
            if row and where:
                self.add(file, row, kind, f"{file} {where} {row}: {message}")
            else:
                self.add(file, row, kind, f"{file}{sep}{message}")

    def skip(self, file: str, why: str) -> None:
        self.unchecked.append((file, why))

    def unchecked_text(self) -> str:
        """``a.parquet, b.parquet (why)``: the files not checked, grouped by reason."""
        reasons: dict[str, list[str]] = {}
        for file, why in self.unchecked:
            reasons.setdefault(why, []).append(file)
        return "; ".join(f"{', '.join(files)} ({why})" for why, files in reasons.items())

    def table(self) -> Table:
        rows = [
            {"file": p.file, "row": p.row, "kind": p.kind, "message": p.message}
            for p in self.problems
        ]
        meta = {
            "ok": self.ok,
            "complete": self.complete,
            "directory": self.directory,
            "files": self.files,
            "events": self.events,
            "merkle_root": self.root.hex() if self.root else None,
            "signature": self.signature,
            "unchecked": [{"file": f, "reason": why} for f, why in self.unchecked],
        }
        if self.ok:
            caption = (
                f"ok: {self.files} files, {self.events} events, Merkle root "
                f"{(self.root or b'').hex()}; signature {self.signature}"
            )
            if self.unchecked:
                caption += f"; NOT CHECKED: {self.unchecked_text()}"
        else:
            caption = f"FAILED: {len(self.problems)} problem(s) in {self.directory}"
        return Table("problems", ["file", "row", "kind", "message"], rows, meta, caption)
