"""A file to import, read as it is parsed: never held whole in memory (but a workbook or a TOML
file, which are small and parsed whole), and read again from the start if a transaction has to
run again.

Its text comes a line at a time, decoded as UTF-8 (a byte order mark at the start is skipped),
with the limits of a whole read kept: the file may be at most the import's limit (reading past
it is refused, also from a device that never ends), a line at most ``MAX_LINE_CHARS`` characters,
and a byte that is not UTF-8 is refused with the number of its line.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ledger.errors import InvalidInput

MAX_LINE_CHARS = 16 * 1024 * 1024  # far beyond any event or row of cells the models accept
HEAD_BYTES = 1024 * 1024  # what detecting a file's kind reads


def size_refusal(limit: int) -> InvalidInput:
    shown = f"{limit // 2**20:,} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"
    return InvalidInput(f"file is larger than the import limit of {shown}")


class _Capped(io.RawIOBase):
    """A binary stream that refuses to go past ``limit`` bytes (``size_refusal``)."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise size_refusal(self.limit)
        buffer[: len(data)] = data
        return len(data)


class ImportFile:
    """A file to import, opened afresh for each pass (``opener``)."""

    def __init__(self, opener: Callable[[], IO[bytes]]) -> None:
        self.opener = opener

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> ImportFile:
        return cls(lambda: Path(path).open("rb"))

    @classmethod
    def of(cls, data: bytes) -> ImportFile:
        return cls(lambda: io.BytesIO(data))

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` bytes (for telling what kind of file it is)."""
        with self.opener() as handle:
            return handle.read(size)

    def head_text(self) -> str:
        """The head decoded (a character cut at its end left out), or ``InvalidInput`` naming
        the first line that is not UTF-8."""
        try:
            return codecs.getincrementaldecoder("utf-8-sig")().decode(self.head(), final=False)
        except UnicodeDecodeError:
            raise InvalidInput("file is not valid UTF-8", line=self._bad_line()) from None

    def read_all(self, limit: int) -> bytes:
        """The whole file (a workbook, a TOML file), or ``size_refusal`` past ``limit``."""
        blocks: list[bytes] = []
        read = 0
        with self.opener() as handle:  # a block at a time: read(limit + 1) would allocate it
            while read <= limit and (block := handle.read(1024 * 1024)):
                blocks.append(block)
                read += len(block)
        if read > limit:
            raise size_refusal(limit)
        return b"".join(blocks)

    def line_count(self, limit: int) -> int:
        """How many lines the file has (split at ``\\n``; a last line without one counts),
        reading at most ``limit`` bytes of it a block at a time: an estimate of its rows."""
        count, last, read = 0, b"\n", 0
        with self.opener() as handle:
            while read <= limit and (block := handle.read(1024 * 1024)):
                count += block.count(b"\n")
                last, read = block[-1:], read + len(block)
        return max(count + (last != b"\n"), 0)

    def lines(self, newline: str, limit: int) -> Iterator[str]:
        """The decoded lines, each with its end: split at ``\\n`` only (``newline="\\n"``,
        JSON Lines) or at ``\\n``, ``\\r\\n`` and ``\\r`` (``newline=""``, CSV: as
        ``io.StringIO(text, newline="")`` splits them); ``size_refusal`` past ``limit`` bytes."""
        with self.opener() as handle:
            text = io.TextIOWrapper(
                io.BufferedReader(_Capped(handle, limit)), encoding="utf-8-sig", newline=newline
            )
            number = 0
            try:
                while True:
                    line = text.readline(MAX_LINE_CHARS + 1)
                    if not line:
                        return
                    number += 1
                    if len(line) > MAX_LINE_CHARS:
                        raise InvalidInput(
                            f"a line is longer than {MAX_LINE_CHARS:,} characters", line=number
                        )
                    yield line
            except UnicodeDecodeError:
                raise InvalidInput("file is not valid UTF-8", line=self._bad_line()) from None

    def _bad_line(self) -> int:
        """The number of the first line (split at ``\\n``) that is not UTF-8."""
        with self.opener() as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return number
        return 1
