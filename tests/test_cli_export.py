"""``export`` and ``verify-export`` through the CLI: a good bundle verifies offline; each kind
of tampering is reported with its own message (file and row) and exit code 3."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers.audit_scenario import build_scenario

from ledger.audit.signing import generate_keypair, sign_bytes
from ledger.storage.store import EventStore

Cli = Callable[..., Result]


@pytest.fixture
def keyfiles(tmp_path: Path) -> tuple[Path, Path]:
    private, public = generate_keypair("board-of-audit", seed=bytes(range(32)))
    (tmp_path / "board.key").write_text(private + "\n")
    (tmp_path / "board.pub").write_text(public + "\n")
    return tmp_path / "board.key", tmp_path / "board.pub"


def _export(cli: Cli, tmp_path: Path, name: str, *extra: str) -> Path:
    result = cli("export", "-o", name, "--root", str(tmp_path), *extra)
    assert result.exit_code == 0, result.stderr
    return tmp_path / name


@pytest.fixture
def signed(cli: Cli, store: EventStore, tmp_path: Path, keyfiles: tuple[Path, Path]) -> Path:
    build_scenario(store)
    return _export(cli, tmp_path, "signed", "--sign", str(keyfiles[0]), "--cloudevents")


@pytest.fixture
def unsigned(cli: Cli, store: EventStore, tmp_path: Path) -> Path:
    build_scenario(store)
    return _export(cli, tmp_path, "unsigned")


def _verify(bundle: Path, *extra: str) -> tuple[Result, list[dict[str, Any]]]:
    """verify-export with a --db that does not exist (it is offline) and JSON output."""
    from cli.app import cli as app

    args = [
        "--db",
        str(bundle.parent / "absent.db"),
        "verify-export",
        str(bundle),
        "--format",
        "json",
    ]
    result = CliRunner().invoke(app, [*args, *extra])
    problems = json.loads(result.stdout)["problems"] if result.stdout.strip() else []
    return result, problems


def _messages(problems: list[dict[str, Any]]) -> list[str]:
    return [p["message"] for p in problems]


def _rehash(bundle: Path) -> None:
    """What a forger without the key can do: rewrite SHA256SUMS to match edited files."""
    names = sorted(
        p.name for p in bundle.iterdir() if p.name not in ("SHA256SUMS", "SHA256SUMS.sig")
    )
    sums = "".join(f"{hashlib.sha256((bundle / n).read_bytes()).hexdigest()}  {n}\n" for n in names)
    (bundle / "SHA256SUMS").write_text(sums)


def test_verify_export__a_good_signed_bundle_verifies(
    signed: Path, keyfiles: tuple[Path, Path]
) -> None:
    from cli.app import cli as app

    result = CliRunner().invoke(app, ["verify-export", str(signed), "--pubkey", str(keyfiles[1])])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 12 files, 15 events, Merkle root ")
    assert "signature verified with board-of-audit+" in result.stdout
    assert not (signed.parent / "absent.db").exists()


def test_verify_export__a_flipped_csv_byte(signed: Path) -> None:
    path = signed / "lines.csv"
    data = bytearray(path.read_bytes())
    data[data.index(b"260000000000")] ^= 0x01  # '2' -> '3'
    path.write_bytes(bytes(data))
    result, problems = _verify(signed)
    assert result.exit_code == 3
    assert "sha256 mismatch: lines.csv" in _messages(problems)
    assert any(
        m.startswith("lines.csv row 2: JP FY2025 JCG: amount is '360000000000', the events give")
        for m in _messages(problems)
    )


def test_verify_export__a_swapped_signature(signed: Path, keyfiles: tuple[Path, Path]) -> None:
    other, _ = generate_keypair("board-of-audit", seed=bytes(32))
    forged = base64.b64encode(sign_bytes(other, (signed / "SHA256SUMS").read_bytes()))
    (signed / "SHA256SUMS.sig").write_bytes(forged + b"\n")
    result, problems = _verify(signed, "--pubkey", str(keyfiles[1]))
    assert result.exit_code == 3
    assert _messages(problems) == [
        "SHA256SUMS.sig: signature does not verify with key board-of-audit+"
        + keyfiles[1].read_text().split("+")[1]
    ]


def test_verify_export__a_stray_file(signed: Path) -> None:
    (signed / "notes.txt").write_text("added later")
    result, problems = _verify(signed)
    assert result.exit_code == 3
    assert _messages(problems) == ["unexpected file: notes.txt (not in SHA256SUMS)"]


def test_verify_export__a_deleted_file(signed: Path) -> None:
    (signed / "totals.csv").unlink()
    result, problems = _verify(signed)
    assert result.exit_code == 3
    assert "missing file: totals.csv (listed in SHA256SUMS)" in _messages(problems)
    assert "verify-export failed" in result.stderr


def test_verify_export__a_truncated_events_jsonl(signed: Path) -> None:
    path = signed / "events.jsonl"
    path.write_bytes(path.read_bytes()[:-300])
    result, problems = _verify(signed)
    messages = _messages(problems)
    assert result.exit_code == 3
    assert "sha256 mismatch: events.jsonl" in messages
    assert "events.jsonl: the file does not end with a newline (truncated?)" in messages
    assert any(m.startswith("events.jsonl line 15: not JSON") for m in messages)
    assert "checkpoint: the checkpoint says 15 events; events.jsonl has 14" in messages


def test_verify_export__dropped_events_with_a_rewritten_manifest(unsigned: Path) -> None:
    path = unsigned / "events.jsonl"
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:13]))
    _rehash(unsigned)
    result, problems = _verify(unsigned)
    messages = _messages(problems)
    assert result.exit_code == 3
    assert "checkpoint: the checkpoint says 15 events; events.jsonl has 13" in messages
    assert "events.csv row 14: seq 14: not produced by the events" in messages


def test_verify_export__an_edited_totals_cell_is_recomputed_and_named(unsigned: Path) -> None:
    path = unsigned / "totals.csv"
    path.write_bytes(path.read_bytes().replace(b",260000000000,", b",1,", 1))
    _rehash(unsigned)  # the manifest alone would now pass
    result, problems = _verify(unsigned)
    assert result.exit_code == 3
    assert (
        "totals.csv row 2: JP FY2025 jp-defense-related@1 related: total is '1', "
        "the events give '260000000000'"
    ) in _messages(problems)
    assert {"file": "totals.csv", "row": 2} == {
        k: v for k, v in problems[-1].items() if k in ("file", "row")
    }


def test_verify_export__an_edited_event_breaks_the_chain(unsigned: Path) -> None:
    path = unsigned / "events.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"8500000000000"', b'"9500000000000"'))
    _rehash(unsigned)
    result, problems = _verify(unsigned)
    messages = _messages(problems)
    assert result.exit_code == 3
    assert "events.jsonl line 10: seq 10: hash does not match the line's contents" in messages


def test_verify_export__an_unsigned_bundle_fails_when_a_key_is_required(
    unsigned: Path, keyfiles: tuple[Path, Path]
) -> None:
    result, problems = _verify(unsigned, "--pubkey", str(keyfiles[1]))
    assert result.exit_code == 3
    assert "missing file: SHA256SUMS.sig (the bundle is not signed)" in _messages(problems)


def test_verify_export__a_checkpoint_from_another_tree(signed: Path, cli: Cli) -> None:
    text = cli("checkpoint", "--as-of", "14").stdout
    (signed / "checkpoint").write_text(text.replace("\n14\n", "\n15\n"))
    _rehash(signed)
    result, problems = _verify(signed)
    assert result.exit_code == 3
    assert any(
        m.startswith("checkpoint: events.jsonl has Merkle root ") for m in _messages(problems)
    )


def test_export__refused_path_is_exit_2_and_writes_nothing(
    cli: Cli, store: EventStore, tmp_path: Path
) -> None:
    build_scenario(store)
    root = tmp_path / "root"
    root.mkdir()
    result = cli("export", "-o", "../outside", "--root", str(root))
    assert result.exit_code == 2
    assert "contains '..': refused" in result.stderr
    assert not (tmp_path / "outside").exists() and list(root.iterdir()) == []


def test_export__parquet_without_pyarrow_says_so(
    cli: Cli, store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.exports import parquet as export_parquet

    monkeypatch.setattr(export_parquet, "available", lambda: False)
    build_scenario(store)
    result = cli("export", "-o", "b", "--root", str(tmp_path), "--parquet", "--as-of", "3")
    assert result.exit_code == 0
    assert "note: parquet skipped: pyarrow is not installed" in result.stderr
    assert "exported 3 events (seq 1..3)" in result.stdout
