"""The docs are part of the suite: generated references are current, examples compute."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ledger.storage.canonical import canonical_json
from ledger.storage.chain import GENESIS_HASH, chain_hash, envelope_bytes

ROOT = Path(__file__).resolve().parent.parent


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("relative", ["docs/events.md", "docs/cli.md", "docs/chain.md"])
def test_generated_docs__are_current(relative: str) -> None:
    expected = _generator().GENERATED[relative]()
    actual = (ROOT / relative).read_text(encoding="utf-8")
    assert actual == expected, f"{relative} is stale: run python scripts/gen_docs.py"


def test_every_command__has_help_text() -> None:
    from cli.app import cli

    def walk(command: click.Command, path: str) -> None:
        assert command.help and command.help.strip(), f"{path} has no help"
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, f"{path} {name}")

    walk(cli, "defledger")


def test_chain_md__worked_example_hashes_as_stated() -> None:
    text = (ROOT / "docs" / "chain.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.+?)\n```", text, re.S)
    stated = re.search(r"```text\n([0-9a-f]{64})\n```", text)
    assert example and stated
    envelope = json.loads(example.group(1))
    rebuilt = envelope_bytes(
        seq=envelope["seq"],
        event_id=envelope["event_id"],
        stream=envelope["stream"],
        stream_version=envelope["stream_version"],
        type=envelope["type"],
        schema_version=envelope["schema_version"],
        payload_json=canonical_json(envelope["payload"]),
        recorded_at=envelope["recorded_at"],
        actor=envelope["actor"],
        reason=envelope["reason"],
        source_json=canonical_json(envelope["source"]),
        idempotency_key=envelope["idempotency_key"],
        prev_hash=GENESIS_HASH,
    )
    assert rebuilt == example.group(1).encode()
    assert chain_hash(GENESIS_HASH, rebuilt).hex() == stated.group(1)


def test_chain_md__script_matches_the_shipped_copy() -> None:
    text = (ROOT / "docs" / "chain.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.+?)```", text, re.S)
    assert block
    assert block.group(1) == (ROOT / "docs" / "verifiers" / "verify_chain.py").read_text(
        encoding="utf-8"
    )


def test_chain_md__independent_script_verifies_and_detects_an_edit(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("import", str(ROOT / "examples" / "quickstart.jsonl"))
    assert result.exit_code == 0, result.stderr
    script = ROOT / "docs" / "verifiers" / "verify_chain.py"
    ok = subprocess.run([sys.executable, str(script), str(db_path)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: 7 events")
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET payload = replace(payload, '8500', '9500') WHERE seq = 6")
    conn.commit()
    conn.close()
    bad = subprocess.run(
        [sys.executable, str(script), str(db_path)], capture_output=True, text=True
    )
    assert bad.returncode != 0 and "FAILED at seq 6" in bad.stderr
