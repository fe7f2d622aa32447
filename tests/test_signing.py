"""Tests for ledger.audit.signing: Ed25519 known answers, signed notes and checkpoints, key
files."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest

from ledger.audit.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes
from ledger.audit.signing import (
    Checkpoint,
    Signature,
    SignatureError,
    generate_keypair,
    key_id,
    parse_signed_checkpoint,
    parse_signed_note,
    sign_bytes,
    sign_checkpoint,
    sign_note,
    verifier_key_from_private,
    verify_bytes,
    verify_checkpoint_signature,
    verify_note,
    write_key_file,
)

# RFC 8032 section 7.1, TEST 1 (also in reliability.md section 4).
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

# golang.org/x/mod/sumdb/note package documentation and note_test.go.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# c2sp.org/signed-note worked example.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

ORIGIN = "ledger.example/defledger"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_keypair(ORIGIN)


@pytest.fixture(scope="module")
def checkpoint() -> Checkpoint:
    root = root_from_leaf_hashes(leaf_hash(bytes([i])) for i in range(10))
    return Checkpoint(origin=ORIGIN, size=10, root=root)


def test_sign_bytes__rfc8032_test1_known_answer() -> None:
    private, verifier = generate_keypair("rfc8032", seed=RFC8032_SECRET)
    name, kid_hex, blob = verifier.split("+", 2)
    assert (name, base64.b64decode(blob)) == ("rfc8032", b"\x01" + RFC8032_PUBLIC)
    assert kid_hex == hashlib.sha256(b"rfc8032\n\x01" + RFC8032_PUBLIC).digest()[:4].hex()
    assert base64.b64decode(private.split("+", 4)[4]) == b"\x01" + RFC8032_SECRET
    assert sign_bytes(private, b"") == RFC8032_SIG
    verify_bytes(verifier, b"", RFC8032_SIG)


def test_verify_bytes__rejects_tampered_data_signature_and_key(keys: tuple[str, str]) -> None:
    private, verifier = keys
    data = b"SHA256SUMS manifest\n"
    sig = sign_bytes(private, data)
    verify_bytes(verifier, data, sig)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_bytes(verifier, data + b" ", sig)
    with pytest.raises(SignatureError):
        verify_bytes(verifier, data, sig[:-1] + bytes([sig[-1] ^ 1]))
    with pytest.raises(SignatureError):
        verify_bytes(verifier, data, sig[:63])
    with pytest.raises(SignatureError):
        verify_bytes(generate_keypair(ORIGIN)[1], data, sig)


def test_key_id__signed_note_rule() -> None:
    pub = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]
    assert key_id("PeterNeumann", pub).hex() == "c74f20a3"


def test_sign_note__go_sumdb_known_answer() -> None:
    assert verifier_key_from_private(GO_SKEY) == GO_VKEY
    note = sign_note(GO_TEXT, GO_SKEY)
    assert note == GO_TEXT + "\n" + PETER_SIG
    assert verify_note(note, GO_VKEY) == GO_TEXT


def test_verify_note__c2sp_spec_example() -> None:
    assert verify_note(SPEC_NOTE, SPEC_VKEY) == "This is an example message.\n"
    assert verify_note(SPEC_NOTE.encode("utf-8"), SPEC_VKEY) == "This is an example message.\n"


def test_verify_note__multiple_signatures_other_keys_ignored(keys: tuple[str, str]) -> None:
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(note, GO_VKEY) == GO_TEXT
    assert verify_note(note, ENOCH_VKEY) == GO_TEXT
    with pytest.raises(SignatureError, match="no signature by key"):
        verify_note(note, keys[1])


def test_verify_note__known_key_with_bad_signature_rejects_note() -> None:
    bad = PETER_SIG.replace("ZJkuBS9U", "ZJkuBS9V")  # keeps the key ID bytes
    with pytest.raises(SignatureError, match="does not verify"):
        verify_note(GO_TEXT + "\n" + bad + PETER_SIG, GO_VKEY)


def test_sign_checkpoint__round_trip(keys: tuple[str, str], checkpoint: Checkpoint) -> None:
    private, verifier = keys
    note = sign_checkpoint(checkpoint, private)
    body = f"{ORIGIN}\n10\n{base64.b64encode(checkpoint.root).decode()}\n"
    assert note.startswith(body + "\n— " + ORIGIN + " ")
    assert note.endswith("\n")
    assert verify_checkpoint_signature(note, verifier) == checkpoint
    parsed, sigs = parse_signed_checkpoint(note)
    assert parsed == checkpoint
    assert len(sigs) == 1 and isinstance(sigs[0], Signature)
    assert sigs[0].name == ORIGIN and len(sigs[0].signature) == 64
    assert sigs[0].key_id.hex() == verifier.split("+")[1]


def test_sign_checkpoint__extension_lines_and_empty_tree(keys: tuple[str, str]) -> None:
    private, verifier = keys
    cp = Checkpoint(origin=ORIGIN, size=0, root=EMPTY_ROOT, extra_lines=("time 1700000000", "x"))
    note = sign_checkpoint(cp, private)
    assert note.startswith(
        f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntime 1700000000\nx\n\n"
    )
    assert verify_checkpoint_signature(note, verifier) == cp


def test_parse_signed_checkpoint__unsigned_body(checkpoint: Checkpoint) -> None:
    parsed, sigs = parse_signed_checkpoint(checkpoint.body())
    assert parsed == checkpoint and sigs == []


def test_verify_checkpoint_signature__unsigned_rejected(
    keys: tuple[str, str], checkpoint: Checkpoint
) -> None:
    with pytest.raises(SignatureError, match="no signature"):
        verify_checkpoint_signature(checkpoint.body().decode(), keys[1])


@pytest.mark.parametrize(
    ("old", "new"),
    [("\n10\n", "\n11\n"), ("\n10\n", "\n9\n"), (ORIGIN + "\n", "ledger.example/other\n")],
)
def test_verify_checkpoint_signature__tampered_body_rejected(
    keys: tuple[str, str], checkpoint: Checkpoint, old: str, new: str
) -> None:
    note = sign_checkpoint(checkpoint, keys[0])
    tampered = note.replace(old, new, 1)
    assert tampered != note
    with pytest.raises(SignatureError, match="does not verify"):
        verify_checkpoint_signature(tampered, keys[1])


def test_verify_checkpoint_signature__tampered_root_rejected(
    keys: tuple[str, str], checkpoint: Checkpoint
) -> None:
    note = sign_checkpoint(checkpoint, keys[0])
    root_b64 = base64.b64encode(checkpoint.root).decode()
    other = base64.b64encode(bytes([checkpoint.root[0] ^ 1]) + checkpoint.root[1:]).decode()
    with pytest.raises(SignatureError):
        verify_checkpoint_signature(note.replace(root_b64, other), keys[1])


def test_verify_checkpoint_signature__wrong_key_rejected(
    keys: tuple[str, str], checkpoint: Checkpoint
) -> None:
    note = sign_checkpoint(checkpoint, keys[0])
    other_same_name = generate_keypair(ORIGIN)[1]
    with pytest.raises(SignatureError, match="no signature by key"):
        verify_checkpoint_signature(note, other_same_name)
    with pytest.raises(SignatureError, match="no signature by key"):
        verify_checkpoint_signature(note, GO_VKEY)


def test_verify_checkpoint_signature__same_id_different_key_rejected(
    keys: tuple[str, str], checkpoint: Checkpoint
) -> None:
    note = sign_checkpoint(checkpoint, keys[0])
    impostor = generate_keypair(ORIGIN)[0]
    forged_sig = note.split("\n")[-2].split(" ")[2]
    fake = base64.b64decode(forged_sig)[:4] + sign_bytes(impostor, checkpoint.body())
    forged = note.replace(forged_sig, base64.b64encode(fake).decode())
    with pytest.raises(SignatureError, match="does not verify"):
        verify_checkpoint_signature(forged, keys[1])


def _valid_note(keys: tuple[str, str], checkpoint: Checkpoint) -> str:
    return sign_checkpoint(checkpoint, keys[0])


MALFORMED = {
    "no final newline": lambda n: n[:-1],
    "blank line without signatures": lambda n: n.split("\n\n")[0] + "\n\n",
    "hyphen instead of em dash": lambda n: n.replace("— ", "- "),
    "missing signature blob": lambda n: n.rsplit(" ", 1)[0] + "\n",
    "bad base64": lambda n: n.rsplit(" ", 1)[0] + " !!!!\n",
    "short signature": lambda n: n.rsplit(" ", 1)[0] + " AAAA\n",
    "control character": lambda n: n.replace("\n10\n", "\n10\r\n"),
    "leading zero size": lambda n: n.replace("\n10\n", "\n010\n"),
    "signed size": lambda n: n.replace("\n10\n", "\n+10\n"),
    "non-ascii digits": lambda n: n.replace("\n10\n", "\n\u0661\u0660\n"),
    "missing root": lambda n: n.replace(n.split("\n")[2] + "\n", "", 1),
    "short root": lambda n: n.replace(n.split("\n")[2], base64.b64encode(b"x" * 31).decode()),
    "empty extension line": lambda n: n.replace("\n\n", "\n\nx\n\n", 1),
    "empty": lambda n: "",
    "just newline": lambda n: "\n",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_verify_checkpoint_signature__malformed_note_rejected(
    keys: tuple[str, str], checkpoint: Checkpoint, case: str
) -> None:
    note = MALFORMED[case](_valid_note(keys, checkpoint))
    with pytest.raises(SignatureError) as info:
        verify_checkpoint_signature(note, keys[1])
    assert "\n" not in str(info.value)
    with pytest.raises(SignatureError):
        parse_signed_checkpoint(note)


def test_parse_signed_note__invalid_utf8_rejected() -> None:
    with pytest.raises(SignatureError, match="UTF-8"):
        parse_signed_note(b"origin\n1\n\xff\n")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_SKEY,
    ],
)
def test_verify_note__malformed_verifier_key_rejected(key: str) -> None:
    with pytest.raises(SignatureError):
        verify_note(GO_TEXT + "\n" + PETER_SIG, key)


@pytest.mark.parametrize(
    "key",
    [GO_VKEY, GO_SKEY.replace("c74f20a3", "c74f20a4"), "PRIVATE+KEY+x+00000000+AAAA", "nonsense"],
)
def test_sign_note__malformed_private_key_rejected(key: str) -> None:
    with pytest.raises(SignatureError):
        sign_note(GO_TEXT, key)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\nb", "a\u00a0b"])
def test_generate_keypair__invalid_name_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        generate_keypair(name)


def test_checkpoint_body__invalid_fields_rejected(keys: tuple[str, str]) -> None:
    for cp in [
        Checkpoint(origin="", size=1, root=EMPTY_ROOT),
        Checkpoint(origin="a\nb", size=1, root=EMPTY_ROOT),
        Checkpoint(origin=ORIGIN, size=-1, root=EMPTY_ROOT),
        Checkpoint(origin=ORIGIN, size=1, root=b"short"),
        Checkpoint(origin=ORIGIN, size=1, root=EMPTY_ROOT, extra_lines=("",)),
    ]:
        with pytest.raises(SignatureError):
            sign_checkpoint(cp, keys[0])


def test_write_key_file__private_is_0600_and_refuses_overwrite(
    tmp_path: Path, keys: tuple[str, str]
) -> None:
    private, verifier = keys
    path = tmp_path / "ledger.key"
    old_umask = os.umask(0)
    try:
        write_key_file(path, private, private=True)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == private + "\n"
    with pytest.raises(FileExistsError):
        write_key_file(path, generate_keypair(ORIGIN)[0], private=True)
    assert path.read_text() == private + "\n"
    assert sign_bytes(path.read_text(), b"x") == sign_bytes(private, b"x")


def test_write_key_file__public_is_0644(tmp_path: Path, keys: tuple[str, str]) -> None:
    path = tmp_path / "ledger.pub"
    old_umask = os.umask(0o077)
    try:
        write_key_file(path, keys[1], private=False)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    verify_bytes(path.read_text(), b"x", sign_bytes(keys[0], b"x"))


def test_write_key_file__refuses_symlink(tmp_path: Path, keys: tuple[str, str]) -> None:
    target = tmp_path / "target"
    link = tmp_path / "link.key"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        write_key_file(link, keys[0], private=True)
    assert not target.exists()
