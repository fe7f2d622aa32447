"""Ed25519 signed checkpoints in the C2SP tlog-checkpoint + signed-note text formats.

Formats (c2sp.org/signed-note, c2sp.org/tlog-checkpoint, golang.org/x/mod/sumdb/note):

* private key: ``PRIVATE+KEY+<name>+<keyid hex8>+<base64(0x01 || 32-byte seed)>``
* verifier key: ``<name>+<keyid hex8>+<base64(0x01 || 32-byte public key)>``
* key ID rule (signed-note, Ed25519 = signature type 0x01)::

      key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]

* signed note: text ending in ``\\n``, one blank line, then one or more lines
  ``— <key name> <base64(key ID || 64-byte signature)>\\n`` (em dash U+2014). The
  signature covers the note text including its final newline.
* checkpoint note text: ``<origin>\\n<size>\\n<base64 root>\\n`` then optional
  non-empty extension lines.

Key names must be non-empty and contain no Unicode space, ``+`` or control
character. Only ``write_key_file`` does I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from events.quoting import named, quoted

__all__ = [
    "Checkpoint",
    "Signature",
    "SignatureError",
    "generate_keypair",
    "key_id",
    "parse_signed_checkpoint",
    "parse_signed_note",
    "sign_bytes",
    "sign_checkpoint",
    "sign_note",
    "verifier_key_from_private",
    "verify_bytes",
    "verify_checkpoint_signature",
    "verify_note",
    "write_key_file",
]

ALG_ED25519 = 0x01
EM_DASH = "\u2014"
MAX_SIGNATURES = 100
_SIZE_RE = re.compile(r"(?:0|[1-9][0-9]*)\Z", re.ASCII)
_HEX8_RE = re.compile(r"[0-9a-f]{8}\Z")


class SignatureError(ValueError):
    """A key, signed note or signature is malformed, or no trusted signature verifies."""


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature line of a signed note; ``signature`` excludes the 4-byte key ID."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An RFC 6962 tree head as a C2SP checkpoint body (``root`` is 32 raw bytes)."""

    origin: str
    size: int
    root: bytes
    extra_lines: tuple[str, ...] = ()

    def body(self) -> bytes:
        """Return the UTF-8 note text; raises SignatureError if a field cannot be encoded."""
        if not _valid_line(self.origin):
            raise SignatureError(f"invalid checkpoint origin {quoted(self.origin)}")
        if (
            not isinstance(self.size, int)
            or isinstance(self.size, bool)
            or not 0 <= self.size < 2**64
        ):
            raise SignatureError(f"invalid checkpoint size {quoted(self.size)}")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise SignatureError("checkpoint root must be 32 bytes")
        for line in self.extra_lines:
            if not _valid_line(line):
                raise SignatureError(f"invalid checkpoint extension line {quoted(line)}")
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode("ascii"),
        ]
        return ("\n".join([*lines, *self.extra_lines]) + "\n").encode("utf-8")


def _valid_line(line: object) -> bool:
    """True for a non-empty str with no control character (newline included)."""
    return isinstance(line, str) and line != "" and not any(ch < " " for ch in line)


def _valid_name(name: object) -> bool:
    """signed-note key name rule: non-empty, no Unicode space, no '+', no control char."""
    if not isinstance(name, str) or not _valid_line(name):
        return False
    return "+" not in name and not any(ch.isspace() for ch in name)


def _b64decode(text: str, what: str) -> bytes:
    """Strict, canonical standard base64 (RFC 4648 section 4) or SignatureError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SignatureError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise SignatureError(f"{what} is not canonical base64")
    return raw


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte signed-note key ID: SHA-256(name || 0x0A || 0x01 || pubkey)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    ).digest()[:4]


def _format_keys(name: str, private: Ed25519PrivateKey) -> tuple[str, str]:
    pub = private.public_key().public_bytes_raw()
    kid = key_id(name, pub).hex()
    seed = base64.b64encode(bytes([ALG_ED25519]) + private.private_bytes_raw()).decode("ascii")
    vkey = base64.b64encode(bytes([ALG_ED25519]) + pub).decode("ascii")
    return f"PRIVATE+KEY+{name}+{kid}+{seed}", f"{name}+{kid}+{vkey}"


def generate_keypair(name: str, seed: bytes | None = None) -> tuple[str, str]:
    """Return ``(private_key_text, verifier_key_text)`` for a new Ed25519 key named ``name``.

    ``seed`` (32 bytes) makes the key deterministic, for tests and known-answer
    vectors; by default a fresh random key is generated. Raises ValueError for
    an invalid key name or seed length.
    """
    if not _valid_name(name):
        raise ValueError(
            f"invalid key name {quoted(name)}: must be non-empty, without spaces or '+'"
        )
    if seed is None:
        private = Ed25519PrivateKey.generate()
    elif len(seed) != 32:
        raise ValueError("Ed25519 seed must be 32 bytes")
    else:
        private = Ed25519PrivateKey.from_private_bytes(bytes(seed))
    return _format_keys(name, private)


def _parse_private(text: str) -> tuple[str, bytes, Ed25519PrivateKey]:
    """Parse private key text into (name, key ID, key), checking the embedded key ID."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise SignatureError("malformed private key: expected PRIVATE+KEY+<name>+<id>+<key>")
    name, kid_hex, data = parts[2], parts[3], _b64decode(parts[4], "private key")
    if not _valid_name(name) or not _HEX8_RE.match(kid_hex):
        raise SignatureError("malformed private key: bad name or key ID")
    if len(data) != 33 or data[0] != ALG_ED25519:
        raise SignatureError("malformed private key: not an Ed25519 signed-note key")
    private = Ed25519PrivateKey.from_private_bytes(data[1:])
    kid = key_id(name, private.public_key().public_bytes_raw())
    if kid.hex() != kid_hex:
        raise SignatureError("malformed private key: key ID does not match the key")
    return name, kid, private


def _parse_verifier(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Parse verifier key text into (name, key ID, key), checking the embedded key ID."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise SignatureError("malformed verifier key: expected <name>+<id>+<key>")
    name, kid_hex, data = parts[0], parts[1], _b64decode(parts[2], "verifier key")
    if not _valid_name(name) or not _HEX8_RE.match(kid_hex):
        raise SignatureError("malformed verifier key: bad name or key ID")
    if len(data) != 33 or data[0] != ALG_ED25519:
        raise SignatureError("malformed verifier key: not an Ed25519 signed-note key")
    if key_id(name, data[1:]).hex() != kid_hex:
        raise SignatureError("malformed verifier key: key ID does not match the key")
    return name, bytes.fromhex(kid_hex), Ed25519PublicKey.from_public_bytes(data[1:])


def verifier_key_from_private(private_key_text: str) -> str:
    """Return the verifier key text matching ``private_key_text``."""
    name, _, private = _parse_private(private_key_text)
    return _format_keys(name, private)[1]


def write_key_file(path: str | os.PathLike[str], text: str, private: bool) -> None:
    """Create ``path`` holding ``text`` plus a newline, mode 0600 if private else 0644.

    The file is created with O_CREAT|O_EXCL (and O_NOFOLLOW), so an existing
    file or symlink is never overwritten: FileExistsError is raised instead.
    The data is fsync'ed before returning.
    """
    mode = 0o600 if private else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(Path(path), flags, mode)
    try:
        os.fchmod(fd, mode)  # exact mode regardless of the umask
        data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def sign_bytes(private_key_text: str, data: bytes) -> bytes:
    """Return the 64-byte detached Ed25519 signature (RFC 8032, pure) of ``data``."""
    return _parse_private(private_key_text)[2].sign(bytes(data))


def verify_bytes(verifier_key_text: str, data: bytes, sig: bytes) -> None:
    """Return None if ``sig`` is a valid signature of ``data``; else raise SignatureError."""
    name, kid, public = _parse_verifier(verifier_key_text)
    try:
        public.verify(bytes(sig), bytes(data))
    except InvalidSignature:
        raise SignatureError(
            f"signature does not verify with key {named(name)}+{kid.hex()}"
        ) from None


def sign_note(text: str, private_key_text: str) -> str:
    """Return the signed note: ``text``, a blank line, then one Ed25519 signature line.

    ``text`` must be non-empty, end with a newline and contain no control
    character other than newline; otherwise SignatureError is raised.
    """
    if not text.endswith("\n") or any(ch < " " and ch != "\n" for ch in text):
        raise SignatureError("note text must end with a newline and contain no control characters")
    name, kid, private = _parse_private(private_key_text)
    sig = private.sign(text.encode("utf-8"))
    return f"{text}\n{EM_DASH} {name} {base64.b64encode(kid + sig).decode('ascii')}\n"


def parse_signed_note(note: str | bytes) -> tuple[str, list[Signature]]:
    """Split a signed note into (text, signatures) without verifying anything.

    A text with no blank line is accepted as an unsigned note (no signatures).
    Raises SignatureError if the note is not valid UTF-8, contains a control
    character other than newline, does not end with a newline, has an empty
    signature block or a malformed signature line, or has too many signatures.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("malformed note: not valid UTF-8") from None
    if not note.endswith("\n") or any(ch < " " and ch != "\n" for ch in note):
        raise SignatureError("malformed note: must end with a newline, no control characters")
    split = note.rfind("\n\n")
    if split < 0:
        return note, []
    text, block = note[: split + 1], note[split + 2 :]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise SignatureError("malformed note: blank line but no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise SignatureError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    sigs: list[Signature] = []
    for line in lines:
        prefix, _, rest = line.partition(" ")
        name, _, blob = rest.partition(" ")
        if prefix != EM_DASH or not _valid_name(name) or not blob or " " in blob:
            raise SignatureError(f"malformed note: bad signature line {quoted(line)}")
        raw = _b64decode(blob, "signature")
        if len(raw) < 5:
            raise SignatureError("malformed note: signature too short")
        sigs.append(Signature(name=name, key_id=raw[:4], signature=raw[4:]))
    return text, sigs


def verify_note(note: str | bytes, verifier_key_text: str) -> str:
    """Return the note text if a signature by the verifier key verifies.

    Signatures from other keys (different name or key ID) are ignored, as the
    signed-note spec requires. Raises SignatureError if the note or key is
    malformed, if any signature claiming this key fails, or if there is none.
    """
    name, kid, public = _parse_verifier(verifier_key_text)
    text, sigs = parse_signed_note(note)
    matching = [s for s in sigs if s.name == name and s.key_id == kid]
    if not matching:
        raise SignatureError(f"no signature by key {named(name)}+{kid.hex()} in note")
    for sig in matching:
        try:
            public.verify(sig.signature, text.encode("utf-8"))
        except InvalidSignature:
            raise SignatureError(
                f"signature by key {named(name)}+{kid.hex()} does not verify"
            ) from None
    return text


def _parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse a checkpoint note text (ending in a newline) or raise SignatureError."""
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise SignatureError("malformed checkpoint: needs origin, size and root hash lines")
    origin, size_text, root_text, *extra = lines
    if not _SIZE_RE.match(size_text) or int(size_text) >= 2**64:
        raise SignatureError(f"malformed checkpoint: bad tree size {quoted(size_text)}")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise SignatureError("malformed checkpoint: root hash is not 32 bytes")
    return Checkpoint(origin=origin, size=int(size_text), root=root, extra_lines=tuple(extra))


def sign_checkpoint(cp: Checkpoint, private_key_text: str) -> str:
    """Return ``cp`` as a signed note carrying one Ed25519 signature line."""
    return sign_note(cp.body().decode("utf-8"), private_key_text)


def parse_signed_checkpoint(text: str | bytes) -> tuple[Checkpoint, list[Signature]]:
    """Parse a (signed or unsigned) checkpoint note without verifying signatures.

    Raises SignatureError if the note or the checkpoint body is malformed.
    """
    body, sigs = parse_signed_note(text)
    return _parse_checkpoint_text(body), sigs


def verify_checkpoint_signature(text: str | bytes, verifier_key_text: str) -> Checkpoint:
    """Return the checkpoint if it carries a valid signature by the verifier key.

    Raises SignatureError (one-line message) if the note, body or key is
    malformed, or no signature by that key verifies.
    """
    parse_signed_checkpoint(text)  # reject a malformed body even when signed
    return _parse_checkpoint_text(verify_note(text, verifier_key_text))
