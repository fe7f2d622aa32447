"""An export killed outright leaves its staging folder (``.<bundle>.<random>.tmp``, beside the
bundle, megabytes big) behind; the next export into the same directory removes it (issue 12
item 12), and never a folder a live export is writing or one that only looks like a leftover.

The killed export is a real ``defledger export`` in a child process, stopped (by a patched
``bundle.sums_text``) once every bundle file is written, then SIGKILLed: no clean-up code of its
own can run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ledger.exports import bundle

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart.jsonl"

_STALLED_EXPORT = """
import sys, time
from ledger.exports import bundle

def stall(directory):
    print(directory, flush=True)
    time.sleep(600)

bundle.sums_text = stall
from cli.app import cli
cli.main(["--db", sys.argv[1], "export", "-o", "first"], standalone_mode=False)
"""


def _age(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.slow  # kills an export process
def test_staging__killed_exports_folder_is_removed_by_the_next_export_not_before(
    cli: Callable[..., Result], db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("import", "-q", str(QUICKSTART)).exit_code == 0
    monkeypatch.chdir(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", _STALLED_EXPORT, str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    try:
        assert child.stdout is not None
        staged = Path(child.stdout.readline().strip())
        assert staged.parent == tmp_path and staged.name.startswith(".first.")
        assert {"events.jsonl", "workbook.xlsx"} <= {p.name for p in staged.iterdir()}
        _age(staged)  # old, but its export is alive (and holds its lock): left alone
        assert cli("export", "-o", "second").exit_code == 0
        assert staged.is_dir()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert staged.is_dir()  # nothing of the killed export cleaned up after it
    assert cli("export", "-o", "third").exit_code == 0
    assert not staged.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert (tmp_path / "second" / "SHA256SUMS").read_bytes() == (
        tmp_path / "third" / "SHA256SUMS"
    ).read_bytes()


def test_staging__only_folders_certainly_left_by_an_export_are_removed(tmp_path: Path) -> None:
    def folder(name: str, files: dict[str, bytes], age: float = 3600) -> Path:
        path = tmp_path / name
        path.mkdir()
        for file_name, data in files.items():
            (path / file_name).write_bytes(data)
        _age(path, age)
        return path

    abandoned = folder(".bundle.abcd1234.tmp", {"events.jsonl": b"{}\n", "lines.csv": b"a\n"})
    empty = folder(".b2.x_y9z8w7.tmp", {})
    recent = folder(".bundle.efgh5678.tmp", {"events.jsonl": b""}, age=0)
    odd_file = folder(".bundle.ijkl9012.tmp", {"my notes.txt": b"mine"})
    nested = folder(".bundle.mnop3456.tmp", {})
    (nested / "sub").mkdir()
    _age(nested)
    other_name = folder(".bundle.tmp", {"events.jsonl": b""})
    not_hidden = folder("bundle.qrst7890.tmp", {"events.jsonl": b""})

    removed = bundle.remove_abandoned(tmp_path)

    assert sorted(removed) == sorted([abandoned, empty])
    for kept in (recent, odd_file, nested, other_name, not_hidden):
        assert kept.is_dir(), kept
