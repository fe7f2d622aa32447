"""A ledger that cannot be written (issue 12 item 9): an auditor's copy on read-only media.

Reads (``verify``, ``log``, ``show``, ``digest``, ``totals``, ``export``) must work; a write must
be refused with one line that says "read-only" (exit 1), and nothing may be created beside the
ledger. The tests run as root in CI, and root ignores permission bits (a ``chmod -w`` directory
is writable for root), so the media are made read-only in ways root cannot override:

- a read-only bind mount (``mount --bind -o ro``) in a private mount namespace (``unshare -m``),
  so that nothing outlives the test; it needs root (CAP_SYS_ADMIN) and skips with the reason
  otherwise;
- an immutable directory (``chattr +i``), which refuses new files to root too; it needs
  CAP_LINUX_IMMUTABLE and a file system with the attribute, and skips with the reason otherwise;
- as a user other than root, a ``chmod -w`` directory;
- on every backend, a store opened read-only on purpose (SQLite ``mode=ro``, PostgreSQL READ ONLY
  sessions), which refuses writes whatever the permissions.

SQLite needs a ``-shm`` file beside a WAL ledger to read it with locking (``mode=ro``); on
read-only media without one the ledger is opened ``immutable=1``, which is only right when no
commit waits in a ``-wal`` file: that case must be refused, not read stale.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import category, line

from cli.app import cli as app
from ledger.audit.verify import verify_ledger
from ledger.errors import NotFound, ReadOnlyLedger
from ledger.storage.meta import ledger_id
from ledger.storage.store import EventStore

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart.jsonl"
READS = [
    ["verify"],
    ["log", "-n", "3"],
    ["show", "2"],
    ["digest"],
    ["totals", "--definition", "jp-defense-related@1"],
    ["export", "-o", "bundle"],
]
WRITES = [["import", str(QUICKSTART)], ["record", "category", "--code", "NEW", "--name", "n"]]

# Runs CLI commands in a fresh interpreter (inside the private mount namespace) and prints
# {command: [exit code, stdout, stderr]} as JSON.
_DRIVER = """
import json, sys
from click.testing import CliRunner
from cli.app import cli
db, commands = sys.argv[1], json.loads(sys.argv[2])
out = {}
for args in commands:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    out[" ".join(args)] = [result.exit_code, result.stdout, result.stderr]
print(json.dumps(out))
"""


def _make_ledger(path: Path) -> int:
    """A ledger of the quickstart events with its ledger id (as an exported ledger has),
    closed (its last close checkpoints the ``-wal`` into the main file and removes it).
    Returns the number of events."""
    with EventStore.open(str(path), create=True) as store:
        result = CliRunner().invoke(app, ["--db", str(path), "import", "-q", str(QUICKSTART)])
        assert result.exit_code == 0, result.stderr
        ledger_id(store)
        count = store.count()
    assert not Path(f"{path}-wal").exists()
    return count


def _copy_while_open(live: Path, media: Path, suffixes: tuple[str, ...], in_wal: int) -> int:
    """Copy the ledger ``live`` (with ``in_wal`` more events committed into its ``-wal`` and
    not yet into the main file) to ``media``/ledger.db, taking the files named by
    ``suffixes``
    ("", "-wal", "-shm") while a reader has it open, as a copy of a ledger in use is. Returns
    the number of events committed."""
    events = _make_ledger(live)
    reader = sqlite3.connect(live)  # an open connection: the last close cannot checkpoint
    try:
        reader.execute("SELECT count(*) FROM events").fetchone()
        if in_wal:
            with EventStore.open(str(live)) as store:
                store.append_events([category(f"WAL.{i}") for i in range(in_wal)])
            assert Path(f"{live}-wal").stat().st_size > 0
        for suffix in suffixes:
            shutil.copy(f"{live}{suffix}", media / f"ledger.db{suffix}")
    finally:
        reader.close()
    return events + in_wal


def _fingerprint(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# -- a read-only bind mount -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bind_mount_ok(tmp_path_factory: pytest.TempPathFactory) -> None:
    if not shutil.which("unshare") or not shutil.which("mount"):
        pytest.skip("no unshare/mount here: cannot make a read-only bind mount")
    base = tmp_path_factory.mktemp("probe")
    (base / "a").mkdir()
    (base / "b").mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "mount", "--bind", "-o", "ro", str(base / "a"), str(base / "b")],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(
            "a read-only bind mount is not permitted here (needs root with CAP_SYS_ADMIN): "
            + (probe.stderr.strip() or f"exit {probe.returncode}")
        )


def _on_read_only_mount(
    source: Path, mount: Path, name: str, commands: list[list[str]], cwd: Path
) -> dict[str, list[Any]]:
    """Run ``commands`` against ``mount/name`` while ``source`` is bind-mounted read-only on
    ``mount``, in a private mount namespace (gone when the process ends)."""
    mount.mkdir(exist_ok=True)
    script = 'mount --bind -o ro "$0" "$1" && shift && exec "$@"'
    result = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            script,
            str(source),
            str(mount),
            sys.executable,
            "-c",
            _DRIVER,
            str(mount / name),
            json.dumps(commands),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _assert_reads_work_and_writes_refused(outcomes: dict[str, list[Any]], events: int) -> None:
    for args in READS:
        code, _, stderr = outcomes[" ".join(args)]
        assert code == 0, f"{args}: {stderr}"
    assert f"ok: {events} events verified" in outcomes["verify"][1]
    assert f'"seq":{events},' in outcomes["digest"][1]
    for args in WRITES:
        code, stdout, stderr = outcomes[" ".join(args)]
        assert code == 1, f"{args}: {stdout} {stderr}"
        assert stderr.startswith("Error: the ledger at ") and stderr.count("\n") == 1, stderr
        assert "is read-only (on a read-only file system): nothing was written" in stderr


@pytest.mark.slow  # mounts a filesystem, runs processes
@pytest.mark.usefixtures("bind_mount_ok")
@pytest.mark.parametrize("suffixes", [("",), ("", "-wal", "-shm")], ids=["db-only", "with-shm"])
def test_read_only_mount__reads_work_writes_say_read_only(
    tmp_path: Path, suffixes: tuple[str, ...]
) -> None:
    """The ledger file alone (``immutable=1``), or with the empty ``-wal`` and the ``-shm`` of
    a copy taken while it was open (``mode=ro``)."""
    media = tmp_path / "media"
    media.mkdir()
    events = _copy_while_open(tmp_path / "live.db", media, suffixes, in_wal=0)
    before = _fingerprint(media)
    outcomes = _on_read_only_mount(
        media, tmp_path / "mnt", "ledger.db", [*READS, *WRITES], tmp_path
    )
    _assert_reads_work_and_writes_refused(outcomes, events)
    assert (tmp_path / "bundle" / "SHA256SUMS").is_file()
    assert _fingerprint(media) == before


@pytest.mark.slow  # mounts a filesystem, runs processes
@pytest.mark.usefixtures("bind_mount_ok")
def test_read_only_mount__commits_in_the_wal_are_read_with_its_shm(tmp_path: Path) -> None:
    """A copy holding commits in its ``-wal``, with the ``-shm``: SQLite reads them."""
    media = tmp_path / "media"
    media.mkdir()
    events = _copy_while_open(tmp_path / "live.db", media, ("", "-wal", "-shm"), in_wal=3)
    outcomes = _on_read_only_mount(media, tmp_path / "mnt", "ledger.db", READS[:1], tmp_path)
    code, stdout, stderr = outcomes["verify"]
    assert code == 0 and f"ok: {events} events verified" in stdout, stderr


@pytest.mark.slow  # mounts a filesystem, runs processes
@pytest.mark.usefixtures("bind_mount_ok")
def test_read_only_mount__commits_in_the_wal_without_shm_are_refused_not_read_stale(
    tmp_path: Path,
) -> None:
    """Without ``-shm`` SQLite cannot read the ``-wal`` on read-only media, and ``immutable=1``
    would ignore it and show the ledger without its last commits: refused, saying why."""
    media = tmp_path / "media"
    media.mkdir()
    _copy_while_open(tmp_path / "live.db", media, ("", "-wal"), in_wal=3)
    outcomes = _on_read_only_mount(
        media, tmp_path / "mnt", "ledger.db", [["verify"], ["log"]], tmp_path
    )
    for code, stdout, stderr in outcomes.values():
        assert code == 1 and stdout == ""
        assert "latest commits are in ledger.db-wal" in stderr and stderr.count("\n") == 1


# -- an immutable directory (chattr +i) ------------------------------------------------------------


@pytest.fixture
def immutable_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "protected"
    directory.mkdir()
    _make_ledger(directory / "ledger.db")
    if not shutil.which("chattr"):
        pytest.skip("no chattr here: cannot make an immutable directory")
    made = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(
            "cannot make an immutable directory here (needs CAP_LINUX_IMMUTABLE and a file "
            f"system with the attribute): {made.stderr.strip()}"
        )
    try:
        yield directory
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_immutable_directory__reads_work_writes_say_read_only(
    immutable_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not os.access(immutable_dir, os.W_OK)  # for root too
    monkeypatch.chdir(tmp_path)
    before = _fingerprint(immutable_dir)
    runner = CliRunner()
    db = str(immutable_dir / "ledger.db")
    for args in READS:
        result = runner.invoke(app, ["--db", db, *args])
        assert result.exit_code == 0, f"{args}: {result.stderr}"
    for args in WRITES:
        result = runner.invoke(app, ["--db", db, *args])
        assert result.exit_code == 1, f"{args}: {result.output}"
        assert result.stderr == (
            f"Error: the ledger at {db} is read-only (its file or directory cannot be written "
            "by this user): nothing was written\n"
        )
    new = runner.invoke(app, ["--db", str(immutable_dir / "new.db"), "init"])
    assert new.exit_code == 1
    assert "its directory is read-only" in new.stderr
    assert _fingerprint(immutable_dir) == before


# -- chmod -w, as a user other than root --------------------------------------------------------


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root ignores permission bits: the bind mount and chattr tests cover root",
)
def test_write_protected_directory__reads_work_writes_say_read_only(tmp_path: Path) -> None:
    directory = tmp_path / "protected"
    directory.mkdir()
    _make_ledger(directory / "ledger.db")
    directory.chmod(0o555)
    try:
        db = str(directory / "ledger.db")
        runner = CliRunner()
        assert runner.invoke(app, ["--db", db, "verify"]).exit_code == 0
        assert runner.invoke(app, ["--db", db, "log"]).exit_code == 0
        refused = runner.invoke(app, ["--db", db, *WRITES[0]])
        assert refused.exit_code == 1 and "is read-only" in refused.stderr
    finally:
        directory.chmod(0o755)


# -- opened read-only on purpose, every backend ------------------------------------------------


def test_opened_read_only__reads_work_writes_refused(backend_url: str, backend: str) -> None:
    with EventStore.open(backend_url, create=True) as writable:
        writable.append_events([category("RO"), line("L1", "100", "RO")])
    path = Path(backend_url.removeprefix("sqlite:///")) if backend == "sqlite" else None
    before = path.read_bytes() if path else b""
    with EventStore.open(backend_url, read_only=True) as store:
        assert store.count() == 2
        assert verify_ledger(store).ok
        with pytest.raises(ReadOnlyLedger, match=r"is read-only \(opened for reading only\)"):
            store.append_events([category("NEW")])
        with pytest.raises(ReadOnlyLedger, match="read-only"):
            store.locked(lambda: None)
        assert store.count() == 2
    if path:
        assert path.read_bytes() == before


def test_opened_read_only__a_missing_file_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no ledger"):
        EventStore.open(str(tmp_path / "absent.db"), read_only=True)
    assert list(tmp_path.iterdir()) == []
