"""The file side of a compliance bundle: where it may be written, how it is written atomically,
and its manifest (``SHA256SUMS``, in ``sha256sum -c`` format) with a detached Ed25519
signature (``SHA256SUMS.sig``, base64).

Path safety: the target directory is resolved with ``os.path.realpath`` and must stay inside the
export root (the current directory unless given); ``..`` components, NUL characters, absolute
paths and symlinks that lead outside are refused before anything is written. The files are
written into a fresh temporary directory beside the target, which is renamed into place only
when every file is complete; on any failure it is removed, so nothing is left half-written.
An export killed outright cannot remove it: the next export into the same directory does (see
``remove_abandoned``).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from events.quoting import path_named, quoted
from ledger.audit.signing import sign_bytes
from ledger.errors import InvalidInput

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.sig"
CHECKPOINT = "checkpoint"
EVENTS_JSONL = "events.jsonl"
CLOUDEVENTS = "events.cloudevents.jsonl"
WORKBOOK = "workbook.xlsx"
DATAPACKAGE = "datapackage.json"
REQUIRED = (
    EVENTS_JSONL,
    "events.csv",
    "lines.csv",
    "definitions.csv",
    "totals.csv",
    "claims.csv",
    WORKBOOK,
    DATAPACKAGE,
    CHECKPOINT,
)
_SUMS_LINE = re.compile(r"([0-9a-f]{64}) [ *]([A-Za-z0-9._-]+)")
_FILE_NAME = re.compile(r"[A-Za-z0-9._-]+")
# ``staging``'s directories: "." + the bundle's name + "." + mkdtemp's 8 characters + ".tmp"
_STAGING = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
ABANDONED_AFTER_S = 10.0  # never touch a staging directory changed more recently than this
_CHUNK = 1 << 20


def resolve_target(directory: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The real path of the export directory ``directory``, or ``InvalidInput`` if it escapes
    the export ``root`` (default: the current directory) or cannot receive a bundle."""
    raw = os.fspath(directory)
    if "\0" in raw:
        raise InvalidInput("the export directory contains a NUL character: refused")
    if not raw.strip():
        raise InvalidInput("the export directory is empty")
    if ".." in re.split(r"[\\/]+", raw):
        raise InvalidInput(f"the export directory {quoted(raw)} contains '..': refused")
    root_real = os.path.realpath(os.fspath(root) if root is not None else os.getcwd())
    target = os.path.realpath(os.path.join(root_real, raw))
    if target == root_real or os.path.commonpath([root_real, target]) != root_real:
        raise InvalidInput(
            f"the export directory {quoted(raw)} resolves to {path_named(target)}, outside the "
            f"export root {path_named(root_real)} (absolute path or symlink): refused; "
            "pass --root to allow it"
        )
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise InvalidInput(f"the parent directory {path_named(parent)} does not exist")
    if os.path.lexists(target):
        if not os.path.isdir(target):
            raise InvalidInput(f"{path_named(target)} exists and is not a directory")
        if os.listdir(target):
            raise InvalidInput(f"{path_named(target)} exists and is not empty: refused")
    return Path(target)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """A temporary directory beside ``target``; renamed to ``target`` when the block succeeds,
    removed when it fails. The export holds an exclusive ``flock`` on it until then, which the
    kernel releases when the process ends however it ends: that is how the next export knows
    the directory is abandoned (``remove_abandoned``)."""
    remove_abandoned(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    held = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        try:
            os.rename(tmp, target)
        except OSError as exc:
            raise InvalidInput(
                f"cannot move the bundle into {path_named(target)}: {exc.strerror}"
            ) from exc
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(held)


def remove_abandoned(parent: Path) -> list[Path]:
    """Remove the staging directories in ``parent`` left by exports that were killed, and
    return them. Only a directory that is certainly one is removed: named as ``staging`` names
    them, holding nothing but plain files named as bundle files are, not changed for
    ``ABANDONED_AFTER_S`` (a new one is locked within microseconds of its creation), and whose
    ``flock`` can be taken: no live process holds it (its owner's lock died with it)."""
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(parent) if _STAGING.fullmatch(e.name)]
    except OSError:
        return removed
    for entry in entries:
        path = Path(entry.path)
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(info.st_mode) or time.time() - info.st_mtime < ABANDONED_AFTER_S:
                continue
            held = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if all(
                _FILE_NAME.fullmatch(item.name) and item.is_file(follow_symlinks=False)
                for item in os.scandir(path)
            ):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except OSError:  # locked by a live export, or gone meanwhile
            pass
        finally:
            os.close(held)
    return removed


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create(directory: Path, name: str) -> int:
    """A new file descriptor for ``directory/name`` (never follows or replaces anything)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(directory / name, flags, 0o666)


def write_file(directory: Path, name: str, data: bytes) -> None:
    """Write a whole file (created exclusively) and fsync it."""
    with os.fdopen(create(directory, name), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_regular(directory: Path, name: str) -> bytes | None:
    """The bytes of ``directory/name`` if it is a regular file (not a symlink), else None."""
    path = directory / name
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file, streamed."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class HashedWriter:
    """Text (or bytes) written to a binary file, hashed as it goes: writes are gathered into
    chunks of about 64 KiB (a CSV writer writes one row at a time: hashing and writing each
    alone cost more than making the row)."""

    _GATHER = 1 << 16

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self._digest = hashlib.sha256()
        self._size = 0
        self._parts: list[str | bytes] = []
        self._pending = 0

    def write(self, text: str | bytes) -> int:
        self._parts.append(text)
        self._pending += len(text)
        if self._pending >= self._GATHER:
            self.flush()
        return len(text)

    def flush(self) -> None:
        """Write and hash what is gathered (str and bytes parts keep their order)."""
        parts, self._parts, self._pending = self._parts, [], 0
        if parts and all(part.__class__ is str for part in parts):
            parts = ["".join(parts).encode("utf-8")]  # type: ignore[arg-type]
        for part in parts:
            data = part.encode("utf-8") if isinstance(part, str) else part
            self._digest.update(data)
            self.file.write(data)
            self._size += len(data)

    def hexdigest(self) -> str:
        self.flush()
        return self._digest.hexdigest()

    @property
    def size(self) -> int:
        self.flush()
        return self._size


def sums_text(directory: Path) -> bytes:
    """``SHA256SUMS`` of every file in ``directory`` but the manifest and its signature."""
    names = sorted(n for n in os.listdir(directory) if n not in (SUMS, SIGNATURE))
    return "".join(f"{sha256_file(directory / n)[0]}  {n}\n" for n in names).encode("ascii")


def parse_sums(data: bytes) -> list[tuple[str, str]]:
    """(hex, name) of each manifest line; ``ValueError`` naming the first bad line."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("SHA256SUMS is not ASCII text") from None
    if not text.endswith("\n"):
        raise ValueError("SHA256SUMS does not end with a newline (truncated?)")
    entries: list[tuple[str, str]] = []
    for number, line in enumerate(text[:-1].split("\n"), start=1):
        match = _SUMS_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"SHA256SUMS line {number} is not '<sha256>  <file>'")
        entries.append((match.group(1), match.group(2)))
    return entries


def signature_text(private_key: str, sums: bytes) -> bytes:
    """``SHA256SUMS.sig``: the base64 Ed25519 signature of the manifest bytes, plus newline."""
    return base64.b64encode(sign_bytes(private_key, sums)) + b"\n"


def decode_signature(data: bytes) -> bytes:
    """The 64 raw signature bytes of ``SHA256SUMS.sig``; ``ValueError`` if malformed."""
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("SHA256SUMS.sig is not base64") from None
    if len(raw) != 64:
        raise ValueError("SHA256SUMS.sig is not a 64-byte Ed25519 signature")
    return raw
