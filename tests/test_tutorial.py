"""docs/tutorial.md is real: every command of its console blocks runs again, in order, in an
empty temporary directory — ``defledger …`` through the CLI, ``export NAME=VALUE`` into the
environment, anything else (``python -c …``, ``ls``) through the shell — and must exit 0 (or
the code a trailing ``# exits N`` states) and print what the page shows, once times, hashes,
ids, signatures and the temporary path are set aside. ``python scripts/gen_docs.py`` rewrites
the outputs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.doc_console import normal, rerun_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tutorial.md"
EXITS = re.compile(r"#\s*exits (\d+)\s*$")
EXPORT = re.compile(r"export ([A-Z_][A-Z0-9_]*)=(\S+)$")
HASH = re.compile(r"\b[0-9a-f]{64}\b")
SHORT_HASH = re.compile(r"\b[0-9a-f]{8,16}…")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
BASE64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
KEY_ID = re.compile(r"\b(\w+)\+[0-9a-f]{8}\b")
XLSX_BYTES = re.compile(r"(workbook\.xlsx\s+)\d+")
SHOWN_DIR = "~/tutorial"  # the temporary directory, as the page shows it


def _normalise(text: str) -> str:
    for pattern, replacement in (
        (HASH, "<hash>"), (SHORT_HASH, "<hash>…"), (UUID, "<uuid>"), (BASE64, "<base64>"),
        (KEY_ID, r"\1+<key id>"), (XLSX_BYTES, r"\1<bytes>"),
    ):  # fmt: skip
        text = pattern.sub(replacement, text)
    return normal(text)


def test_tutorial_md__every_command_runs_and_shows_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.app import cli as app

    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # as in a checkout (section 12)
    monkeypatch.delenv("DEFLEDGER_DB", raising=False)
    env: dict[str, str] = {"COLUMNS": "100"}  # what a 100-column terminal shows
    runner = CliRunner()
    shell_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }

    def run(command: str, info: str) -> str | None:
        expected = int(m.group(1)) if (m := EXITS.search(command)) else 0
        if exported := EXPORT.fullmatch(command.strip()):
            env[exported.group(1)] = exported.group(2)
            return None
        words = shlex.split(command, comments=True)
        if words[0] == "defledger":
            result = runner.invoke(app, words[1:], env=env, catch_exceptions=False)
            code, output = result.exit_code, result.output
        else:
            done = subprocess.run(
                command, shell=True, cwd=tmp_path, env={**shell_env, **env},
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
            )  # fmt: skip
            code, output = done.returncode, done.stdout
        assert code == expected, f"docs/tutorial.md: $ {command} exited {code}:\n{output}"
        return output.replace(str(tmp_path), SHOWN_DIR).rstrip("\n")

    ran = rerun_page(PAGE, run, _normalise)
    assert ran >= 25
    for verb in ("record", "import", "log", "totals", "replay", "trace", "diff", "what-if",
                 "verify", "digest", "checkpoint", "export", "verify-export", "demo"):  # fmt: skip
        assert f"$ defledger {verb} " in PAGE.read_text(encoding="utf-8"), verb
