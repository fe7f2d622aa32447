"""Reading the files a user names on the command line: bounded, and every failure one line.

A path may name anything: a device that never ends (``/dev/zero``), a pipe, a directory, a
binary file. Each kind of file has a size it can never reach; reading stops one byte past it, so
no argument can make a command read without limit.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from cli.errors import EXIT_INPUT, CliError

KiB, MiB = 2**10, 2**20
KEY_BYTES = 64 * KiB  # a signed-note key: one line of a few dozen characters
CHECKPOINT_BYTES = 1 * MiB  # a C2SP checkpoint: three lines and its signatures
DIGEST_BYTES = 64 * KiB  # {seq, hash, recorded_at}
PROOF_BYTES = 16 * MiB  # an inclusion proof: ≤ 63 hashes and one event
CHUNK = 1 * MiB


def read_upto(path: str, what: str, limit: int) -> bytearray:
    """At most ``limit + 1`` bytes of ``path`` (``-``: stdin), read in chunks (a read of
    ``limit + 1`` bytes at once would reserve that much memory for any file), or exit 2 naming
    the file if it cannot be read. More than ``limit`` bytes means the file is too large."""
    data = bytearray()
    try:
        handle = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        try:
            while len(data) <= limit:
                chunk = handle.read(min(CHUNK, limit + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
        finally:
            if handle is not sys.stdin.buffer:
                handle.close()
    except OSError as exc:
        from events.quoting import path_named  # only on this path: events loads pydantic

        message = f"cannot read the {what} {path_named(path)}: {exc.strerror or exc}"
        raise CliError(message, EXIT_INPUT) from exc
    return data


def read_bytes(path: str, what: str, limit: int) -> bytes:
    """The bytes of ``path`` (``-``: stdin), or exit 2 naming the file: unreadable, or larger
    than ``limit``."""
    data = read_upto(path, what, limit)
    if len(data) > limit:
        from events.quoting import path_named

        raise CliError(
            f"the {what} {path_named(path)} is larger than {_size(limit)}: refused "
            "(is it the right file?)",
            EXIT_INPUT,
        )
    return bytes(data)


def read_text(path: str, what: str, limit: int) -> str:
    """``read_bytes`` decoded as UTF-8, or exit 2."""
    data = read_bytes(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from events.quoting import path_named

        raise CliError(
            f"the {what} {path_named(path)} is not UTF-8 text (byte {exc.start + 1})",
            EXIT_INPUT,
        ) from exc


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit // KiB} KiB"


@contextmanager
def spooled(path: str, what: str, limit: int) -> Iterator[str]:
    """A path to read ``path`` from as often as needed: the path itself once it proved
    readable; for ``-``, standard input copied into a temporary file (at most ``limit + 1``
    bytes, in chunks, so that an endless input stops there), removed afterwards."""
    if path != "-":
        read_upto(path, what, 0)  # readable (or exit 2 naming it), whatever its size
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="defledger-stdin-") as copy:
        copied = 0
        while copied <= limit:
            chunk = sys.stdin.buffer.read(min(CHUNK, limit + 1 - copied))
            if not chunk:
                break
            copy.write(chunk)
            copied += len(chunk)
        copy.flush()
        yield copy.name
