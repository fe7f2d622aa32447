"""``keygen``, ``checkpoint``, ``verify --checkpoint``, ``prove`` and ``verify-proof``."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import line
from helpers.audit_scenario import build_scenario, scenario_events

from ledger.storage.meta import LEDGER_ID_KEY, ensure_meta, ledger_id
from ledger.storage.store import EventStore

Cli = Callable[..., Result]


@pytest.fixture
def keys(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    result = cli("keygen", "board-of-audit", "-o", str(tmp_path / "board"))
    assert result.exit_code == 0, result.stderr
    return tmp_path / "board.key", tmp_path / "board.pub"


@pytest.fixture
def kept(cli: Cli, store: EventStore, keys: tuple[Path, Path], tmp_path: Path) -> Path:
    """A signed checkpoint of the whole scenario, kept by the auditor."""
    build_scenario(store)
    path = tmp_path / "kept.checkpoint"
    result = cli("checkpoint", "--sign", str(keys[0]), "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def _drop_guards(db_path: Path, sql: str, *params: Any) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute(sql, params)


def test_keygen__writes_a_private_0600_key_and_refuses_to_overwrite(
    cli: Cli, keys: tuple[Path, Path]
) -> None:
    private, public = keys
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert private.read_text().startswith("PRIVATE+KEY+board-of-audit+")
    assert public.read_text().startswith("board-of-audit+")
    before = private.read_bytes()
    again = cli("keygen", "other", "-o", str(private.with_suffix("")))
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert private.read_bytes() == before


def test_checkpoint__c2sp_text_with_origin_size_and_signature(
    kept: Path, store: EventStore
) -> None:
    text = kept.read_text()
    lines = text.split("\n")
    assert lines[0] == f"defledger/{ledger_id(store)}"
    assert lines[1] == "15"
    assert lines[3] == "" and lines[4].startswith("\u2014 board-of-audit ")


def test_checkpoint__as_of_a_seq(cli: Cli, store: EventStore) -> None:
    build_scenario(store)
    result = cli("checkpoint", "--as-of", "5")
    assert result.exit_code == 0
    assert result.stdout.split("\n")[1] == "5"


def test_verify_checkpoint__ok_and_still_ok_after_appends(
    cli: Cli, kept: Path, keys: tuple[Path, Path], store: EventStore
) -> None:
    result = cli("verify", "--checkpoint", str(kept), "--pubkey", str(keys[1]))
    assert result.exit_code == 0, result.stderr
    assert "extends the checkpoint of size 15 (signature verified)" in result.stdout
    store.append_events([line("LATER", "5")])
    assert cli("verify", "--checkpoint", str(kept), "--pubkey", str(keys[1])).exit_code == 0


def test_verify_checkpoint__truncated_ledger_fails(cli: Cli, kept: Path, db_path: Path) -> None:
    _drop_guards(db_path, "DELETE FROM events WHERE seq > 12")
    assert cli("verify").exit_code == 0  # the chain alone cannot see it
    result = cli("verify", "--checkpoint", str(kept))
    assert result.exit_code == 3
    assert "the ledger has 12 events; the checkpoint says 15" in result.stderr


def test_verify_checkpoint__whole_ledger_rewritten_fails(
    cli: Cli, kept: Path, store: EventStore, db_path: Path, tmp_path: Path
) -> None:
    fake_path = tmp_path / "fake.db"
    fake = EventStore.open(str(fake_path), create=True)
    ensure_meta(fake, LEDGER_ID_KEY, ledger_id(store))  # even the ledger id is copied
    for event in scenario_events():
        if (
            getattr(event.event, "amount", None) is not None
            and event.event.type == "BudgetLineRecorded"
        ):
            event = line(event.event.line_id, "1", event.event.category, program="x")
        fake.append_events([event])
    fake.close()
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    os.replace(fake_path, db_path)
    assert cli("verify").exit_code == 0  # self-consistent: the chain verifies
    result = cli("verify", "--checkpoint", str(kept))
    assert result.exit_code == 3
    assert "the history was rewritten" in result.stderr


def test_verify_checkpoint__wrong_key_fails(cli: Cli, kept: Path, tmp_path: Path) -> None:
    assert cli("keygen", "impostor", "-o", str(tmp_path / "impostor")).exit_code == 0
    result = cli("verify", "--checkpoint", str(kept), "--pubkey", str(tmp_path / "impostor.pub"))
    assert result.exit_code == 3
    assert "checkpoint signature" in result.stderr


def test_verify_checkpoint__of_another_ledger_fails(cli: Cli, kept: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.checkpoint"
    text = kept.read_text().split("\n")
    text[0] = "defledger/00000000-0000-0000-0000-000000000000"
    other.write_text("\n".join(text[:3]) + "\n")
    result = cli("verify", "--checkpoint", str(other))
    assert result.exit_code == 3
    assert "the checkpoint is for defledger/00000000" in result.stderr


def _prove(cli: Cli, kept: Path, seq: int = 12) -> dict[str, Any]:
    result = cli("prove", str(seq), "--checkpoint", str(kept))
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _verify_proof(document: dict[str, Any], kept: Path, tmp_path: Path, *extra: str) -> Result:
    """verify-proof with a --db that does not exist: it must not need one."""
    from cli.app import cli as app

    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document))
    args = [
        "--db",
        str(tmp_path / "absent.db"),
        "verify-proof",
        str(path),
        "--checkpoint",
        str(kept),
    ]
    return CliRunner().invoke(app, [*args, *extra])


def test_prove__then_verify_proof_offline(
    cli: Cli, kept: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    document = _prove(cli, kept)
    assert (document["seq"], document["leaf_index"], document["tree_size"]) == (12, 11, 15)
    assert document["event"]["seq"] == 12 and len(document["proof"]) == 4
    result = _verify_proof(document, kept, tmp_path, "--pubkey", str(keys[1]))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: seq 12 is in the ledger's first 15 events")
    assert not (tmp_path / "absent.db").exists()


def _flip(hex_text: str, bit: int = 0) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "index+1": lambda d: d.update(leaf_index=d["leaf_index"] + 1, seq=d["seq"] + 1),
    "index-1": lambda d: d.update(leaf_index=d["leaf_index"] - 1),
    "size*2": lambda d: d.update(tree_size=d["tree_size"] * 2),
    "size/2": lambda d: d.update(tree_size=d["tree_size"] // 2),
    "flip-proof-bit": lambda d: d["proof"].__setitem__(1, _flip(d["proof"][1], 77)),
    "drop-component": lambda d: d["proof"].pop(),
    "add-component": lambda d: d["proof"].append("00" * 32),
    "wrong-leaf": lambda d: d.update(leaf_hash=_flip(d["leaf_hash"])),
    "wrong-event-hash": lambda d: d.update(event_hash=_flip(d["event_hash"], 255)),
    "edited-event": lambda d: d["event"]["payload"].update(amount="1"),
    "wrong-root": lambda d: d.update(root=_flip(d["root"])),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_verify_proof__every_mutated_proof_is_rejected(
    cli: Cli, kept: Path, tmp_path: Path, mutation: str
) -> None:
    document = _prove(cli, kept)
    MUTATIONS[mutation](document)
    result = _verify_proof(document, kept, tmp_path)
    assert result.exit_code == 3, (mutation, result.output)
    assert "the proof does not verify" in result.stderr


def test_verify_proof__wrong_key_is_rejected(cli: Cli, kept: Path, tmp_path: Path) -> None:
    document = _prove(cli, kept)
    cli("keygen", "impostor", "-o", str(tmp_path / "impostor"))
    result = _verify_proof(document, kept, tmp_path, "--pubkey", str(tmp_path / "impostor.pub"))
    assert result.exit_code == 3
    assert "checkpoint signature" in result.stderr


def test_prove__against_a_rewritten_ledger_fails(cli: Cli, kept: Path, db_path: Path) -> None:
    _drop_guards(db_path, "DELETE FROM events WHERE seq > 14")
    result = cli("prove", "3", "--checkpoint", str(kept))
    assert result.exit_code == 3
    assert "the ledger has 14 events; the checkpoint says 15" in result.stderr
