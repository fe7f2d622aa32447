"""docs/audit.md: its standard-library script is the shipped one and catches tampering, its
signature snippet works, and its workflow runs as written on the Japan scenario."""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.audit_scenario import build_scenario

from ledger.audit.signing import generate_keypair
from ledger.exports.write import export_bundle
from ledger.storage.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
SCRIPT = ROOT / "docs" / "verifiers" / "verify_bundle.py"
KEY, PUB = generate_keypair("board-of-audit", seed=bytes(range(32)))


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.+?)```", DOC, re.S)


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def _rehash(bundle: Path) -> None:
    names = sorted(p.name for p in bundle.iterdir() if not p.name.startswith("SHA256SUMS"))
    sums = "".join(f"{hashlib.sha256((bundle / n).read_bytes()).hexdigest()}  {n}\n" for n in names)
    (bundle / "SHA256SUMS").write_text(sums)


@pytest.fixture
def bundle(store: EventStore, tmp_path: Path) -> Path:
    build_scenario(store)
    export_bundle(store, "bundle", 15, root=str(tmp_path), private_key=KEY)
    return tmp_path / "bundle"


def test_audit_md__script_is_the_shipped_copy() -> None:
    assert _blocks("python")[0] == SCRIPT.read_text(encoding="utf-8")


def test_verify_bundle_script__accepts_an_export(bundle: Path, store: EventStore) -> None:
    result = _run(str(SCRIPT), str(bundle))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: 15 events, head {store.get(15).hash}, Merkle root ")


def test_verify_bundle_script__catches_an_edited_event(bundle: Path) -> None:
    path = bundle / "events.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"8500000000000"', b'"9500000000000"'))
    assert _run(str(SCRIPT), str(bundle)).stderr == "FAILED: sha256 mismatch: events.jsonl\n"
    _rehash(bundle)
    assert _run(str(SCRIPT), str(bundle)).stderr == "FAILED: the chain breaks at seq 10\n"


def test_verify_bundle_script__catches_dropped_events(bundle: Path) -> None:
    path = bundle / "events.jsonl"
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:14]))
    _rehash(bundle)
    result = _run(str(SCRIPT), str(bundle))
    assert result.stderr == "FAILED: the Merkle root of 14 events does not match the checkpoint\n"


def test_audit_md__signature_snippet_verifies_and_rejects(bundle: Path, tmp_path: Path) -> None:
    snippet = tmp_path / "check_sig.py"
    snippet.write_text(_blocks("python")[1])
    (tmp_path / "board.pub").write_text(PUB + "\n")
    result = _run(str(snippet), str(bundle), str(tmp_path / "board.pub"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "SHA256SUMS.sig: ok\n"
    (bundle / "SHA256SUMS").write_text((bundle / "SHA256SUMS").read_text() + "\n")
    assert "InvalidSignature" in _run(str(snippet), str(bundle), str(tmp_path / "board.pub")).stderr


def test_audit_md__workflow_runs_as_written_on_the_japan_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``defledger`` lines run in-process (CliRunner), the others in bash; all must exit 0."""
    from click.testing import CliRunner

    from cli.app import cli

    block = DOC.split("<!-- workflow: tests/test_audit_doc.py runs this block -->\n", 1)[1]
    commands = re.match(r"```sh\n(.+?)```", block, re.S)
    assert commands
    (tmp_path / "verify_bundle.py").write_text(SCRIPT.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    shell = (
        f'PY="{sys.executable}"; frictionless() {{ "$PY" -m frictionless "$@"; }}; '
        'python() { "$PY" "$@"; }; set -euo pipefail; '
    )
    output = []
    for command in commands.group(1).splitlines():
        if command.startswith("export "):
            name, value = command.removeprefix("export ").split("=", 1)
            monkeypatch.setenv(name, value)
        elif command.startswith("defledger "):
            result = CliRunner().invoke(cli, shlex.split(command)[1:], catch_exceptions=False)
            assert result.exit_code == 0, (command, result.output)
            output.append(result.output)
        else:
            env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
            done = subprocess.run(
                ["bash", "-c", shell + command],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            assert done.returncode == 0, (command, done.stdout + done.stderr)
            output.append(done.stdout)
    text = "".join(output)
    assert "ok: 12 files, 133 events" in text
    assert "ok: 133 events, head " in text
    assert "events.jsonl: OK" in text
    assert text.count("VALID") == 5
